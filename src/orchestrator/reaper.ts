/**
 * The reaper: no run stays `running` when nothing runs it. Every long-lived Sluice process (local
 * executor, scheduler, worker) calls `reap` every few seconds:
 *
 * - a run driven by one process (inline, local) whose owner stopped renewing its lease is closed:
 *   the attempts it was running fail ("the process running it stopped"), the steps that had not started
 *   are cancelled, and the run fails with a hint to `sluice runs retry` it (which resumes from the steps
 *   that succeeded). Nothing half-registered can remain: a step's outputs commit in one transaction.
 * - a task attempt of a queue-driven run (distributed) whose worker stopped renewing its lease gets
 *   its attempt ended: queued again at once as attempt + 1 with one more attempt allowed (a dead worker
 *   is not a failed try), up to FREE_LEASE_LOSSES times per task; past that, queued again after the
 *   backoff if it has retries left, else failed (and its descendants skipped; the run finishes when
 *   nothing is left).
 *
 * Every change is a compare-and-set on the state the reaper saw, so two reapers (or a late heartbeat)
 * never both act on one lease.
 */
import type { MetadataStore, RunRecord } from '../store/types.ts';
import type { PipelineGraph } from './graph.ts';
import type { TaskTransport } from './executor-types.ts';
import { backoffMs, finishRunIfDone, jobPriority, skipDescendants, stepOf } from './state.ts';

/**
 * Lost leases of one task that do not count as failed tries. Airflow counts a dead worker's task
 * ("zombie") as a failed try; here a worker's death (SIGKILL, OOM killer, machine lost) does not use
 * up a step's own retries, so a step with no retries survives it, while a step that kills its worker
 * every time still ends after this many extra attempts.
 */
export const FREE_LEASE_LOSSES = 3;

export interface ReapOptions {
  now: number;
  /** The transport to re-queue a queue-driven run's tasks on; without one those are left to a process that has it. */
  transportFor?: (run: RunRecord) => TaskTransport | undefined;
  /** The graph of a run, to skip a failed task's descendants; without it the run's unstarted tasks are skipped. */
  resolveGraph?: (run: RunRecord) => Promise<PipelineGraph | undefined>;
  /**
   * Runs the calling process drives itself and knows to be alive: never closed here, whatever their
   * lease says (a step that held the event loop past the lease delayed the heartbeat, not killed the
   * process; its next heartbeat renews the lease). Other processes' reapers still close them if the
   * heartbeat does not come.
   */
  live?: ReadonlySet<string>;
}

export interface ReapResult {
  closedRuns: string[];
  requeued: string[];
  failedTasks: string[];
}

