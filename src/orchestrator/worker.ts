/**
 * `sluice worker`: one process of the distributed executor. It takes task attempts from the queue
 * (graphile-worker on the metadata PostgreSQL), runs them through the shared attempt protocol (claim by
 * compare-and-set, heartbeat the lease, run the step, commit fenced by attempt and lease owner, queue
 * the dependents in the same transaction), and keeps the cluster healthy: it reaps expired leases and
 * frees the queue locks of workers whose heartbeat went stale.
 *
 * Failure handling, in one place:
 * - This process dies (SIGKILL, machine lost): its Sluice heartbeat and its queue pool's heartbeat stop.
 *   Any other worker's reaper ends the expired attempts (re-queued as attempt + 1, or failed) and calls
 *   graphile-worker's force_unlock_workers for the dead pool, so nothing waits for graphile-worker's
 *   4-hour lock timeout.
 * - PostgreSQL goes away: heartbeats and queue polls fail and are retried; a pool that graphile-worker
 *   shuts down after a fatal database error is replaced by a new one (the old pool's locks are freed
 *   first, since this process knows it is dead). An attempt that cannot finish its commit ends with an
 *   error: the worker then hands it back (`abandon`) as soon as the database answers again, so the task
 *   is never left `running` under a live heartbeat.
 * - SIGTERM: `stop()` stops taking jobs, lets running steps finish for `graceMs`, then fires their
 *   signals; an attempt cut short this way is handed back for another worker.
 */
import { hostname } from 'node:os';
import { errorMessage } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import { silentLogger } from '../core/log.ts';
import { QueueAdmin, migrateQueue, startQueueWorker, type DeliveredJob, type QueueWorker } from '../store/queue/graphile.ts';
import type { MetadataStore } from '../store/types.ts';
import { DEFAULT_LEASE_MS, type QueuedTask, type TaskOutcome } from './executor-types.ts';

/** What the worker needs from the orchestration core to run and end attempts. */
export interface AttemptRunner {
  /** Runs one attempt (claim, step, commit). Throws only when the metadata store cannot be reached. */
  run(task: QueuedTask, signal: AbortSignal): Promise<TaskOutcome>;
  /**
   * Ends an attempt this worker holds but will not finish (its commit failed, or it was stopped):
   * fenced on attempt and lease owner, it re-queues the task or fails it per the retry policy.
   */
  abandon(task: QueuedTask, reason: string): Promise<void>;
  /** One pass of the reaper: expired leases of dead processes, runs nothing can finish. */
  reap(now: number): Promise<void>;
}

export interface WorkerOptions {
  store: MetadataStore;
  /** The PostgreSQL URL of the metadata store (the queue lives in the same database). */
  url: string;
  runner: AttemptRunner;
  /** Attempts run at once. Default 1. */
  concurrency?: number;
  /** This worker's id (the lease owner). Default a new `worker_...` id. */
  workerId?: string;
  /** Task lease; the heartbeat runs every leaseMs / 3. Default 15 s. */
  leaseMs?: number;
  /** How often the reaper and the dead-pool release run. Default 2 s. */
  reapEveryMs?: number;
  /** A queue pool whose heartbeat is older than this is dead and its jobs are freed. Default leaseMs. */
  deadPoolAfterMs?: number;
  log?: Logger;
}

export interface SluiceWorker {
  readonly id: string;
  /** The queue pool currently taking jobs (changes if the pool is replaced after a database outage). */
  poolId(): string;
  /** Attempts running now. */
  active(): number;
  /**
   * Graceful stop: takes no new job, waits up to `graceMs` (default 5 s) for running steps, then fires
   * their signals and hands their attempts back; marks the worker stopped and its pool released.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly done: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startWorker(options: WorkerOptions): Promise<SluiceWorker> {
  const { store, url, runner } = options;
  const log = options.log ?? silentLogger;
  const id = options.workerId ?? newId('worker');
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const deadPoolAfterMs = options.deadPoolAfterMs ?? leaseMs;

  await migrateQueue(url, log);
  await store.registerWorker({ id, host: hostname(), pid: process.pid, kind: 'worker' });
  const admin = await QueueAdmin.open(url, log);

  /** Running attempts: their controllers (fired by cancel requests and by stop) and runs. */
  const running = new Map<string, { task: QueuedTask; controller: AbortController }>();
  /** Attempts that ended with an infrastructure error and must be handed back once the database answers. */
  const toAbandon = new Map<string, { task: QueuedTask; reason: string }>();
  let stopping = false;

