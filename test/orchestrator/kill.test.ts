/**
 * Prove it by killing it: real `sluice` processes (the CLI from source) killed with real signals, on
 * SQLite (the embedded default). PostgreSQL kill tests of workers live with the distributed executor.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { DatasetCatalog } from '../../src/data/index.ts';
import { openEngine } from '../../src/engine/index.ts';
import { LocalExecutor, pipeline } from '../../src/orchestrator/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { MetadataStore } from '../../src/store/types.ts';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'test/orchestrator/fixtures/cli.ts');
const killPipeline = join(root, 'test/orchestrator/fixtures/kill-pipeline.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child { proc: ChildProcess; stderr: string[]; stdout: string[]; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> }

function sluice(args: string[], env: Record<string, string>, cwd = root): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd, env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  const stdout: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  proc.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) => proc.on('exit', (code, signal) => r({ code, signal, at: Date.now() })));
  return { proc, stderr, stdout, exit };
}

async function waitFor(child: Child, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(child.stderr.join(''))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern} in:\n${child.stderr.join('')}`);
    if (child.proc.exitCode !== null) throw new Error(`process exited (${child.proc.exitCode}) before ${pattern}:\n${child.stderr.join('')}`);
    await sleep(20);
  }
}

/** Landing data: six months of events, some rows bad (quarantined by the suite). */
function landing(dir: string, months = 6): string {
  const src = join(dir, 'land');
  let id = 0;
  for (let m = 1; m <= months; m++) {
    const month = `2001-0${m}`;
    mkdirSync(join(src, `month=${month}`), { recursive: true });
    const rows: string[] = [];
    for (let i = 0; i < 25; i++) { id++; rows.push(`${id},${i % 10 === 0 ? 900 : i},c${i % 3}`); }
    writeFileSync(join(src, `month=${month}`, 'part-0.csv'), `id,delay,code\n${rows.join('\n')}\n`);
  }
  return src;
}

async function contents(store: MetadataStore, name: string): Promise<string[]> {
  const live = (await store.listDatasetVersions(name)).filter((v) => v.expiredAt === null);
  const latest = new Map<string, number>();
  for (const v of live) if (!latest.has(v.partition ?? '')) latest.set(v.partition ?? '', v.rowCount);
  return [...latest].map(([p, n]) => `${p}:${n}`).sort();
}

test('SIGKILL inside a step\'s commit registers nothing; the run is closed, and `runs retry` produces what the first run would have', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kill-commit-'));
  const src = landing(dir);
  const env = { SLUICE_HOME: join(dir, 'home'), KILL_SRC: src, SLUICE_LEASE_MS: '1000' };
  const first = sluice(['run', killPipeline], { ...env, SLUICE_TEST_PAUSE_IN_COMMIT: 'ingest' });
  await waitFor(first, /SLUICE_TEST_PAUSED_IN_COMMIT ingest/);
  first.proc.kill('SIGKILL');
  await first.exit;

  const store = await openMetadataStore({ home: env.SLUICE_HOME });
  try {
    const [run] = await store.listRuns({ pipeline: 'killme' });
    assert.equal(run!.state, 'running', 'the dead process could not record anything');
    assert.equal((await store.listDatasetVersions('events')).length, 0, 'no month registered without its quarantine');
    assert.equal((await store.listDatasetVersions('events_quarantine')).length, 0);

    await sleep(1200); // the dead owner's lease runs out
    const retry = sluice(['runs', 'retry', run!.id], env);
    const done = await retry.exit;
    assert.equal(done.code, 0, retry.stderr.join('') + retry.stdout.join(''));
    const after = (await store.getRun(run!.id))!;
    assert.equal(after.state, 'succeeded');
    const tasks = await store.listTaskRuns(run!.id);
    assert.equal(tasks.find((t) => t.step === 'ingest')!.attempt, 2);

    // What a clean run makes, in a fresh home.
    const clean = sluice(['run', killPipeline], { ...env, SLUICE_HOME: join(dir, 'clean') });
    assert.equal((await clean.exit).code, 0, clean.stderr.join(''));
    const cleanStore = await openMetadataStore({ home: join(dir, 'clean') });
    try {
      assert.deepEqual(await contents(store, 'events'), await contents(cleanStore, 'events'));
      assert.deepEqual(await contents(store, 'events_quarantine'), await contents(cleanStore, 'events_quarantine'));
      assert.equal((await contents(store, 'events')).length, 6);
      assert.equal((await contents(store, 'events_quarantine')).length, 6);
    } finally { await cleanStore.close(); }
  } finally { await store.close(); }
});