export async function reap(store: MetadataStore, options: ReapOptions): Promise<ReapResult> {
  const { now } = options;
  const result: ReapResult = { closedRuns: [], requeued: [], failedTasks: [] };

  for (const run of await store.listOrphanedRuns(now)) {
    if (options.live?.has(run.id)) continue;
    const closed = await store.transaction(async (tx) => {
      const current = await tx.getRun(run.id, { lock: true });
      if (!current || (current.state !== 'running' && current.state !== 'pending') || current.owner !== run.owner || current.leaseExpiresAt === null || current.leaseExpiresAt >= now) return false;
      const since = new Date(current.leaseExpiresAt).toISOString();
      const lost = `the process running it (${current.owner}) stopped: its lease expired at ${since}`;
      const cancelled = current.cancelRequestedAt !== null;
      await tx.setTaskStates(run.id, ['running'], { state: cancelled ? 'cancelled' : 'failed', finishedAt: now, error: lost, leaseOwner: null, leaseExpiresAt: null });
      await tx.setTaskStates(run.id, ['pending', 'queued'], { state: 'cancelled', finishedAt: now, error: `not started: ${lost}` });
      await tx.updateRun(run.id, {
        state: cancelled ? 'cancelled' : 'failed', finishedAt: now, owner: null, leaseExpiresAt: null,
        error: cancelled ? `the run was cancelled; ${lost}` : `Run ${run.id} of pipeline "${run.pipeline}" failed: ${lost}. \`sluice runs retry ${run.id}\` resumes it from the steps that succeeded`,
      }, { state: ['running', 'pending'], owner: current.owner });
      return true;
    });
    if (closed) result.closedRuns.push(run.id);
  }

  // Queue-driven runs whose last step committed alone (a step with nothing to register commits in one
  // statement, and the run is closed right after): if that process died in between, close them here.
  for (const id of await store.listRunsWithNothingLeft()) {
    const state = await store.transaction((tx) => finishRunIfDone(tx, id, now));
    if (state) result.closedRuns.push(id);
  }

  for (const { task, run } of await store.listExpiredTasks(now)) {
    if (run.owner !== null) continue; // the run's owner (or the run reaping above) handles it
    const transport = options.transportFor?.(run);
    if (!transport) continue;
    const graph = await options.resolveGraph?.(run).catch(() => undefined);
    const outcome = await store.transaction(async (tx) => {
      await tx.getRun(run.id, { lock: true });
      const ok = (data: Parameters<typeof tx.updateTaskRun>[1]) => tx.updateTaskRun(task.id, data, { state: ['running'], attempt: task.attempt, leaseOwner: task.leaseOwner });
      const lost = `the worker running it (${task.leaseOwner ?? 'unknown'}) stopped: its lease expired at ${new Date(task.leaseExpiresAt ?? now).toISOString()}`;
      const losses = task.leaseLosses + 1;
      // A dead worker is not the step failing: the attempt runs again at once with one more attempt
      // allowed, up to FREE_LEASE_LOSSES times; past that (a step that keeps killing its worker) a lost
      // lease counts as a failed try like any other.
      const free = losses <= FREE_LEASE_LOSSES;
      if ((free || task.attempt < task.maxAttempts) && run.cancelRequestedAt === null) {
        const runAt = free ? now : now + backoffMs(task.retryDelayMs, task.attempt, graph ? stepOf(graph, task.step).retry.maxDelayMs : undefined);
        const error = free ? `${lost}; queued again (lost lease ${losses} of ${FREE_LEASE_LOSSES} not counted as a retry)` : `${lost}; lost lease ${losses} counted as a failed try`;
        if (!(await ok({ state: 'queued', attempt: task.attempt + 1, maxAttempts: free ? task.maxAttempts + 1 : task.maxAttempts, leaseLosses: losses, notBefore: runAt, leaseOwner: null, leaseExpiresAt: null, error }))) return null;
        await transport.enqueue(tx, [{ taskRunId: task.id, runId: run.id, attempt: task.attempt + 1, runAt, priority: jobPriority(run) }]);
        return { kind: 'requeued' as const, runAt };
      }
      const state = run.cancelRequestedAt !== null ? 'cancelled' : 'failed';
      const error = state === 'failed' ? `${lost}; no attempts left (${losses} lost leases, ${task.attempt} attempts)` : lost;
      if (!(await ok({ state, finishedAt: now, error, leaseLosses: losses, leaseOwner: null, leaseExpiresAt: null }))) return null;
      if (graph) await skipDescendants(tx, graph, run.id, task.step, state, now);
      else if ((await tx.countTaskRuns(run.id, ['running'])) === 0) {
        await tx.setTaskStates(run.id, ['pending', 'queued'], { state: 'skipped', finishedAt: now, error: `an upstream step (${task.step}) did not succeed` });
      }
      await finishRunIfDone(tx, run.id, now);
      return { kind: 'failed' as const };
    });
    if (outcome?.kind === 'requeued') {
      result.requeued.push(task.id);
      transport.afterCommit?.([{ taskRunId: task.id, runId: run.id, attempt: task.attempt + 1, runAt: outcome.runAt }]);
    } else if (outcome?.kind === 'failed') {
      result.failedTasks.push(task.id);
    }
  }
  return result;
}
