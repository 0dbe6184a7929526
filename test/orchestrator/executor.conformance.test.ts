/**
 * The executor conformance suite: the same behaviour from every executor (executors.ts lists them), on
 * SQLite and PostgreSQL. Runs are durable state: outputs are read back by another executor instance,
 * retry resumes a run, cancel works from another store handle, a commit is all or nothing and fenced.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openEngine } from '../../src/engine/index.ts';
import { pipeline, type Executor } from '../../src/orchestrator/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { MetadataStore } from '../../src/store/types.ts';
import { metadataBackends, type MetadataBackend } from '../helpers/databases.ts';
import { executorFactories, type ExecutorEnv, type ExecutorFactory } from './executors.ts';

for (const factory of executorFactories) {
  for (const backend of metadataBackends) {
    const skip = backend.skip ?? (factory.postgresOnly && backend.name !== 'PostgreSQL' ? 'PostgreSQL only' : undefined);
    describe(`executor conformance: ${factory.name} on ${backend.name}`, { skip }, () => suite(factory, backend));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function suite(factory: ExecutorFactory, backend: MetadataBackend): void {
  async function setup(): Promise<ExecutorEnv & { executor: Executor; another(): Promise<{ executor: Executor; store: MetadataStore }>; close(): Promise<void> }> {
    const db = await backend.fresh();
    const home = mkdtempSync(join(tmpdir(), 'sluice-conf-'));
    const store = await openMetadataStore({ url: db.url });
    const artifacts = await openArtifactStore({ home });
    const engine = await openEngine();
    const env: ExecutorEnv = { store, artifacts, engine, url: db.url, leaseMs: 1500 };
    const executor = await factory.create(env);
    const others: { executor: Executor; store: MetadataStore }[] = [];
    return {
      ...env, executor,
      // Another "process": its own store connection and executor on the same database and artifacts.
      async another() {
        const s = await openMetadataStore({ url: db.url });
        const e = await factory.create({ ...env, store: s });
        others.push({ executor: e, store: s });
        return { executor: e, store: s };
      },
      async close() {
        for (const o of others) { await o.executor.close(); await o.store.close(); }
        await executor.close();
        await engine.close();
        await store.close();
        await db.dispose();
      },
    };
  }

  test('runs a graph; each step\'s output is persisted (datasets as refs) and the run ends succeeded', async () => {
    const env = await setup();
    try {
      const g = pipeline('diamond')
        .step('raw', [], (_i, ctx) => ctx.datasets.write('raw', 'SELECT range AS i FROM range(10)'))
        .step('left', ['raw'], ({ raw }) => ({ rows: raw.rowCount, version: raw.version }))
        .step('right', ['raw'], async ({ raw }, ctx) => Number((await ctx.engine.scalar(`SELECT sum(i) FROM ${ctx.datasets.sql(raw)}`))))
        .step('join', ['left', 'right'], ({ left, right }) => `${left.rows}:${right}`)
        .build();
      const submitted = await env.executor.submit(g);
      const run = await env.executor.wait(submitted.id, { timeoutMs: 30_000 });
      assert.equal(run.state, 'succeeded');
      assert.equal(run.executor, factory.name);
      const tasks = Object.fromEntries((await env.store.listTaskRuns(run.id)).map((t) => [t.step, t]));
      assert.deepEqual(Object.values(tasks).map((t) => t.state), ['succeeded', 'succeeded', 'succeeded', 'succeeded']);
      assert.deepEqual(tasks['raw']!.output, { $dataset: { name: 'raw', version: 1, id: (await env.store.getDatasetVersion('raw'))!.id } });
      assert.equal(tasks['raw']!.outputKind, 'value');
      assert.deepEqual(tasks['left']!.output, { rows: 10, version: 1 });
      assert.equal(tasks['join']!.output, '10:45');
      assert.equal(run.finishedAt !== null && run.startedAt !== null && run.finishedAt >= run.startedAt, true);
      assert.equal(run.owner, null, 'a finished run has no owner');
    } finally { await env.close(); }
  });

  test('submit is idempotent on its key: the second submit returns the same run and creates nothing', async () => {
    const env = await setup();
    try {
      let calls = 0;
      const g = pipeline('keyed').step('a', [], () => ++calls).build();
      const first = await env.executor.submit(g, { key: 'schedule:2001-01-01T00:00:00.000Z', trigger: 'schedule', logicalDate: Date.UTC(2001, 0, 1) });
      await env.executor.wait(first.id, { timeoutMs: 30_000 });
      const second = await env.executor.submit(g, { key: 'schedule:2001-01-01T00:00:00.000Z', trigger: 'schedule' });
      assert.equal(second.id, first.id);
      assert.equal(calls, 1);
      assert.equal((await env.store.listRuns({ pipeline: 'keyed' })).length, 1);
      const run = (await env.store.getRun(first.id))!;
      assert.equal(run.trigger, 'schedule');
      assert.equal(run.logicalDate, Date.UTC(2001, 0, 1));
      assert.equal(run.key, 'schedule:2001-01-01T00:00:00.000Z');
    } finally { await env.close(); }
  });

  test('a failed run is resumed by retry from another executor: only failed and skipped steps rerun, reading the succeeded outputs back', async () => {
    const env = await setup();
    try {
      const calls: string[] = [];
      let broken = true;
      const g = pipeline('resume')
        .step('make', [], (_i, ctx) => { calls.push('make'); return ctx.datasets.write('made', 'SELECT range AS i FROM range(5)'); })
        .step('check', ['make'], ({ make }) => { calls.push('check'); if (broken) throw new Error('not yet'); return make.rowCount; })
        .step('report', ['check'], ({ check }) => { calls.push('report'); return { rows: check }; })
        .build();
      const run = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.equal(run.state, 'failed');
      assert.match(run.error ?? '', /Step "check" of pipeline "resume" failed.*not yet/);
      const states = Object.fromEntries((await env.store.listTaskRuns(run.id)).map((t) => [t.step, t.state]));
      assert.deepEqual(states, { make: 'succeeded', check: 'failed', report: 'skipped' });

      broken = false;
      const other = await env.another();
      await other.executor.retry(run.id, { graph: g });
      const resumed = await other.executor.wait(run.id, { timeoutMs: 30_000 });
      assert.equal(resumed.state, 'succeeded');
      assert.deepEqual(calls, ['make', 'check', 'check', 'report'], 'make ran once; its dataset was read back');
      const tasks = Object.fromEntries((await env.store.listTaskRuns(run.id)).map((t) => [t.step, t]));
      assert.equal(tasks['check']!.attempt, 2);
      assert.deepEqual(tasks['report']!.output, { rows: 5 });
      assert.equal((await env.store.listDatasetVersions('made')).length, 1, 'nothing registered twice');
    } finally { await env.close(); }
  });

  test('retries a failing step with backoff, recording each attempt', async () => {
    const env = await setup();
    try {
      const times: number[] = [];
      const g = pipeline('flaky')
        .step('flaky', [], (_i, ctx) => { times.push(Date.now()); if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`); return ctx.attempt; }, { retries: 3, retryDelayMs: 40 })
        .build();
      const run = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.equal(run.state, 'succeeded');
      const [task] = await env.store.listTaskRuns(run!.id);
      assert.equal(task!.attempt, 3);
      assert.equal(task!.output, 3);
      assert.ok(task!.logs.some((l) => /attempt 1 failed: fail 1; retrying in \d+ ms/.test(l)));
      // Backoff with jitter: between half and all of 40 ms, then of 80 ms.
      assert.ok(times[1]! - times[0]! >= 18, `first retry after ${times[1]! - times[0]!} ms`);
      assert.ok(times[2]! - times[1]! >= 38, `second retry after ${times[2]! - times[1]!} ms`);
    } finally { await env.close(); }
  });

  test('a step over its timeout fails with a timeout error (and is retried if it has retries)', async () => {
    const env = await setup();
    try {
      const g = pipeline('slow')
        .step('slow', [], async (_i, ctx) => { if (ctx.attempt === 1) await sleep(5_000); return 'second attempt'; }, { timeoutMs: 200, retries: 1, retryDelayMs: 1 })
        .step('never', [], async (_i, ctx) => { await new Promise((r) => ctx.signal.addEventListener('abort', r)); return 1; }, { timeoutMs: 150 })
        .build();
      const started = Date.now();
      const run = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.ok(Date.now() - started < 4_000, 'the timeouts ended the attempts');
      const tasks = Object.fromEntries((await env.store.listTaskRuns(run.id)).map((t) => [t.step, t]));
      assert.equal(tasks['slow']!.state, 'succeeded');
      assert.equal(tasks['slow']!.attempt, 2);
      assert.equal(tasks['never']!.state, 'failed');
      assert.match(tasks['never']!.error ?? '', /timed out after 150 ms/);
      assert.equal(run.state, 'failed');
    } finally { await env.close(); }
  });

  test('cancel from another store handle: the running step\'s signal fires, nothing it staged is registered, the rest is cancelled', async () => {
    const env = await setup();
    try {
      let started!: () => void;
      const running = new Promise<void>((r) => { started = r; });
      const g = pipeline('cancel-me')
        .step('first', [], (_i, ctx) => ctx.datasets.write('kept', 'SELECT 1 AS x'))
        .step('long', ['first'], async (_i, ctx) => {
          await ctx.datasets.write('partial', 'SELECT range AS i FROM range(100)');
          started();
          await ctx.engine.run('SELECT count(*) FROM range(10000000000) a, range(10) b');
          return 'finished';
        })
        .step('later', ['long'], () => 1)
        .build();
      // Not awaited: the inline executor's submit returns only when the run is over.
      const submitting = env.executor.submit(g);
      await running;
      const [run] = await env.store.listRuns({ pipeline: 'cancel-me' });
      const waiting = env.executor.wait(run!.id, { timeoutMs: 30_000 });
      const other = await env.another();
      const t0 = Date.now();
      await other.executor.cancel(run!.id, 'testing');
      const done = await waiting;
      assert.equal((await submitting).id, run!.id);
      assert.ok(Date.now() - t0 < 5_000, `cancelled in ${Date.now() - t0} ms`);
      assert.equal(done.state, 'cancelled');
      const states = Object.fromEntries((await env.store.listTaskRuns(run!.id)).map((t) => [t.step, t.state]));
      assert.deepEqual(states, { first: 'succeeded', long: 'cancelled', later: 'cancelled' });
      assert.ok(await env.store.getDatasetVersion('kept'));
      assert.equal(await env.store.getDatasetVersion('partial'), undefined);
      assert.match(done.error ?? '', /cancelled: testing/);
      const long = (await env.store.listTaskRuns(run!.id)).find((t) => t.step === 'long')!;
      assert.match(long.error ?? '', /^cancelled: Step "long" of run \S+ was cancelled: testing$/, 'the step\'s record says why it was cancelled');
    } finally { await env.close(); }
  });

  test('a cached step reuses its recorded output on unchanged inputs and registers nothing new; noCache recomputes', async () => {
    const env = await setup();
    try {
      let fits = 0;
      const g = pipeline('cached', { params: { depth: 3 } })
        .step('data', [], (_i, ctx) => ctx.datasets.write('cdata', 'SELECT range AS i FROM range(20)'), { cache: true })
        .step('fit', ['data'], (_d, ctx) => { fits++; return ctx.datasets.write('cmodel', `SELECT ${ctx.params.depth} AS depth`); }, { cache: true })
        .build();
      const first = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.equal(first.state, 'succeeded');
      const second = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.equal(second.state, 'succeeded');
      assert.equal(fits, 1);
      const t2 = await env.store.listTaskRuns(second.id);
      const t1 = await env.store.listTaskRuns(first.id);
      assert.deepEqual(t2.map((t) => t.cachedFrom), t1.map((t) => t.id));
      assert.deepEqual(t2.map((t) => t.output), t1.map((t) => t.output));
      assert.equal((await env.store.listDatasetVersions('cmodel')).length, 1, 'a cache hit registers nothing');
      // A different param is a different key.
      await env.executor.wait((await env.executor.submit(g, { params: { depth: 4 } })).id, { timeoutMs: 30_000 });
      assert.equal(fits, 2);
      // --no-cache recomputes.
      const forced = await env.executor.wait((await env.executor.submit(g, { noCache: true })).id, { timeoutMs: 30_000 });
      assert.equal(fits, 3);
      assert.ok((await env.store.listTaskRuns(forced.id)).every((t) => t.cachedFrom === null));
    } finally { await env.close(); }
  });

  test('a step commits all or nothing: a failure inside the commit leaves no dataset, quarantine or model registered', async () => {
    const env = await setup();
    try {
      const g = pipeline('atomic')
        .step('many', [], async (_i, ctx) => {
          await ctx.datasets.write('part_a', 'SELECT 1 AS x');
          await ctx.datasets.write('part_b', 'SELECT 2 AS x');
          ctx.models.setAlias('nomodel', 'champion', 7); // no such model version: the commit fails
          return 'done';
        })
        .build();
      const run = await env.executor.wait((await env.executor.submit(g)).id, { timeoutMs: 30_000 });
      assert.equal(run.state, 'failed');
      assert.match(run.error ?? '', /nomodel has no version 7/);
      assert.equal(await env.store.getDatasetVersion('part_a'), undefined);
      assert.equal(await env.store.getDatasetVersion('part_b'), undefined);
    } finally { await env.close(); }
  });

  test('a worker that lost its lease cannot commit (the fence)', async () => {
    const env = await setup();
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let inStep!: () => void;
      const entered = new Promise<void>((r) => { inStep = r; });
      const g = pipeline('fenced')
        .step('slow', [], async (_i, ctx) => { await ctx.datasets.write('fenced_out', 'SELECT 1 AS x'); inStep(); await gate; return 'late'; })
        .build();
      const submitting = env.executor.submit(g);
      await entered;
      const [run] = await env.store.listRuns({ pipeline: 'fenced' });
      // Another process takes the task over (as the reaper does after a lease expires).
      const [task] = await env.store.listTaskRuns(run!.id);
      await env.store.transaction((tx) => tx.updateTaskRun(task!.id, { leaseOwner: 'wrk_someone_else' }).then(() => undefined));
      release();
      await sleep(500);
      assert.equal(await env.store.getDatasetVersion('fenced_out'), undefined, 'the stale attempt registered nothing');
      const after = (await env.store.getTaskRun(task!.id))!;
      assert.equal(after.state, 'running');
      assert.equal(after.leaseOwner, 'wrk_someone_else');
      await env.store.closeUnfinishedRuns('cancelled', 'test over', [run!.id]);
      await env.executor.cancel(run!.id, 'test over');
      await submitting.catch(() => undefined);
    } finally { await env.close(); }
  });
}