test('SIGKILL during a step: a live process\'s reaper closes the run within its lease, and `runs retry` completes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kill-step-'));
  const src = landing(dir, 2);
  const home = join(dir, 'home');
  const env = { SLUICE_HOME: home, KILL_SRC: src, SLUICE_LEASE_MS: '1000' };
  const first = sluice(['run', killPipeline], { ...env, KILL_SLEEP_MS: '60000' });
  await waitFor(first, /KILL_WAITING/);
  first.proc.kill('SIGKILL');
  const killedAt = (await first.exit).at;

  // Another long-lived process (here: this one) runs the reaper as part of its executor.
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  const live = new LocalExecutor({ store, artifacts, engine, leaseMs: 1000 });
  try {
    const other = await live.submit(pipeline('other').step('x', [], () => 1).build());
    const [run] = await store.listRuns({ pipeline: 'killme' });
    while ((await store.getRun(run!.id))!.state === 'running') {
      assert.ok(Date.now() - killedAt < 30_000, 'noticed within 30 s');
      await sleep(100);
    }
    const closed = (await store.getRun(run!.id))!;
    assert.equal(closed.state, 'failed');
    assert.match(closed.error ?? '', /stopped: its lease expired.*sluice runs retry/);
    const states = Object.fromEntries((await store.listTaskRuns(run!.id)).map((t) => [t.step, t.state]));
    assert.deepEqual(states, { ingest: 'succeeded', wait: 'failed', summary: 'cancelled' });
    assert.equal(await store.getDatasetVersion('staged_in_wait'), undefined);
    await live.wait(other.id);

    const retry = sluice(['runs', 'retry', run!.id], env);
    assert.equal((await retry.exit).code, 0, retry.stderr.join(''));
    const resumed = (await store.getRun(run!.id))!;
    assert.equal(resumed.state, 'succeeded');
    const ingest = (await store.listTaskRuns(run!.id)).find((t) => t.step === 'ingest')!;
    assert.equal(ingest.attempt, 1, 'the succeeded ingest was not run again');
    assert.equal((await store.listDatasetVersions('events')).length, 2);
  } finally {
    await live.close();
    await engine.close();
    await store.close();
  }
});

test('SIGTERM during a long step that ignores its signal: the process exits within 1 s, the run cancelled, nothing of the step registered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kill-term-'));
  const src = landing(dir, 1);
  const home = join(dir, 'home');
  for (const ignore of ['1', '0']) {
    const child = sluice(['run', killPipeline], { SLUICE_HOME: home, KILL_SRC: src, KILL_SLEEP_MS: '60000', KILL_IGNORE_SIGNAL: ignore });
    await waitFor(child, /KILL_WAITING/);
    const sent = Date.now();
    child.proc.kill('SIGTERM');
    const exit = await child.exit;
    assert.ok(exit.at - sent <= 1000, `exited ${exit.at - sent} ms after SIGTERM (ignore=${ignore})`);
    assert.equal(exit.code, 130, child.stderr.join(''));
  }
  const store = await openMetadataStore({ home });
  try {
    const runs = await store.listRuns({ pipeline: 'killme' });
    assert.deepEqual(runs.map((r) => r.state), ['cancelled', 'cancelled']);
    for (const r of runs) {
      const states = Object.fromEntries((await store.listTaskRuns(r.id)).map((t) => [t.step, t.state]));
      assert.equal(states['wait'], 'cancelled');
      assert.equal(states['summary'], 'cancelled');
    }
    assert.equal(await store.getDatasetVersion('staged_in_wait'), undefined);
  } finally { await store.close(); }
});

