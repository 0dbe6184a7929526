// Backfills do not starve behind scheduled runs on the distributed queue (graphile-worker on a real
// PostgreSQL): with one worker slot and a scheduled run's 20 tasks already queued, a backfill run's
// three-step chain finishes long before the scheduled run does. Its tasks are queued with a higher
// priority; on a first-come queue each of its steps waited behind every scheduled task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../../src/engine/index.ts';
import { DistributedExecutor } from '../../src/orchestrator/distributed.ts';
import { GraphileTransport } from '../../src/orchestrator/distributed-transport.ts';
import type { PipelineGraph } from '../../src/orchestrator/graph.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { createWorkerAttemptRunner, startWorker } from '../../src/orchestrator/worker.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import { postgresBackend } from '../helpers/databases.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('a backfill run is not queued behind a scheduled run\'s tasks: its steps go first', { skip: postgresBackend.skip }, async () => {
  const db = await postgresBackend.fresh();
  const home = mkdtempSync(join(tmpdir(), 'sluice-priority-'));
  const store = await openMetadataStore({ url: db.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  const executor = await DistributedExecutor.open({ store, url: db.url });
  let scheduled = pipeline('prio_scheduled') as unknown as { step(n: string, i: string[], f: () => Promise<number>): typeof scheduled; build(): PipelineGraph };
  for (let i = 0; i < 20; i++) scheduled = scheduled.step(`t${i}`, [], async () => { await sleep(100); return i; });
  const graphs = new Map<string, PipelineGraph>([
    ['prio_scheduled', scheduled.build()],
    ['prio_backfill', pipeline('prio_backfill')
      .step('a', [], async () => { await sleep(100); return 1; })
      .step('b', ['a'], async ({ a }) => { await sleep(100); return a + 1; })
      .step('c', ['b'], async ({ b }) => { await sleep(100); return b + 1; })
      .build()],
  ]);
  try {
    // Both runs are queued before any worker takes a task: the scheduled run first.
    const sched = await executor.submit(graphs.get('prio_scheduled')!, { trigger: 'schedule', key: 'schedule:test' });
    const back = await executor.submit(graphs.get('prio_backfill')!, { trigger: 'backfill', key: 'backfill:test' });
    const runner = createWorkerAttemptRunner({
      store, artifacts, engine, transport: new GraphileTransport(), workerId: 'prio-worker', resolveGraph: async (run) => graphs.get(run.pipeline)!,
    });
    const worker = await startWorker({ store, url: db.url, runner, concurrency: 1, workerId: 'prio-worker' });
    try {
      const backDone = await executor.wait(back.id, { timeoutMs: 60_000 });
      const schedDone = await executor.wait(sched.id, { timeoutMs: 60_000 });
      assert.equal(backDone.state, 'succeeded', `${backDone.error}`);
      assert.equal(schedDone.state, 'succeeded', `${schedDone.error}`);
      const schedStarts = (await store.listTaskRuns(sched.id)).map((t) => t.startedAt!).sort((x, y) => x - y);
      const behind = schedStarts.filter((t) => t < backDone.finishedAt!).length;
      // One slot: the backfill's three steps, plus what the worker had fetched ahead of its next step.
      assert.ok(behind <= 6, `the backfill finished after ${behind} of the scheduled run's 20 tasks had started`);
    } finally {
      await worker.stop({ graceMs: 1000 });
    }
  } finally {
    await executor.close();
    await engine.close();
    await store.close();
    await db.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});
