// A run whose last steps commit at the same moment on PostgreSQL still finishes: each committer used to
// count the other's task as unfinished (READ COMMITTED), so neither closed the run, which stayed
// `running` with every task succeeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../../src/engine/index.ts';
import type { QueuedTask, TaskTransport } from '../../src/orchestrator/executor-types.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { submitRun } from '../../src/orchestrator/state.ts';
import { runTaskAttempt } from '../../src/orchestrator/task.ts';
import type { PipelineGraph } from '../../src/orchestrator/graph.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import { postgresBackend } from '../helpers/databases.ts';

test('PostgreSQL: a fan-out whose steps commit concurrently finishes its run (5 runs of 64 steps, 16 at once)', { skip: postgresBackend.skip }, async () => {
  const db = await postgresBackend.fresh();
  const home = mkdtempSync(join(tmpdir(), 'sluice-finish-'));
  const store = await openMetadataStore({ url: db.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    let p = pipeline('fan64') as unknown as { step(n: string, i: string[], f: () => Promise<number>): typeof p; build(): PipelineGraph };
    for (let i = 0; i < 64; i++) p = p.step(`t${i}`, [], async () => i);
    const graph = p.build();
    const queue: QueuedTask[] = [];
    const transport: TaskTransport = { async enqueue(_tx, tasks) { queue.push(...tasks); } };
    const env = { store, artifacts, engine, transport, workerId: 'w', resolveGraph: async () => graph };
    for (let r = 0; r < 5; r++) {
      const { run } = await submitRun(store, transport, graph, {}, { executor: 'distributed', owner: null, leaseMs: 15_000, now: Date.now() });
      await Promise.all(Array.from({ length: 16 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await runTaskAttempt(env, job, { graph });
      }));
      const tasks = await store.listTaskRuns(run.id);
      assert.equal(tasks.filter((t) => t.state === 'succeeded').length, 64);
      assert.equal((await store.getRun(run.id))?.state, 'succeeded', `run ${r + 1}: every task succeeded, so the run must have finished`);
    }
  } finally {
    await engine.close();
    await store.close();
    await db.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});

// The same race one level down: the inputs of one step committing at the same moment each saw the
// others still running, and none queued the step (without a run-wide lock on every commit).
test('PostgreSQL: a step whose 32 inputs commit concurrently is queued and runs (3 runs, 16 at once)', { skip: postgresBackend.skip }, async () => {
  const db = await postgresBackend.fresh();
  const home = mkdtempSync(join(tmpdir(), 'sluice-join-'));
  const store = await openMetadataStore({ url: db.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    let p = pipeline('join32') as unknown as { step(n: string, i: string[], f: (inputs: Record<string, number>) => Promise<number>): typeof p; build(): PipelineGraph };
    const inputs = Array.from({ length: 32 }, (_, i) => `t${i}`);
    for (const name of inputs) p = p.step(name, [], async () => 1);
    p = p.step('join', inputs, async (values) => Object.values(values).reduce((a, b) => a + b, 0));
    const graph = p.build();
    const queue: QueuedTask[] = [];
    const transport: TaskTransport = { async enqueue(_tx, tasks) { queue.push(...tasks); } };
    const env = { store, artifacts, engine, transport, workerId: 'w', resolveGraph: async () => graph };
    for (let r = 0; r < 3; r++) {
      const { run } = await submitRun(store, transport, graph, {}, { executor: 'distributed', owner: null, leaseMs: 15_000, now: Date.now() });
      await Promise.all(Array.from({ length: 16 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await runTaskAttempt(env, job, { graph });
      }));
      const join = (await store.listTaskRuns(run.id)).find((t) => t.step === 'join')!;
      assert.equal(join.state, 'succeeded', `run ${r + 1}: every input succeeded, so the join must have been queued and run`);
      assert.equal(join.output, 32);
      assert.equal((await store.getRun(run.id))?.state, 'succeeded');
    }
  } finally {
    await engine.close();
    await store.close();
    await db.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});
