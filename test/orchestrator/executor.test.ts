import { describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine } from '../../src/engine/index.ts';
import { pipeline, runPipeline, type RunEvent } from '../../src/orchestrator/index.ts';
import { LocalExecutor } from '../../src/orchestrator/local.ts';
import { reap } from '../../src/orchestrator/reaper.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { ArtifactStore, MetadataStore } from '../../src/store/types.ts';
import { metadataBackends, type MetadataBackend } from '../helpers/databases.ts';

// Every executor test runs against each metadata backend (SQLite, PostgreSQL).
for (const backend of metadataBackends) describe(`executor on ${backend.name}`, { skip: backend.skip }, () => executorSuite(backend));

function executorSuite(backend: MetadataBackend): void {
  const test = nodeTest;

  async function setup(): Promise<{ store: MetadataStore; artifacts: ArtifactStore; engine: Engine; close: () => Promise<void> }> {
    const home = mkdtempSync(join(tmpdir(), 'sluice-exec-'));
    const db = await backend.fresh();
    const store = await openMetadataStore({ url: db.url });
    const artifacts = await openArtifactStore({ home });
    const engine = await openEngine();
    return { store, artifacts, engine, close: async () => { await engine.close(); await store.close(); await db.dispose(); } };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('runs steps in dependency order, independent ones concurrently, and records every task run', async () => {
    const env = await setup();
    try {
      const log: string[] = [];
      let active = 0, maxActive = 0;
      const slow = async (name: string) => { active++; maxActive = Math.max(maxActive, active); log.push(`start ${name}`); await sleep(300); log.push(`end ${name}`); active--; return name; };
      const g = pipeline('p')
        .step('a', [], () => slow('a'))
        .step('b', ['a'], () => slow('b'))
        .step('c', ['a'], () => slow('c'))
        .step('d', ['b', 'c'], ({ b, c }) => `${b}+${c}`)
        .build();
      const events: RunEvent[] = [];
      const result = await runPipeline(g, { ...env, concurrency: 4, onEvent: (e) => events.push(e) });
      assert.equal(result.state, 'succeeded');
      assert.equal(result.outputs['d'], 'b+c');
      assert.equal(maxActive, 2, 'b and c ran at the same time');
      assert.ok(log.indexOf('end a') < log.indexOf('start b'));
      const run = await env.store.getRun(result.runId);
      assert.equal(run?.state, 'succeeded');
      assert.ok(run!.finishedAt! >= run!.startedAt!);
      const tasks = await env.store.listTaskRuns(result.runId);
      assert.deepEqual(tasks.map((t) => [t.step, t.state, t.attempt]), [['a', 'succeeded', 1], ['b', 'succeeded', 1], ['c', 'succeeded', 1], ['d', 'succeeded', 1]]);
      for (const t of tasks) { assert.ok(t.durationMs !== null && t.durationMs >= 0); assert.ok(t.startedAt! <= t.finishedAt!); }
      assert.equal(tasks[3]!.output, 'b+c');
      assert.equal(events[0]!.type, 'run-start');
      assert.equal(events.at(-1)!.type, 'run-end');
    } finally { await env.close(); }
  });

  test('a failing step records its error and stack; dependents are skipped; the run fails', async () => {
    const env = await setup();
    try {
      const g = pipeline('p')
        .step('ok', [], () => 1)
        .step('boom', ['ok'], () => { throw new Error('kaboom at row 7'); })
        .step('after', ['boom'], () => 2)
        .step('side', ['ok'], () => 3)
        .build();
      const result = await runPipeline(g, env);
      assert.equal(result.state, 'failed');
      assert.match(result.error!.message, /Step "boom" of pipeline "p" failed \(run run_[a-z0-9]+\): kaboom at row 7/);
      const tasks = Object.fromEntries((await env.store.listTaskRuns(result.runId)).map((t) => [t.step, t]));
      assert.equal(tasks['boom']!.state, 'failed');
      assert.equal(tasks['boom']!.error, 'kaboom at row 7');
      assert.match(tasks['boom']!.errorStack!, /executor\.test\.ts/);
      assert.equal(tasks['after']!.state, 'skipped');
      assert.equal(tasks['side']!.state, 'succeeded');
      const run = await env.store.getRun(result.runId);
      assert.equal(run!.state, 'failed');
      assert.match(run!.error!, /kaboom/);
    } finally { await env.close(); }
  });

  test('retries a failing step and records the attempts', async () => {
    const env = await setup();
    try {
      let calls = 0;
      const g = pipeline('p').step('flaky', [], (_i, ctx) => { calls++; if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`); return 'ok'; }, { retries: 3, retryDelayMs: 5 }).build();
      const result = await runPipeline(g, env);
      assert.equal(result.state, 'succeeded');
      assert.equal(calls, 3);
      const [task] = await env.store.listTaskRuns(result.runId);
      assert.equal(task!.attempt, 3);
      assert.ok(task!.logs.some((l) => l.includes('attempt 1 failed: fail 1')));
    } finally { await env.close(); }
  });

  test('datasets and models are registered only when their step succeeds, with lineage', async () => {
    const env = await setup();
    try {
      const g = pipeline('p')
        .step('make', [], (_i, ctx) => ctx.datasets.write('numbers', 'SELECT range AS i FROM range(10)'))
        .step('broken', ['make'], async ({ make }, ctx) => {
          await ctx.datasets.write('never', `SELECT * FROM ${ctx.datasets.sql(make)}`);
          throw new Error('fails after writing');
        })
        .build();
      const result = await runPipeline(g, env);
      assert.equal(result.state, 'failed');
      const numbers = await env.store.getDatasetVersion('numbers');
      assert.equal(numbers?.rowCount, 10);
      assert.equal(numbers?.runId, result.runId);
      assert.equal(numbers?.step, 'make');
      assert.equal(await env.store.getDatasetVersion('never'), undefined, 'the failed step registered nothing');
      const out = result.outputs['make'] as { kind: string; version: number };
      assert.equal(out.kind, 'dataset');
      assert.equal(out.version, 1);
    } finally { await env.close(); }
  });

  test('cancelling a run interrupts the running step, cancels the rest and registers nothing half-made', async () => {
    const env = await setup();
    try {
      const controller = new AbortController();
      const g = pipeline('p')
        .step('first', [], (_i, ctx) => ctx.datasets.write('first', 'SELECT 1 AS x'))
        .step('long', ['first'], async (_i, ctx) => {
          const staged = await ctx.datasets.write('partial', 'SELECT range AS i FROM range(100)');
          controller.abort();
          // A long query that the cancel interrupts.
          await ctx.engine.run('SELECT count(*) FROM range(10000000000) a');
          return staged;
        })
        .step('later', ['long'], () => 1)
        .build();
      const result = await runPipeline(g, { ...env, signal: controller.signal });
      assert.equal(result.state, 'cancelled');
      const tasks = Object.fromEntries((await env.store.listTaskRuns(result.runId)).map((t) => [t.step, t.state]));
      assert.deepEqual(tasks, { first: 'succeeded', long: 'cancelled', later: 'cancelled' });
      assert.equal((await env.store.getRun(result.runId))!.state, 'cancelled');
      assert.ok(await env.store.getDatasetVersion('first'));
      assert.equal(await env.store.getDatasetVersion('partial'), undefined);
    } finally { await env.close(); }
  });

  test('a late heartbeat does not make the process reap the run it is driving itself', async () => {
    // A step that holds the process past the lease (a long synchronous fit) delays the heartbeat; the
    // process is alive, so its own reaper must renew, not close, the run (it used to fail the run with
    // "the process running it stopped" while the step was still working).
    const env = await setup();
    const executor = new LocalExecutor({ store: env.store, artifacts: env.artifacts, engine: env.engine, leaseMs: 300, heartbeatMs: 60_000, reapEveryMs: 50 });
    try {
      const g = pipeline('late_heartbeat').step('slow', [], async () => { await sleep(1000); return 'done'; }).step('after', ['slow'], ({ slow }) => `${slow}!`).build();
      const run = await executor.submit(g);
      const finished = await executor.wait(run.id);
      assert.equal(finished.state, 'succeeded', finished.error ?? '');
      assert.deepEqual((await env.store.listTaskRuns(run.id)).map((t) => t.state), ['succeeded', 'succeeded']);
      // Another process's reaper, meanwhile, still finds the lease renewed by the driving process.
      assert.deepEqual((await reap(env.store, { now: Date.now() })).closedRuns, []);
    } finally { await executor.close(); await env.close(); }
  });

  // On SQLite only: PostgreSQL's connection pool keeps idle timers of its own, which the count would see.
  test('close waits for the steps it cancelled, then leaves no timer behind (the process can exit at once)', { skip: !/sqlite/i.test(backend.name) && 'counts timers: SQLite only' }, async () => {
    const env = await setup();
    const executor = new LocalExecutor({ store: env.store, artifacts: env.artifacts, engine: env.engine, leaseMs: 5000 });
    try {
      let started!: () => void;
      const running = new Promise<void>((r) => { started = r; });
      const g = pipeline('close_grace').step('waits', [], async (_in, ctx) => {
        started();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return 1;
      }).build();
      const run = await executor.submit(g);
      await running;
      const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      // The step ends as soon as it is cancelled; a 60 s grace must not outlive it.
      await executor.close(60_000);
      assert.ok(timers() < before, `timers before close ${before}, after ${timers()} (the grace timer is still pending)`);
      assert.equal((await env.store.getRun(run.id))!.state, 'cancelled');
    } finally { await executor.close(); await env.close(); }
  });
}
