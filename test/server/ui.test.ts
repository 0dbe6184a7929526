// The web UI's pages through Fastify's inject(), on SQLite and PostgreSQL, over real pipeline runs
// (see ui-fixture.ts): every view, filters and keyset pages, retry and cancel as CSRF-checked POSTs,
// the token, and escaping of a column named like a script tag and of an error carrying HTML.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { pipeline } from '../../src/orchestrator/index.ts';
import { buildUi } from '../../src/server/ui/app.ts';
import { metadataBackends } from '../helpers/databases.ts';
import { HTML_ERROR, SCRIPT_COLUMN, uiFixture, type UiFixture } from './ui-fixture.ts';

interface Session { cookie: string; csrf: string }

async function session(app: FastifyInstance, url = '/runs'): Promise<Session> {
  const res = await app.inject({ url });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(res.body)?.[1] ?? '';
  assert.ok(cookie.startsWith('sluice_ui_session='), `a session cookie is set: ${setCookie}`);
  assert.ok(csrf.length > 20, 'the page carries the CSRF token');
  return { cookie, csrf };
}

for (const backend of metadataBackends) {
  describe(`web UI on ${backend.name}`, { skip: backend.skip }, () => {
    let db: { url: string; dispose(): Promise<void> };
    let fx: UiFixture;
    let app: FastifyInstance;

    before(async () => {
      db = await backend.fresh();
      fx = await uiFixture(db.url);
      app = buildUi({ store: fx.store, artifacts: fx.artifacts, engine: fx.engine, actions: fx.actions, resolveGraph: fx.resolveGraph, liveIntervalMs: 500 });
    });
    after(async () => { await app?.close(); await fx?.dispose(); await db?.dispose(); });

    test('runs list: every run, filters by pipeline, state and partition, keyset pages', async () => {
      const all = await app.inject({ url: '/runs' });
      assert.equal(all.statusCode, 200);
      assert.match(String(all.headers['content-type']), /text\/html/);
      assert.match(String(all.headers['content-security-policy']), /script-src 'self'/);
      for (const id of [fx.failedRunId, ...fx.succeededRunIds]) assert.ok(all.body.includes(`data-run="${id}"`), `run ${id} listed`);
      const failed = await app.inject({ url: '/runs?state=failed' });
      assert.ok(failed.body.includes(fx.failedRunId));
      assert.ok(!failed.body.includes(`data-run="${fx.succeededRunIds[0]}"`));
      const part = await app.inject({ url: '/runs?partition=2001-02' });
      assert.equal((part.body.match(/data-run="/g) ?? []).length, 1);
      assert.ok(part.body.includes(fx.succeededRunIds[1]!));
      const none = await app.inject({ url: '/runs?pipeline=nope' });
      assert.match(none.body, /No runs match these filters/);
      // Pages: 3 runs, and the store pages by id; a page of 50 holds them all, so check the store's keyset directly too.
      const p1 = await fx.store.listRunsPage({ limit: 2 });
      assert.equal(p1.runs.length, 2);
      assert.equal(p1.hasMore, true);
      const p2 = await fx.store.listRunsPage({ limit: 2, after: p1.runs[1]!.id });
      assert.deepEqual(p2.runs.map((r) => r.id), [fx.succeededRunIds[0]]);
      assert.equal(p2.hasMore, false);
      const older = await app.inject({ url: `/runs?after=${encodeURIComponent(fx.failedRunId)}` });
      assert.ok(!older.body.includes(`data-run="${fx.failedRunId}"`) && older.body.includes(fx.succeededRunIds[1]!));
      assert.match(older.body, /« newest/);
    });

    test('a failed run: graph with states, timeline, the error as text with its stack, attempts, logs, inputs and outputs', async () => {
      const res = await app.inject({ url: `/runs/${fx.failedRunId}` });
      assert.equal(res.statusCode, 200);
      const body = res.body;
      assert.match(body, /<svg class="step-graph"/);
      for (const step of ['ingest', 'odd_names', 'train', 'drift', 'publish']) assert.ok(body.includes(`data-step="${step}"`), `step ${step} drawn`);
      assert.match(body, /data-step="publish" data-state="failed"/);
      assert.match(body, /data-step="train" data-state="succeeded"/);
      assert.equal((body.match(/<path d="M/g) ?? []).length, 5, 'five edges: ingest->train, ingest->drift, train->publish, drift->publish, and the arrow marker path excluded');
      assert.match(body, /<svg class="timeline-chart"/);
      assert.match(body, /<rect class="bar" data-step="publish"/);
      assert.ok(!body.includes('<img src=x'), 'the error\'s HTML is not markup');
      assert.ok(body.includes('the upstream said &lt;img src=x onerror=&quot;alert(2)&quot;&gt; and &lt;b&gt;stopped&lt;/b&gt;'));
      assert.match(body, /attempt 2/);
      assert.match(body, /publishing the scores/);
      assert.match(body, /<pre class="stack">/);
      // The hint of the step's SluiceError is recorded with the task run (migration 0008) and shown, escaped, under the error.
      const publish = (await fx.store.listTaskRuns(fx.failedRunId)).find((t) => t.step === 'publish')!;
      assert.equal(publish.errorHint, 'Check <the> upstream & retry');
      assert.match(body, /<div class="error" id="run-error">[\s\S]*?<div class="hint"><strong>Hint<\/strong> Check &lt;the&gt; upstream &amp; retry<\/div>/);
      assert.match(body, /id="step-publish"[\s\S]*?<div class="hint"><strong>Hint<\/strong> Check &lt;the&gt; upstream &amp; retry<\/div>/);
      assert.match(body, /href="\/datasets\/flights_m3\?version=1"/, 'ingest output links to its dataset');
      assert.match(body, /model <a href="\/models\/delay\?version=3">delay v3<\/a> <span class="muted">from train<\/span>/, 'publish lists its input model');
      assert.ok(!body.includes('dataset <a href="/datasets/delay?version=3">'), 'the model is not listed again as a dataset');
      assert.match(body, /id="retry"/);
      assert.ok(!body.includes('hx-trigger="every'), 'a finished run does not poll');
      assert.ok(HTML_ERROR.length > 0);
    });

    test('retry is a CSRF-checked POST that runs the pipeline again; the retried run succeeds', async () => {
      const s = await session(app, `/runs/${fx.failedRunId}`);
      const url = `/runs/${fx.failedRunId}/retry`;
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const noToken = await app.inject({ method: 'POST', url, headers: { ...form, cookie: s.cookie }, payload: '' });
      assert.equal(noToken.statusCode, 403);
      assert.match(noToken.body, /CSRF token is missing/);
      const crossSite = await app.inject({ method: 'POST', url, headers: { ...form, cookie: s.cookie, 'sec-fetch-site': 'cross-site' }, payload: `_csrf=${s.csrf}` });
      assert.equal(crossSite.statusCode, 403);
      const otherOrigin = await app.inject({ method: 'POST', url, headers: { ...form, cookie: s.cookie, origin: 'http://evil.example', host: 'localhost:80' }, payload: `_csrf=${s.csrf}` });
      assert.equal(otherOrigin.statusCode, 403);
      assert.match(otherOrigin.body, /Origin http:\/\/evil\.example is not this server/);
      const otherSession = await app.inject({ method: 'POST', url, headers: { ...form, cookie: 'sluice_ui_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, payload: `_csrf=${s.csrf}` });
      assert.equal(otherSession.statusCode, 403, 'a token from another session is refused');
      assert.equal((await fx.store.listRuns()).length, 3, 'nothing was run by a refused request');
      fx.fix();
      const ok = await app.inject({ method: 'POST', url, headers: { ...form, cookie: s.cookie, 'sec-fetch-site': 'same-origin' }, payload: `_csrf=${s.csrf}` });
      assert.equal(ok.statusCode, 303, ok.body);
      const location = String(ok.headers.location);
      assert.equal(location, `/runs/${fx.failedRunId}?done=retried&from=${fx.failedRunId}`, 'the run resumes under its own id');
      const newId = fx.failedRunId;
      for (let i = 0; i < 300 && (await fx.store.getRun(newId))?.state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await fx.store.getRun(newId))?.state, 'succeeded');
      const shown = await app.inject({ url: location, headers: { cookie: s.cookie } });
      assert.match(shown.body, /Retrying run /);
      assert.match(shown.body, /data-step="publish" data-state="succeeded"/);
      assert.match(shown.body, /data-step="train" data-state="succeeded"/);
      const again = await app.inject({ method: 'POST', url: `/runs/${newId}/retry`, headers: { ...form, cookie: s.cookie }, payload: `_csrf=${s.csrf}` });
      assert.equal(again.statusCode, 303);
      const refused = await app.inject({ url: String(again.headers.location) });
      assert.match(refused.body, /is succeeded: only a failed or cancelled run can be retried/);
      const spoof = await app.inject({ url: `/runs/${newId}?done=<b>hi</b>&flash=Your+account+is+locked` });
      assert.ok(!spoof.body.includes('account is locked') && !spoof.body.includes('class="flash"'), 'a link cannot put text on the page');
    });

    test('a running run polls its live fragment; cancel stops it', async () => {
      const { runId, done } = await fx.startSlow();
      const res = await app.inject({ url: `/runs/${runId}` });
      assert.match(res.body, new RegExp(`hx-get="/runs/${runId}/live" hx-trigger="every 500ms"`));
      assert.match(res.body, /data-step="wait" data-state="running"/);
      assert.match(res.body, /id="cancel"/);
      const live = await app.inject({ url: `/runs/${runId}/live` });
      assert.match(live.body, /^<section id="run-live" data-run-state="running"/);
      const s = await session(app, `/runs/${runId}`);
      const cancel = await app.inject({ method: 'POST', url: `/runs/${runId}/cancel`, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
      assert.equal(cancel.statusCode, 303);
      await done;
      const after = await app.inject({ url: `/runs/${runId}/live` });
      assert.match(after.body, /data-run-state="cancelled"/);
      assert.ok(!after.body.includes('hx-trigger'), 'a finished run stops polling');
    });

    test('datasets: list, partitions and versions, profile with a histogram per column, validation per expectation, quarantined rows with reasons, lineage', async () => {
      const list = await app.inject({ url: '/datasets' });
      for (const d of ['flights_m1', 'flights_m1_quarantine', 'flights_drift', 'odd_names']) assert.ok(list.body.includes(`/datasets/${d}"`), d);
      const res = await app.inject({ url: '/datasets/flights_m1' });
      assert.equal(res.statusCode, 200);
      const body = res.body;
      for (const c of ['id', 'origin', 'distance', 'delay', 'late']) assert.ok(body.includes(`data-column="${c}"`), `column ${c} profiled`);
      assert.ok((body.match(/<svg class="hist"/g) ?? []).length >= 4, 'histograms drawn');
      assert.match(body, /data-expectation="delay_between"/);
      assert.match(body, /8 \(2\.00%\)/, '8 of 400 rows broke the delay bounds');
      assert.match(body, /<table class="quarantine">/);
      assert.equal((body.match(/<td class="reason">/g) ?? []).length, 8);
      assert.match(body, /<td class="reason"><strong>delay_between<\/strong>: delay = 99999 is outside \[-60, 600\]<\/td>/);
      assert.match(body, /<ul class="lineage-down">[\s\S]*model <a href="\/models\/delay\?version=1">delay v1<\/a>/);
      // Lineage down is an index lookup in lineage_edges (migration 0008), one row per input of each version.
      const m1 = (await fx.store.getDatasetVersion('flights_m1'))!;
      const delay1 = (await fx.store.getModelVersion('delay', 1))!;
      const edges = await fx.store.transaction((tx) => tx.execute(`select output_kind, output_id from lineage_edges where input_id = ${tx.dialect === 'postgres' ? '$1' : '?'}`, [m1.id]));
      assert.deepEqual(edges.map((e) => `${String(e['output_kind'])} ${String(e['output_id'])}`), [`model ${delay1.id}`]);
      assert.deepEqual((await fx.store.listLineageChildren(m1.id)).models.map((m) => m.version), [1]);
      const missing = await app.inject({ url: '/datasets/nope' });
      assert.equal(missing.statusCode, 404);
    });

    test('a column named like a script tag renders as text', async () => {
      const res = await app.inject({ url: '/datasets/odd_names' });
      assert.ok(!res.body.includes(SCRIPT_COLUMN));
      assert.ok(res.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    });

    test('models: versions with metrics over time, alias history with reasons, two versions side by side', async () => {
      const res = await app.inject({ url: '/models/delay' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /data-chart="metrics-chart"/);
      const spec = JSON.parse(/<script type="application\/json" id="metrics-chart">([\s\S]*?)<\/script>/.exec(res.body)![1]!) as { x: number[]; series: { label: string; values: number[] }[] };
      assert.ok(spec.x.length >= 3);
      assert.deepEqual(spec.series.map((s) => s.label), ['auc', 'logLoss']);
      assert.match(res.body, /<table class="alias-history">/);
      assert.match(res.body, /month 2 beats the champion on auc/);
      assert.match(res.body, /first model/);
      const cmp = await app.inject({ url: '/models/delay/compare?a=1&b=2' });
      assert.equal(cmp.statusCode, 200);
      assert.match(cmp.body, /data-metric="auc"><th>auc<\/th><td class="num">0\.71<\/td><td class="num">0\.72<\/td><td class="num"><span class="delta-better">\+0\.01<\/span>/);
      assert.match(cmp.body, /data-metric="logLoss">[\s\S]*?delta-better/);
      assert.match(cmp.body, /<rect class="pair" data-metric="auc" data-version="v1"/);
      // v2 is gradient-boosted trees (importance by gain), v1 a logistic regression (none).
      assert.match(cmp.body, /<table class="importance">/);
      assert.match(cmp.body, /<tr data-feature="distance"><td>distance<\/td><td>n\/a<\/td><td><span class="imp">/);
      assert.equal((await app.inject({ url: '/models/delay/compare?a=1&b=99' })).statusCode, 404);
    });

    test('monitoring: drift per feature over batches with the threshold', async () => {
      const list = await app.inject({ url: '/monitoring' });
      assert.match(list.body, /href="\/monitoring\/flights_drift"/);
      const res = await app.inject({ url: '/monitoring/flights_drift' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /<tr data-feature="distance">/);
      const spec = JSON.parse(/<script type="application\/json" id="drift-1">([\s\S]*?)<\/script>/.exec(res.body)![1]!) as { xLabels: string[]; series: { label: string; values: (number | null)[] }[] };
      assert.deepEqual(spec.xLabels.slice(0, 2), ['2001-01', '2001-02']);
      assert.equal(spec.series[1]!.label, 'threshold');
      assert.ok(spec.series[0]!.values.every((v) => typeof v === 'number'), JSON.stringify(spec));

      // Reference against current for the selected batch (the latest by default), from the stored histograms.
      const latest = spec.xLabels.at(-1)!;
      assert.match(res.body, new RegExp(`<table class="drift" data-batch="${latest}">`));
      for (const f of ['distance', 'delay']) {
        const block = new RegExp(`<div class="distribution" data-feature="${f}">[\\s\\S]*?</svg></div>`).exec(res.body)?.[0] ?? '';
        assert.match(block, /<svg class="distribution-chart"/, f);
        const refBars = (block.match(/<rect class="reference"/g) ?? []).length;
        assert.equal(refBars, (block.match(/<rect class="current"/g) ?? []).length);
        assert.ok(refBars >= 20, `${f}: ${refBars} bins`);
      }
      // Month 3's distances are 80 above the reference (month 1's values): some fall above its range.
      assert.match(res.body, /<div class="distribution" data-feature="distance">[\s\S]*?<title>above [0-9.]+, current: [1-9][0-9.]*%<\/title>/);
      // Batch 2001-01 compares a batch with itself: every pair of bars is equal.
      const first = await app.inject({ url: '/monitoring/flights_drift?batch=1' });
      assert.match(first.body, /<table class="drift" data-batch="2001-01">/);
      assert.match(first.body, /<option value="1" selected>2001-01 \(v1\)<\/option>/);
      for (const f of ['distance', 'delay']) {
        const block = new RegExp(`<div class="distribution" data-feature="${f}">[\\s\\S]*?</svg></div>`).exec(first.body)?.[0] ?? '';
        const pct = (which: string): string[] => [...block.matchAll(new RegExp(`<rect class="${which}" data-bin="\\d+"[^>]*><title>[^<]*: ([0-9.]+)%</title>`, 'g'))].map((m) => m[1]!);
        assert.ok(pct('reference').length >= 20, f);
        assert.deepEqual(pct('current'), pct('reference'), f);
      }
    });

    test('monitoring: performance once labels arrive, one chart per metric over batches with a line per model alias', async () => {
      const res = await app.inject({ url: '/monitoring' });
      assert.equal(res.statusCode, 200);
      assert.ok(!res.body.includes('appears here once a pipeline records it'), 'no placeholder');
      assert.match(res.body, /<div class="performance" data-dataset="delay_performance">/);
      const spec = (id: string): { xLabels: string[]; series: { label: string; values: (number | null)[] }[] } =>
        JSON.parse(new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(res.body)![1]!);
      const auc = spec('perf-0-0');
      assert.match(res.body, /<div class="metric" data-metric="auc"><h3>auc<\/h3><div class="chart" data-chart="perf-0-0">/);
      const batches = [...new Set(fx.performance.map(([b]) => b))].sort();
      const lines = [...new Set(fx.performance.map(([, l]) => l))].sort();
      assert.deepEqual(auc.xLabels, batches);
      assert.deepEqual(auc.series.map((x) => x.label), lines);
      for (const x of auc.series) {
        assert.deepEqual(x.values, batches.map((b) => fx.performance.find(([pb, pl]) => pb === b && pl === x.label)?.[2] ?? null), x.label);
      }
      assert.deepEqual(auc.series.find((x) => x.label === 'delay (champion)')!.values, [0.71, 0.69, 0.66]);
      assert.equal(spec('perf-0-1').series.length, 2, 'logLoss too');
      assert.match(res.body, /<tr data-batch="2001-04" data-line="delay v3"><td>2001-04<\/td><td><a href="\/models\/delay\?version=3">delay v3<\/a><\/td><td class="num">400<\/td><td class="num">0\.72<\/td><td class="num">0\.51<\/td><\/tr>/);
    });

    test('schedules: each schedule with cron, zone, next occurrences, last run and pause; a backfill partition by partition, polled while it runs', async () => {
      const empty = await app.inject({ url: '/schedules' });
      assert.equal(empty.statusCode, 200);
      assert.match(empty.body, /No schedule yet/);
      assert.match(empty.body, /No backfill yet/);

      // What a scheduler and a backfill record, written through the store's own schedule API.
      const now = Date.now();
      const fired = Date.UTC(2001, 2, 1, 5);
      await fx.store.schedules.syncSchedule({ pipeline: 'flights_ui', name: 'monthly', cron: '0 6 1 * *', timezone: 'Europe/Paris', catchUp: 'latest', file: null }, now - 1000);
      await fx.store.schedules.recordOccurrences('flights_ui', 'monthly', [{ occurrence: fired, partition: '2001-03' }], now, now);
      await fx.store.schedules.markOccurrenceSubmitted('flights_ui', 'monthly', fired, fx.failedRunId, now);
      await fx.store.schedules.syncSchedule({ pipeline: 'flights_ui', name: 'weekly', cron: '0 7 * * 1', timezone: 'UTC', catchUp: 'none', file: null }, now);
      assert.equal(await fx.store.schedules.setPaused('flights_ui', true, now, 'weekly'), 1);
      const bf = await fx.store.schedules.createBackfill({ id: 'bf_ui_1', pipeline: 'flights_ui', file: null, from: '2001-01', to: '2001-04', parallel: 1, inOrder: true, params: {} }, ['2001-01', '2001-02', '2001-03', '2001-04'], now);
      await fx.store.schedules.updateBackfillPartition(bf.id, 0, { state: 'succeeded', runId: fx.succeededRunIds[0]!, attempts: 1 }, now);
      await fx.store.schedules.updateBackfillPartition(bf.id, 1, { state: 'succeeded', runId: fx.succeededRunIds[1]!, attempts: 1 }, now);
      await fx.store.schedules.updateBackfillPartition(bf.id, 2, { state: 'failed', runId: fx.failedRunId, attempts: 2 }, now);
      // A pipeline of the project whose schedule no scheduler has seen yet (as `sluice dev` passes them).
      const nightly = pipeline('nightly_ui', { schedule: { cron: '30 2 * * *', timezone: 'America/New_York' } }).step('x', [], () => 1).build();
      const withProject = buildUi({ store: fx.store, artifacts: fx.artifacts, pipelines: [{ name: 'nightly_ui', graph: nightly, file: '/project/nightly.ts' }], liveIntervalMs: 700 });
      try {
        const res = await withProject.inject({ url: '/schedules' });
        assert.equal(res.statusCode, 200);
        const body = res.body;
        const row = (key: string): string => new RegExp(`<tr data-schedule="${key.replace('/', '\\/')}"[\\s\\S]*?</tr>`).exec(body)?.[0] ?? '';
        const monthly = row('flights_ui/monthly');
        assert.match(monthly, /data-paused="no"/);
        assert.match(monthly, /<code>0 6 1 \* \*<\/code><\/td><td>Europe\/Paris<\/td><td>latest/);
        // 06:00 in Paris on the 1st: 05:00Z in winter, 04:00Z in summer; three, in order.
        const next = [...monthly.matchAll(/<li>(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z)<\/li>/g)].map((m) => m[1]!);
        assert.equal(next.length, 3, monthly);
        for (const t of next) assert.match(t, /-01 0[45]:00:00Z$/);
        assert.ok(next[0]! > new Date(now).toISOString().replace('T', ' ') && next[0]! < next[1]! && next[1]! < next[2]!, next.join(' '));
        const last = (await fx.store.getRun(fx.failedRunId))!;
        assert.match(monthly, new RegExp(`2001-03-01 05:00:00Z<br><span class="state state-${last.state}">${last.state}</span> <a href="/runs/${fx.failedRunId}">`));
        const weekly = row('flights_ui/weekly');
        assert.match(weekly, /data-paused="yes"/);
        assert.match(weekly, /<strong>paused<\/strong>/);
        assert.match(weekly, /not while paused/);
        assert.match(weekly, /none yet/);
        const declared = row('nightly_ui/default');
        assert.match(declared, /America\/New_York/);
        assert.match(declared, /no scheduler has seen this schedule yet/);
        assert.equal((declared.match(/<li>/g) ?? []).length, 3);

        assert.match(body, /<div class="backfill-block" data-backfill="bf_ui_1" data-state="running">/);
        assert.match(body, /2 of 4 partitions succeeded/);
        assert.match(body, /aria-valuenow="50"/);
        assert.equal((body.match(/<rect x="\d+" y="0" width="\d+" height="18" fill="#[0-9a-f]+" data-partition=/g) ?? []).length, 4, 'one cell per partition');
        assert.deepEqual([...body.matchAll(/<tr data-partition="([^"]+)" data-state="([^"]+)">/g)].map((m) => `${m[1]} ${m[2]}`), ['2001-01 succeeded', '2001-02 succeeded', '2001-03 failed', '2001-04 pending']);
        assert.match(body, /hx-get="\/schedules\/live" hx-trigger="every 700ms"/, 'a running backfill is polled');
        const live = await withProject.inject({ url: '/schedules/live' });
        assert.match(live.body, /^<section id="schedules-live"/);

        await fx.store.schedules.updateBackfill(bf.id, { state: 'failed', finishedAt: now + 1, error: 'partition 2001-03 <failed>' }, now + 1);
        const after = await withProject.inject({ url: '/schedules' });
        assert.ok(!after.body.includes('hx-trigger'), 'a finished backfill is not polled');
        assert.match(after.body, /partition 2001-03 &lt;failed&gt;/);
      } finally { await withProject.close(); }
    });
  });
}

test('with a token: pages need it (bearer or the login cookie); static files do not', async () => {
  const fx = await uiFixture();
  const app = buildUi({ store: fx.store, artifacts: fx.artifacts, token: 'sekret-token-1' });
  try {
    const anon = await app.inject({ url: '/runs' });
    assert.equal(anon.statusCode, 303);
    assert.equal(anon.headers.location, '/login');
    assert.equal((await app.inject({ url: '/runs', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/runs', headers: { authorization: 'Bearer sekret-token-1' } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/static/htmx.min.js' })).statusCode, 200);
    const bad = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=nope' });
    assert.equal(bad.statusCode, 401);
    const login = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=sekret-token-1' });
    assert.equal(login.statusCode, 303);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^sluice_ui_token=/);
    assert.equal((await app.inject({ url: '/datasets', headers: { cookie } })).statusCode, 200);
  } finally { await app.close(); await fx.dispose(); }
});