for (const mode of ['partition', 'watermark'] as const) {
  test(`two overlapping ${mode} ingests of one dataset from two processes never duplicate a row`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `sluice-race-${mode}-`));
    const src = landing(dir, 3);
    const home = join(dir, 'home');
    const barrier = join(dir, 'barrier');
    const env = { SLUICE_HOME: home, KILL_SRC: src, KILL_MODE: mode, KILL_BARRIER: barrier, KILL_BARRIER_N: '2' };
    // A plans and stages; then more data lands (a new month); then B plans and stages; both commit.
    const a = sluice(['run', killPipeline], env);
    await waitFor(a, /KILL_STAGED/);
    mkdirSync(join(src, 'month=2001-04'), { recursive: true });
    writeFileSync(join(src, 'month=2001-04', 'part-0.csv'), 'id,delay,code\n1001,5,c1\n1002,6,c2\n1003,7,c0\n');
    const b = sluice(['run', killPipeline], env);
    const [ea, eb] = await Promise.all([a.exit, b.exit]);
    assert.equal(ea.code, 0, a.stderr.join(''));
    assert.equal(eb.code, 0, b.stderr.join(''));

    const store = await openMetadataStore({ home });
    const engine = await openEngine();
    try {
      const artifacts = await openArtifactStore({ home });
      const current = await new DatasetCatalog(store, artifacts).current('events');
      const paths = current!.parts.map((p) => `'${p.path}'`).join(', ');
      const [row] = await engine.rows(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM read_parquet([${paths}], union_by_name = true)`);
      assert.equal(row!['n'], row!['d'], `${mode}: ${String(row!['n'])} rows for ${String(row!['d'])} ids`);
      // Every clean row of the landing data is there once (the suite quarantined delay 900).
      assert.equal(row!['d'], 3 * 25 - 3 * 3 + 3);
    } finally { await engine.close(); await store.close(); }
  });
}

test('concurrent writers with keepVersions 1 (two processes): no registered live version lost its file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-retention-'));
  const home = join(dir, 'home');
  const script = join(dir, 'writer.mts');
  writeFileSync(script, `
    import { DatasetCatalog } from ${JSON.stringify(join(root, 'src/data/index.ts'))};
    import { openEngine } from ${JSON.stringify(join(root, 'src/engine/index.ts'))};
    import { openArtifactStore, openMetadataStore } from ${JSON.stringify(join(root, 'src/store/index.ts'))};
    const store = await openMetadataStore({ home: ${JSON.stringify(home)} });
    const artifacts = await openArtifactStore({ home: ${JSON.stringify(home)} });
    const engine = await openEngine();
    const catalog = new DatasetCatalog(store, artifacts);
    for (let i = 0; i < 40; i++) {
      // Few distinct contents: writers keep reusing files that retention is expiring.
      const staged = await catalog.stage(engine, 'kept', 'SELECT ' + (i % 3) + ' AS x', { runId: null, step: null, inputs: [], partition: null }, { retention: { keepVersions: 1 } });
      await catalog.commit(staged);
    }
    await engine.close(); await store.close();
  `);
  // Create the database first so the two writers do not race on the first migration.
  await (await openMetadataStore({ home })).close();
  const writers = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] }));
  const errors: string[] = [];
  for (const w of writers) w.stderr!.on('data', (d: Buffer) => errors.push(d.toString()));
  const codes = await Promise.all(writers.map((w) => new Promise<number | null>((r) => w.on('exit', (c) => r(c)))));
  assert.deepEqual(codes, [0, 0], errors.join(''));
  const store = await openMetadataStore({ home });
  try {
    const artifacts = await openArtifactStore({ home });
    const versions = await store.listDatasetVersions('kept');
    assert.equal(versions.length, 80);
    const live = versions.filter((v) => v.expiredAt === null);
    assert.ok(live.length >= 1);
    for (const v of live) assert.ok(existsSync(artifacts.path(v.artifact)), `live version ${v.version} lost its file`);
  } finally { await store.close(); }
});