  const handle = async (job: DeliveredJob, poolSignal: AbortSignal): Promise<void> => {
    const task: QueuedTask = { taskRunId: job.taskRunId, runId: job.runId, attempt: job.attempt };
    const key = `${task.taskRunId}:${task.attempt}`;
    if (running.has(key)) return; // a second delivery of an attempt already running here
    const controller = new AbortController();
    const onPoolAbort = () => controller.abort(new Error('the worker is shutting down'));
    if (poolSignal.aborted) onPoolAbort();
    else poolSignal.addEventListener('abort', onPoolAbort, { once: true });
    running.set(key, { task, controller });
    try {
      const outcome = await runner.run(task, controller.signal);
      if (outcome.kind === 'lost') log.debug(`worker ${id}: attempt ${task.attempt} of ${task.taskRunId} not ours: ${outcome.reason}`);
      // Stopped mid-step (SIGTERM): the attempt was cancelled by our signal, not by the user; hand it back.
      if (outcome.kind === 'cancelled' && stopping) toAbandon.set(key, { task, reason: `worker ${id} stopped` });
    } catch (err) {
      // The store could not be reached mid-attempt. Completing the job (not throwing) is right: the
      // attempt is handed back by us (below) or by the reaper, which queues a new job for the retry.
      log.warn(`worker ${id}: attempt ${task.attempt} of task ${task.taskRunId} ended by an error: ${errorMessage(err)}`);
      toAbandon.set(key, { task, reason: `worker ${id} lost the metadata database: ${errorMessage(err)}` });
    } finally {
      poolSignal.removeEventListener('abort', onPoolAbort);
      running.delete(key);
    }
    await abandonPending();
  };

  const abandonPending = async (): Promise<void> => {
    for (const [key, { task, reason }] of toAbandon) {
      try {
        await runner.abandon(task, reason);
        toAbandon.delete(key);
      } catch (err) {
        log.debug(`worker ${id}: handing back ${task.taskRunId} failed (will retry): ${errorMessage(err)}`);
        return;
      }
    }
  };

  // ---- the queue pool, replaced if graphile-worker stops it (fatal database error) -----------------
  let pool: QueueWorker = await startQueueWorker({ url, workerId: id, concurrency, handler: handle, log });
  log.info(`worker ${id} on ${hostname()} pid ${process.pid}: taking tasks (concurrency ${concurrency}, queue pool ${pool.poolId})`);
  const supervise = async (): Promise<void> => {
    let backoff = 500;
    while (!stopping) {
      await pool.stopped;
      if (stopping) return;
      const dead = pool.poolId;
      log.warn(`worker ${id}: queue pool ${dead} stopped; starting a new one`);
      for (;;) {
        if (stopping) return;
        try {
          await admin.releasePools([dead]);
          pool = await startQueueWorker({ url, workerId: id, concurrency, handler: handle, log });
          log.info(`worker ${id}: queue pool ${pool.poolId} taking tasks`);
          backoff = 500;
          break;
        } catch (err) {
          log.debug(`worker ${id}: restarting the queue pool failed: ${errorMessage(err)}`);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    }
  };
  const supervisor = supervise();

  // ---- heartbeat: the worker row, the leases of its attempts, cancel requests -----------------------
  const beat = async (): Promise<void> => {
    try {
      const { cancelRequested } = await store.heartbeat(id, leaseMs);
      if (cancelRequested.length > 0) {
        const runs = new Set(cancelRequested);
        for (const { task, controller } of running.values()) {
          if (runs.has(task.runId) && !controller.signal.aborted) controller.abort(new Error(`run ${task.runId} was cancelled`));
        }
      }
      await abandonPending();
    } catch (err) {
      log.debug(`worker ${id}: heartbeat failed: ${errorMessage(err)}`);
    }
  };
  const heartbeat = setInterval(() => void beat(), Math.max(100, Math.floor(leaseMs / 3)));

  // ---- the reaper and the dead pools ----------------------------------------------------------------
  let reaping = false;
  const reap = async (): Promise<void> => {
    if (reaping) return;
    reaping = true;
    try {
      const released = await admin.releaseDeadPools(deadPoolAfterMs);
      if (released.length > 0) log.info(`worker ${id}: freed the queue jobs of dead pool(s) ${released.join(', ')}`);
      await runner.reap(Date.now());
    } catch (err) {
      log.debug(`worker ${id}: reaper pass failed: ${errorMessage(err)}`);
    } finally {
      reaping = false;
    }
  };
  const reaper = setInterval(() => void reap(), options.reapEveryMs ?? 2000);
  void reap();

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  let stopPromise: Promise<void> | undefined;

  return {
    id,
    poolId: () => pool.poolId,
    active: () => running.size,
    done,
    stop({ graceMs = 5000 } = {}) {
      stopPromise ??= (async () => {
        stopping = true;
        clearInterval(reaper);
        const stoppingPool = pool.stop();
        // Let running steps finish within the grace period, then fire their signals.
        const deadline = Date.now() + graceMs;
        while (running.size > 0 && Date.now() < deadline) await sleep(50);
        for (const { controller } of running.values()) controller.abort(new Error(`worker ${id} is stopping`));
        await stoppingPool;
        await supervisor;
        clearInterval(heartbeat);
        // Hand back what was cut short (a few tries: the database may be the reason we stop).
        for (let i = 0; i < 5 && toAbandon.size > 0; i++) {
          await abandonPending();
          if (toAbandon.size > 0) await sleep(200);
        }
        await store.stopWorker(id).catch((err: unknown) => log.debug(`worker ${id}: marking stopped failed: ${errorMessage(err)}`));
        await admin.close();
        log.info(`worker ${id} stopped`);
        resolveDone();
      })();
      return stopPromise;
    },
  };
}
