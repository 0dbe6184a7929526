// The web UI in a real browser: Debian's chromium driven by playwright-core, over a UI listening on
// 127.0.0.1 with real pipeline runs behind it (test/server/ui-fixture.ts). The paths a user takes: open
// the failed run, read its error, retry it; open a dataset's profile; compare two model versions; open
// the drift view; watch a running run and cancel it. Charts must be drawn (SVG or uPlot's canvas, with
// data), and a column named like a script tag or an error with HTML must stay text (no dialog opens).
// Screenshots go to test/browser/screenshots/ (ignored by git); docs/screenshots/ holds reviewed copies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pipeline } from '../../src/orchestrator/index.ts';
import { buildUi } from '../../src/server/ui/app.ts';
import { HTML_ERROR, SCRIPT_COLUMN, uiFixture, type UiFixture } from '../server/ui-fixture.ts';

const CHROMIUM = '/usr/bin/chromium'; // repo-only: allowed (Debian's chromium, installed by .ci/run; a browser download fails here)
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does) to run the browser tests`;

describe('web UI in chromium', { skip }, () => {
  let fx: UiFixture;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fx = await uiFixture();
    const nightly = pipeline('nightly_ui', { schedule: { cron: '30 2 * * *', timezone: 'America/New_York' } }).step('x', [], () => 1).build();
    app = buildUi({
      store: fx.store, artifacts: fx.artifacts, engine: fx.engine, actions: fx.actions, resolveGraph: fx.resolveGraph, liveIntervalMs: 300,
      pipelines: [{ name: 'nightly_ui', graph: nightly, file: '/project/nightly.ts' }],
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => { await browser?.close(); await app?.close(); await fx?.dispose(); });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  test('runs: open the failed run, read the error (as text), retry it; the retried run shows its graph', async () => {
    await page.goto(`${url}/runs`);
    await shot('runs');
    assert.equal(await page.locator('table.runs tbody tr').count(), 3);
    await page.selectOption('select[name=state]', 'failed');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/state=failed/);
    assert.equal(await page.locator('table.runs tbody tr').count(), 1);
    await page.click(`a[href="/runs/${fx.failedRunId}"]`);
    await page.waitForURL(new RegExp(`/runs/${fx.failedRunId}$`));
    const message = await page.locator('#run-error .message').innerText();
    assert.ok(message.includes(HTML_ERROR), message);
    assert.equal(await page.locator('#run-error .hint').innerText(), 'Hint Check <the> upstream & retry', 'the hint the step\'s error carried, as text');
    assert.equal(await page.locator('main img, main b').count(), 0, 'the error\'s markup was not parsed');
    const failedNode = page.locator('svg.step-graph a[data-step="publish"]');
    assert.equal(await failedNode.getAttribute('data-state'), 'failed');
    assert.equal(await page.locator('svg.step-graph a.node').count(), 5);
    assert.equal(await page.locator('svg.timeline-chart rect.bar').count(), 5);
    assert.ok(await page.locator('details#step-publish').evaluate((d) => (d as unknown as { open: boolean }).open), 'the failed step is opened');
    await shot('run-failed');
    fx.fix();
    await page.click('#retry');
    await page.waitForURL(/done=retried/);
    assert.match(await page.locator('.flash').innerText(), /Retrying run /);
    // The run resumes under its own id; the page follows it live until it succeeds.
    await page.waitForSelector('#run-live[data-run-state="succeeded"]', { timeout: 30_000 });
    assert.equal(await page.locator('svg.step-graph a[data-step="publish"]').getAttribute('data-state'), 'succeeded');
    await shot('run-retried');
  });

  test('a running run updates live and cancels from its page', async () => {
    const { runId, done } = await fx.startSlow();
    await page.goto(`${url}/runs/${runId}`);
    assert.equal(await page.locator('#run-live').getAttribute('data-run-state'), 'running');
    // htmx polls the live fragment while the run runs.
    await page.waitForRequest((r) => r.url().endsWith(`/runs/${runId}/live`), { timeout: 5000 });
    await shot('run-live');
    await page.click('#cancel');
    await done;
    await page.waitForSelector('#run-live[data-run-state="cancelled"]', { timeout: 10_000 });
    assert.equal(await page.locator('svg.step-graph a[data-step="wait"]').getAttribute('data-state'), 'cancelled');
  });

  test('datasets: a profile with a histogram per column, validation, quarantined rows with reasons', async () => {
    await page.goto(`${url}/datasets`);
    await page.click('a[href="/datasets/flights_m1"]');
    await page.waitForURL(/\/datasets\/flights_m1$/);
    const hists = await page.locator('table.profile svg.hist').count();
    assert.ok(hists >= 4, `histograms: ${hists}`);
    assert.ok(await page.locator('table.profile svg.hist rect').count() > 20, 'the histograms have bars');
    assert.match(await page.locator('tr[data-expectation="delay_between"]').innerText(), /8 \(2\.00%\)/);
    assert.equal(await page.locator('table.quarantine tbody tr').count(), 8);
    assert.match(await page.locator('table.quarantine td.reason').first().innerText(), /delay_between/);
    await shot('dataset');
  });

  test('a column named like a script tag is text in the browser', async () => {
    await page.goto(`${url}/datasets/odd_names`);
    const names = await page.locator('table.profile tbody td:first-child').allInnerTexts();
    assert.ok(names.includes(SCRIPT_COLUMN), names.join(', '));
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(dialogs, []);
    await shot('escaping');
  });

  test('models: metrics over versions drawn by uPlot; compare two versions side by side', async () => {
    await page.goto(`${url}/models/delay`);
    await page.waitForSelector('[data-chart="metrics-chart"] canvas');
    const size = await page.locator('[data-chart="metrics-chart"] canvas').first().evaluate((c) => { const canvas = c as unknown as { width: number; height: number }; return [canvas.width, canvas.height]; });
    assert.ok(size[0]! > 100 && size[1]! > 100, `canvas ${size}`);
    assert.ok(await page.locator('.uplot .u-legend').innerText().then((t) => /auc/.test(t) && /logLoss/.test(t)));
    assert.ok(await page.locator('table.alias-history tbody tr').count() >= 3);
    await shot('model');
    await page.selectOption('select[name=a]', '1');
    await page.selectOption('select[name=b]', '2');
    await page.click('#compare');
    await page.waitForURL(/compare\?a=1&b=2/);
    assert.match(await page.locator('tr[data-metric="auc"]').innerText(), /0\.71\s+0\.72\s+\+0\.01/);
    assert.equal(await page.locator('svg.compare-chart rect.pair').count(), 4, 'two bars per metric');
    await shot('model-compare');
  });

  test('monitoring: drift per feature over batches with the threshold line', async () => {
    await page.goto(`${url}/monitoring`);
    await page.click('a[href="/monitoring/flights_drift"]');
    await page.waitForURL(/\/monitoring\/flights_drift$/);
    await page.waitForSelector('[data-chart="drift-0"] canvas');
    assert.equal(await page.locator('.feature .uplot').count(), 2, 'one chart per feature');
    const legend = await page.locator('[data-feature="distance"] .u-legend').innerText();
    assert.match(legend, /threshold/);
    assert.equal(await page.locator('table.drift tbody tr').count(), 2);
    // Reference against current for the latest batch: two SVG bar charts with bars of both kinds.
    assert.equal(await page.locator('.distribution svg.distribution-chart').count(), 2);
    assert.ok(await page.locator('.distribution[data-feature="distance"] rect.reference').count() >= 20);
    assert.ok(await page.locator('.distribution[data-feature="distance"] rect.current').count() >= 20);
    const tallest = await page.locator('.distribution[data-feature="distance"] rect.current').evaluateAll((rs) => Math.max(...rs.map((r) => Number(r.getAttribute('height')))));
    assert.ok(tallest > 10, `bars have height: ${tallest}`);
    await shot('drift');
    await page.selectOption('select[name=batch]', '1');
    await page.click('#show-batch');
    await page.waitForURL(/batch=1$/);
    assert.equal(await page.locator('table.drift').getAttribute('data-batch'), '2001-01');
    await page.locator('.distributions').screenshot({ path: join(SHOTS, 'drift-distributions.png') });
  });

  test('monitoring: performance per batch drawn by uPlot, a line per model alias', async () => {
    await page.goto(`${url}/monitoring`);
    await page.waitForSelector('[data-chart="perf-0-0"] canvas');
    const legend = await page.locator('[data-metric="auc"] .u-legend').innerText();
    assert.match(legend, /delay \(champion\)/);
    assert.match(legend, /delay v3/);
    assert.equal(await page.locator('.performance .uplot').count(), 2, 'auc and logLoss');
    assert.equal(await page.locator('table.performance-table tbody tr').count(), fx.performance.length);
    await shot('performance');
  });

  test('schedules: next occurrences, last run, paused; a backfill partition by partition', async () => {
    const now = Date.now();
    const fired = Date.UTC(2001, 2, 1, 5);
    await fx.store.schedules.syncSchedule({ pipeline: 'flights_ui', name: 'monthly', cron: '0 6 1 * *', timezone: 'Europe/Paris', catchUp: 'latest', file: null }, now);
    await fx.store.schedules.recordOccurrences('flights_ui', 'monthly', [{ occurrence: fired, partition: '2001-03' }], now, now);
    await fx.store.schedules.markOccurrenceSubmitted('flights_ui', 'monthly', fired, fx.failedRunId, now);
    const bf = await fx.store.schedules.createBackfill({ id: 'bf_browser', pipeline: 'flights_ui', file: null, from: '2001-01', to: '2001-06', parallel: 1, inOrder: true, params: {} }, ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06'], now);
    await fx.store.schedules.updateBackfillPartition(bf.id, 0, { state: 'succeeded', runId: fx.succeededRunIds[0]!, attempts: 1 }, now);
    await fx.store.schedules.updateBackfillPartition(bf.id, 1, { state: 'succeeded', runId: fx.succeededRunIds[1]!, attempts: 1 }, now);
    await fx.store.schedules.updateBackfillPartition(bf.id, 2, { state: 'failed', runId: fx.failedRunId, attempts: 1 }, now);
    await page.goto(`${url}/runs`);
    await page.click('header.top a[href="/schedules"]');
    await page.waitForURL(/\/schedules$/);
    assert.equal(await page.locator('table.schedules tbody tr').count(), 2);
    assert.equal(await page.locator('tr[data-schedule="flights_ui/monthly"] td.next li').count(), 3);
    assert.match(await page.locator('tr[data-schedule="nightly_ui/default"]').innerText(), /no scheduler has seen this schedule yet/);
    assert.equal(await page.locator('svg.partition-strip rect').count(), 6);
    assert.match(await page.locator('.backfill-block .progress-text').innerText(), /2 of 6 partitions succeeded/);
    // A running backfill's section polls itself: the page follows the backfill as partitions finish.
    await fx.store.schedules.updateBackfillPartition(bf.id, 3, { state: 'succeeded', runId: fx.succeededRunIds[0]!, attempts: 1 }, Date.now());
    await page.locator('.backfill-block .progress-text', { hasText: '3 of 6 partitions succeeded' }).waitFor({ timeout: 10_000 });
    await shot('schedules');
    assert.deepEqual(pageErrors, [], 'no script error on any page');
    assert.deepEqual(dialogs, []);
  });
});
