// The reaper and a dead worker's lease, on SQLite and PostgreSQL: an attempt whose worker died is queued
// again at once without spending one of the step's retries (a step with no retries survives its worker
// being killed), up to FREE_LEASE_LOSSES times; after that a lost lease counts as a failed try.
// (Workers here are claims with a lease nobody renews, as a SIGKILLed worker leaves them;
// distributed.test.ts kills real worker processes.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueuedTask, TaskTransport } from '../../src/orchestrator/executor-types.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { FREE_LEASE_LOSSES, reap } from '../../src/orchestrator/reaper.ts';
import { submitRun } from '../../src/orchestrator/state.ts';
import { openMetadataStore } from '../../src/store/index.ts';
import { metadataBackends } from '../helpers/databases.ts';

for (const backend of metadataBackends) {
  describe(`reaper on ${backend.name}`, { skip: backend.skip }, () => {
    test('a dead worker\'s attempt is queued again without spending a retry, up to the limit; then the lost lease counts', async () => {
      const db = await backend.fresh();
      const store = await openMetadataStore({ url: db.url });
      try {
        const graph = pipeline('reap_no_retries').step('only', [], async () => 1).step('after', ['only'], async () => 2).build();
        const queue: QueuedTask[] = [];
        const transport: TaskTransport = { async enqueue(_tx, tasks) { queue.push(...tasks); } };
        let now = Date.now();
        const { run } = await submitRun(store, transport, graph, {}, { executor: 'distributed', owner: null, leaseMs: 1000, now });
        const free = 3;
        for (let loss = 1; loss <= free + 1; loss++) {
          const job = queue.shift()!;
          assert.equal(job.attempt, loss);
          // A worker claims the attempt and dies: nobody renews its lease.
          const claimed = await store.transaction((tx) => tx.updateTaskRun(job.taskRunId, { state: 'running', leaseOwner: `worker-${loss}`, leaseExpiresAt: now + 1000, startedAt: now }, { state: ['queued'], attempt: job.attempt }));
          assert.ok(claimed, `claim ${loss}`);
          now += 1500;
          const result = await reap(store, { now, transportFor: () => transport, resolveGraph: async () => graph });
          const task = (await store.getTaskRun(job.taskRunId))!;
          if (loss <= free) {
            assert.deepEqual(result.requeued, [task.id], `lost lease ${loss}: queued again`);
            assert.equal(task.state, 'queued');
            assert.equal(task.attempt, loss + 1);
            assert.equal(task.maxAttempts, loss + 1, 'one more attempt allowed: the step\'s retries (none) are not spent');
            assert.equal(task.notBefore, now, 'no backoff: the attempt did not fail');
            assert.match(task.error ?? '', /worker-\d+\) stopped.*not counted as a retry/);
          } else {
            assert.deepEqual(result.failedTasks, [task.id]);
            assert.equal(task.state, 'failed');
            assert.match(task.error ?? '', /no attempts left \(4 lost leases/);
          }
          assert.equal(task.leaseLosses, loss);
        }
        assert.equal(FREE_LEASE_LOSSES, free);
        const done = (await store.getRun(run.id))!;
        assert.equal(done.state, 'failed');
        assert.equal((await store.listTaskRuns(run.id)).find((t) => t.step === 'after')!.state, 'skipped');
      } finally {
        await store.close();
        await db.dispose();
      }
    });

    test('a queue-driven run whose tasks have all ended but that nobody closed (its last committer died) is closed', async () => {
      const db = await backend.fresh();
      const store = await openMetadataStore({ url: db.url });
      try {
        const graph = pipeline('reap_close').step('a', [], async () => 1).step('b', [], async () => 2).build();
        const transport: TaskTransport = { async enqueue() {} };
        const { run } = await submitRun(store, transport, graph, {}, { executor: 'distributed', owner: null, leaseMs: 1000, now: Date.now() });
        // Each step's success committed on its own; the process died before closing the run.
        for (const t of await store.listTaskRuns(run.id)) await store.updateTaskRun(t.id, { state: 'succeeded', finishedAt: Date.now() });
        assert.equal((await store.getRun(run.id))!.state, 'running');
        const result = await reap(store, { now: Date.now(), transportFor: () => transport });
        assert.deepEqual(result.closedRuns, [run.id]);
        assert.equal((await store.getRun(run.id))!.state, 'succeeded');
      } finally {
        await store.close();
        await db.dispose();
      }
    });
  });
}
