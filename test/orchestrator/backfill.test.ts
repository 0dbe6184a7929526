// Backfills through an Executor on a real SQLite store: order, range, resume, completion, no
// scheduled runs, no batch waits, no starvation behind scheduled runs, 3,000 partitions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import { openEngine, type Engine } from '../../src/engine/index.ts';
import { runBackfill, type BackfillEvent } from '../../src/orchestrator/backfill.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { daily, monthly } from '../../src/orchestrator/partitions.ts';
import { Scheduler } from '../../src/orchestrator/scheduler.ts';
import { localExecutor } from '../../src/orchestrator/local.ts';
import type { PipelineGraph } from '../../src/orchestrator/graph.ts';
import type { Executor } from '../../src/orchestrator/executor-types.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { MetadataStore } from '../../src/store/types.ts';

interface Env { dir: string; store: MetadataStore; engine: Engine; executor: Executor; other: Executor; close(): Promise<void> }

async function env(): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-backfill-'));
  const store = await openMetadataStore(`sqlite:${join(dir, 'sluice.db')}`);
  const artifacts = await openArtifactStore({ root: join(dir, 'artifacts') });
  const engine = await openEngine();
  const executor = localExecutor({ store, artifacts, engine, concurrency: 2 });
  // What a second process (a scheduler beside the backfill) would have: its own executor on the same store.
  const other = localExecutor({ store, artifacts, engine, concurrency: 2 });
  return {
    dir, store, engine, executor, other,
    async close() { await executor.close(); await other.close(); await engine.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

const file = (graph: PipelineGraph) => ({ name: graph.name, graph, file: '/nowhere/pipeline.ts' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A monthly pipeline whose step records what it saw; fails for a partition while `<dir>/fail-<partition>` exists. */
function months(dir: string, dependsOnPrevious: boolean, stepMs: (partition: string) => number = () => 5) {
  return pipeline('months', { partitions: monthly({ start: '2001-01', end: '2001-12', dependsOnPrevious }), schedule: { cron: '0 6 1 * *' } })
    .step('work', [], async (_in, ctx) => {
      await sleep(stepMs(ctx.run.partition!));
      if (existsSync(join(dir, `fail-${ctx.run.partition}`))) throw new Error(`asked to fail ${ctx.run.partition}`);
      return { partition: ctx.run.partition, logicalDate: ctx.run.logicalDate };
    })
    .build();
}

async function runsOf(store: MetadataStore) {
  return (await store.listRuns({ limit: 100_000 })).reverse();
}

describe('backfill', () => {
  it('runs one run per partition in its range, in order when partitions depend on the previous one; never outside the range, never a scheduled run', async () => {
    const e = await env();
    try {
      const graph = months(e.dir, true);
      const events: BackfillEvent[] = [];
      const r = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-02', to: '2001-05', parallel: 4, onEvent: (ev) => events.push(ev) });
      assert.equal(r.backfill.state, 'succeeded');
      const runs = await runsOf(e.store);
      assert.deepEqual(runs.map((x) => x.partition), ['2001-02', '2001-03', '2001-04', '2001-05'], 'in order, only the range');
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startedAt! >= runs[i - 1]!.finishedAt!, 'one at a time: each starts after the previous ended');
      assert.ok(runs.every((x) => x.trigger === 'backfill' && x.backfillId === r.backfill.id));
      assert.deepEqual(runs.map((x) => x.logicalDate), ['2001-02-01', '2001-03-01', '2001-04-01', '2001-05-01'].map((d) => Date.parse(`${d}T00:00:00Z`)));
      const tasks = await e.store.listTaskRuns(runs[0]!.id);
      assert.deepEqual(tasks[0]!.output, { partition: '2001-02', logicalDate: Date.parse('2001-02-01T00:00:00Z') }, 'ctx.run has partition and logical date');
      assert.ok(events.some((ev) => ev.type === 'note' && /one at a time/.test(ev.message)));
      // No schedule occurrence recorded, and a scheduler started afterwards does not run the backfilled months.
      assert.equal((await e.store.schedules.listOccurrences('months')).length, 0);
      const clock = new ManualClock(Date.parse('2001-05-20T00:00:00Z'));
      const scheduler = new Scheduler({ store: e.store, executor: e.executor, pipelines: [file(graph)], clock });
      const t = await scheduler.tick();
      assert.equal(t.submitted.length, 0);
      assert.equal((await runsOf(e.store)).length, 4);
      await assert.rejects(runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2000-12', to: '2001-02' }), /outside pipeline "months"/);
      assert.equal((await runsOf(e.store)).length, 4, 'a range outside the declaration creates nothing');
    } finally {
      await e.close();
    }
  });

  it('is resumable: run it again and only the partitions that did not succeed run (in order: the failed one and those after it)', async () => {
    const e = await env();
    try {
      const graph = months(e.dir, true);
      writeFileSync(join(e.dir, 'fail-2001-03'), '');
      const first = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-05' });
      assert.equal(first.backfill.state, 'failed');
      assert.match(first.backfill.error ?? '', /partition 2001-03 failed/);
      assert.deepEqual((await runsOf(e.store)).map((r) => `${r.partition}:${r.state}`), ['2001-01:succeeded', '2001-02:succeeded', '2001-03:failed'], 'stopped at the failure');
      rmSync(join(e.dir, 'fail-2001-03'));
      const again = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-05' });
      assert.equal(again.backfill.id, first.backfill.id, 'the same backfill, resumed');
      assert.equal(again.backfill.state, 'succeeded');
      assert.deepEqual((await runsOf(e.store)).slice(3).map((r) => `${r.partition}:${r.state}`), ['2001-03:succeeded', '2001-04:succeeded', '2001-05:succeeded']);
      const third = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-05' });
      assert.equal(third.backfill.state, 'succeeded');
      assert.equal((await runsOf(e.store)).length, 6, 'nothing left to run');
    } finally {
      await e.close();
    }
  });

  it('in parallel, keeps N runs going (no waiting for a batch) and runs the other partitions when one fails', async () => {
    const e = await env();
    try {
      // 2001-01 is slow; with 2 at once, 2001-03.. must start while it still runs.
      const graph = months(e.dir, false, (p) => (p === '2001-01' ? 1500 : 30));
      writeFileSync(join(e.dir, 'fail-2001-04'), '');
      const r = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-06', parallel: 2 });
      assert.equal(r.backfill.state, 'failed');
      const runs = await runsOf(e.store);
      const by = new Map(runs.map((x) => [x.partition, x]));
      assert.equal(runs.length, 6);
      assert.equal(by.get('2001-04')!.state, 'failed');
      assert.ok(['2001-01', '2001-02', '2001-03', '2001-05', '2001-06'].every((p) => by.get(p)!.state === 'succeeded'));
      assert.ok(by.get('2001-03')!.startedAt! < by.get('2001-01')!.finishedAt!, 'the third partition started before the first (slow) one finished');
      assert.ok(by.get('2001-06')!.startedAt! < by.get('2001-01')!.finishedAt!);
      rmSync(join(e.dir, 'fail-2001-04'));
      const again = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-06', parallel: 2 });
      assert.equal(again.backfill.state, 'succeeded');
      assert.deepEqual((await runsOf(e.store)).slice(6).map((x) => x.partition), ['2001-04'], 'only the failed partition ran again');
    } finally {
      await e.close();
    }
  });

  it('is not marked complete while its runs are queued or running', async () => {
    const e = await env();
    try {
      const graph = months(e.dir, false, () => 300);
      const seen: string[] = [];
      const done = runBackfill({
        store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-04', parallel: 4,
        onEvent: (ev) => { if (ev.type === 'start') seen.push(ev.partition); },
      });
      while (seen.length < 4) await sleep(10);
      const during = (await e.store.schedules.listBackfills())[0]!;
      assert.equal(during.state, 'running', 'all submitted, none finished: still running');
      const counts = await e.store.schedules.countBackfillPartitions(during.id);
      assert.equal(counts.submitted, 4);
      const r = await done;
      assert.equal(r.backfill.state, 'succeeded');
      assert.equal((await e.store.schedules.getBackfill(during.id))!.state, 'succeeded');
    } finally {
      await e.close();
    }
  });

  it('does not starve behind a backlog of scheduled runs', async () => {
    const e = await env();
    try {
      // A scheduler (its own process, so its own executor) catches up 60 missed per-second occurrences of
      // a slow pipeline; the backfill, started meanwhile, does not queue behind them.
      const busy = pipeline('busy', { schedule: { cron: '* * * * * *', catchUp: 'all' } }).step('s', [], () => sleep(2000)).build();
      const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
      const scheduler = new Scheduler({ store: e.store, executor: e.other, pipelines: [file(busy)], clock });
      await scheduler.sync();
      clock.advance(60_000);
      const backlog = await scheduler.tick();
      assert.equal(backlog.submitted.length, 60);
      const graph = months(e.dir, false, () => 5);
      const started = Date.now();
      const r = await runBackfill({ store: e.store, executor: e.executor, pipeline: file(graph), from: '2001-01', to: '2001-06', parallel: 2 });
      assert.equal(r.backfill.state, 'succeeded');
      const stillGoing = (await e.store.listRuns({ pipeline: 'busy', limit: 100 })).filter((x) => x.state === 'running' || x.state === 'pending').length;
      assert.ok(stillGoing > 0, `the backfill finished (${Date.now() - started} ms) while scheduled runs were still going (${stillGoing})`);
    } finally {
      await e.close();
    }
  });

  it('plans and records 3,000 daily partitions in bounded time and memory, and runs them', { timeout: 600_000 }, async () => {
    const e = await env();
    try {
      const graph = pipeline('days', { partitions: daily({ start: '2000-01-01' }) }).step('s', [], (_in, ctx) => ctx.run.partition).build();
      let planned = 0;
      let planMs = 0;
      const t0 = performance.now();
      global.gc?.();
      const heap0 = process.memoryUsage().heapUsed;
      let peak = heap0;
      let ended = 0;
      const r = await runBackfill({
        store: e.store, executor: e.executor, pipeline: file(graph), from: '2000-01-01', to: '2008-03-18', parallel: 8,
        onEvent: (ev) => {
          if (ev.type === 'plan') { planned = ev.backfill.partitions; planMs = performance.now() - t0; }
          if (ev.type === 'end' && ++ended % 250 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        },
      });
      assert.equal(planned, 3000);
      assert.equal(r.backfill.state, 'succeeded');
      assert.equal(r.progress.succeeded, 3000);
      const runs = await e.store.listRunsByBackfill(r.backfill.id);
      assert.equal(runs.length, 3000);
      assert.equal(new Set(runs.map((x) => x.partition)).size, 3000);
      console.log(`# 3,000 partitions: planned in ${planMs.toFixed(0)} ms, all run in ${((performance.now() - t0) / 1000).toFixed(1)} s, heap growth ${((peak - heap0) / 1e6).toFixed(1)} MB`);
      assert.ok(planMs < 20_000, `planning took ${planMs} ms`);
      assert.ok(peak - heap0 < 200e6, `heap grew ${(peak - heap0) / 1e6} MB`);
    } finally {
      await e.close();
    }
  });
});

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const project = join(root, 'test/fixtures/schedule-project/sluice.config.ts');

describe('sluice backfill, killed', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, () => {
  it('SIGKILL the backfill mid-run and run it again: succeeded months are kept, the one in flight runs again, the rest once', { timeout: 120_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-backfill-kill-'));
    const args = ['backfill', 'slow_months', '--project', project, '--from', '2001-01', '--to', '2001-04'];
    try {
      const first = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, SLUICE_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      await new Promise<void>((res, rej) => {
        first.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (/> 2001-02/.test(err)) res(); });
        first.on('exit', () => rej(new Error(`backfill exited early: ${err}`)));
      });
      first.kill('SIGKILL');
      await new Promise((r) => first.on('exit', r));
      const again = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, SLUICE_HOME: home }, encoding: 'utf8' });
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /resuming backfill .*1 already succeeded; 3 to run/);
      const store = await openMetadataStore(`sqlite:${join(home, 'sluice.db')}`);
      try {
        const runs = (await store.listRuns({ limit: 100 })).reverse();
        assert.deepEqual(runs.map((r) => `${r.partition}:${r.state}`), ['2001-01:succeeded', '2001-02:failed', '2001-02:succeeded', '2001-03:succeeded', '2001-04:succeeded']);
        assert.match(runs[1]!.error ?? '', /stopped: its lease expired/);
        const b = (await store.schedules.listBackfills())[0]!;
        assert.equal(b.state, 'succeeded');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
