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
import { SluiceError, errorMessage } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import { silentLogger } from '../core/log.ts';
import { QueueAdmin, migrateQueue, startQueueWorker, type DeliveredJob, type QueueWorker } from '../store/queue/graphile.ts';
import type { MetadataStore, RunRecord } from '../store/types.ts';
import { DEFAULT_LEASE_MS, type QueuedTask, type TaskEnv, type TaskOutcome } from './executor-types.ts';
import type { PipelineGraph } from './graph.ts';
import { resolveRunGraph } from './project.ts';
import { reap } from './reaper.ts';
import { finishRunIfDone, jobPriority, runCancelledError } from './state.ts';
import { runTaskAttempt } from './task.ts';

/** What the worker needs from the orchestration core to run and end attempts. */
export interface AttemptRunner {
  /** Runs one attempt (claim, step, commit). Throws only when the metadata store cannot be reached. */
  run(task: QueuedTask, signal: AbortSignal): Promise<TaskOutcome>;
  /**
   * Hands back an attempt this worker holds but will not finish (it is stopping, or lost the database
   * mid-commit): fenced on attempt and lease owner, the task is queued again as attempt + 1 for any
   * worker, without using up one of the step's retries. Does nothing if the attempt is no longer ours.
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

/** Runs whose facts a worker keeps (the oldest is dropped first). */
const RUN_CACHE_SIZE = 256;

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
    // graphile-worker aborts its jobs' signal some seconds into a shutdown; `stop()` hands our attempts
    // back before that, so by then this abort finds nothing of ours left to cancel.
    const onPoolAbort = () => {
      void runner.abandon(task, `worker ${id} is shutting down`).catch(() => {}).finally(() => controller.abort(new Error(`worker ${id} is shutting down`)));
    };
    if (poolSignal.aborted) onPoolAbort();
    else poolSignal.addEventListener('abort', onPoolAbort, { once: true });
    running.set(key, { task, controller });
    try {
      const outcome = await runner.run(task, controller.signal);
      if (outcome.kind === 'lost') log.debug(`worker ${id}: attempt ${task.attempt} of ${task.taskRunId} not ours: ${outcome.reason}`);
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
  // When this process could not reach the database, neither could the others, most likely: their
  // heartbeats look stale for the same reason ours was. The reaper and the dead-pool release wait until
  // this worker has had a lease's worth of good heartbeats, so that every live worker has renewed.
  let lastBeatFailure = 0;
  const beat = async (): Promise<void> => {
    try {
      const { cancelRequested } = await store.heartbeat(id, leaseMs);
      if (cancelRequested.length > 0) {
        const runs = new Set(cancelRequested);
        const reasons = new Map<string, string | null>();
        for (const { task, controller } of running.values()) {
          if (!runs.has(task.runId) || controller.signal.aborted) continue;
          if (!reasons.has(task.runId)) reasons.set(task.runId, (await store.getRun(task.runId))?.cancelReason ?? null);
          controller.abort(runCancelledError(task.runId, reasons.get(task.runId)));
        }
      }
      await abandonPending();
    } catch (err) {
      lastBeatFailure = Date.now();
      log.debug(`worker ${id}: heartbeat failed: ${errorMessage(err)}`);
    }
  };
  const heartbeat = setInterval(() => void beat(), Math.max(100, Math.floor(leaseMs / 3)));

  // ---- the reaper and the dead pools ----------------------------------------------------------------
  let reaping = false;
  const reap = async (): Promise<void> => {
    if (reaping || Date.now() - lastBeatFailure < Math.max(leaseMs, deadPoolAfterMs)) return;
    reaping = true;
    try {
      const released = await admin.releaseDeadPools(deadPoolAfterMs, pool.poolId);
      if (released.length > 0) log.info(`worker ${id}: freed the queue jobs of dead pool(s) ${released.join(', ')}`);
      await runner.reap(Date.now());
    } catch (err) {
      log.debug(`worker ${id}: reaper pass failed: ${errorMessage(err)}`);
    } finally {
      reaping = false;
    }
  };
  const reaper = setInterval(() => void reap(), options.reapEveryMs ?? 2000);

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
        // Hand the unfinished attempts back first, then fire their signals: the step's own end is then
        // no longer its attempt's (fenced), so it records nothing and the run is not cancelled.
        for (const [key, { task, controller }] of running) {
          try {
            await runner.abandon(task, `worker ${id} stopped before the step finished`);
          } catch (err) {
            toAbandon.set(key, { task, reason: `worker ${id} stopped: ${errorMessage(err)}` });
          }
          controller.abort(new Error(`worker ${id} is stopping`));
        }
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

// ---- the attempt runner of `sluice worker` ---------------------------------------------------------

export interface WorkerAttemptEnv extends Omit<TaskEnv, 'resolveGraph'> {
  /** Where to look for the project file when a run's recorded file is not on this machine. */
  cwd?: string;
  project?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides how a run's graph is found (tests); default: the run's file, else the project file. */
  resolveGraph?: (run: RunRecord) => Promise<PipelineGraph>;
}

/**
 * The AttemptRunner of a worker process on orch-core's attempt protocol (`runTaskAttempt`) and reaper.
 * A run's graph is loaded once per pipeline and file, from the file the run records or, when that path
 * does not exist here, by name from this machine's project file.
 */
export function createWorkerAttemptRunner(env: WorkerAttemptEnv): AttemptRunner {
  const graphs = new Map<string, Promise<PipelineGraph>>();
  const resolveGraph = (run: RunRecord): Promise<PipelineGraph> => {
    const key = `${run.pipeline}\u0000${run.pipelineFile ?? ''}`;
    let graph = graphs.get(key);
    if (graph === undefined) {
      graph = env.resolveGraph
        ? env.resolveGraph(run)
        : resolveRunGraph(run.pipeline, run.pipelineFile, { ...(env.cwd ? { cwd: env.cwd } : {}), ...(env.project ? { project: env.project } : {}), ...(env.env ? { env: env.env } : {}) });
      graphs.set(key, graph);
      graph.catch(() => graphs.delete(key));
    }
    return graph;
  };
  const taskEnv: TaskEnv = { ...env, resolveGraph };
  const log = env.logger ?? silentLogger;
  // What an attempt reads of its run (pipeline, file, params, partition, logical date) never changes:
  // read once per run, not once per task (the claim itself checks the run is still running).
  const runs = new Map<string, RunRecord>();
  const runOf = async (runId: string): Promise<RunRecord | undefined> => {
    const known = runs.get(runId);
    if (known) return known;
    const run = await env.store.getRun(runId);
    if (run) {
      if (runs.size >= RUN_CACHE_SIZE) runs.delete(runs.keys().next().value!);
      runs.set(runId, run);
    }
    return run;
  };

  return {
    async run(task, signal) {
      const run = await runOf(task.runId);
      if (!run) return { kind: 'lost', reason: `run ${task.runId} does not exist` };
      let graph: PipelineGraph;
      try {
        graph = await resolveGraph(run);
      } catch (err) {
        return failUnloadable(env, task, run, err, log);
      }
      const result = await runTaskAttempt(taskEnv, task, { graph, signal, run });
      if (result.kind === 'not-yet') {
        // Delivered before its retry backoff ended (graphile-worker's run_at and ours disagree by a
        // clock skew): the same attempt goes back in the queue for that time.
        await env.store.transaction((tx) => env.transport.enqueue(tx, [{ ...task, runAt: result.runAt, priority: jobPriority(run) }]));
      }
      return result;
    },

    async abandon(task, reason) {
      const priority = jobPriority((await runOf(task.runId)) ?? { trigger: undefined });
      await env.store.transaction(async (tx) => {
        const current = await tx.getTaskRun(task.taskRunId);
        if (!current || current.state !== 'running' || current.attempt !== task.attempt || current.leaseOwner !== env.workerId) return;
        const ok = await tx.updateTaskRun(task.taskRunId, {
          state: 'queued', attempt: task.attempt + 1, maxAttempts: current.maxAttempts + 1, notBefore: null,
          leaseOwner: null, leaseExpiresAt: null, error: `handed back: ${reason}`,
        }, { state: ['running'], attempt: task.attempt, leaseOwner: env.workerId });
        if (ok) await env.transport.enqueue(tx, [{ taskRunId: task.taskRunId, runId: task.runId, attempt: task.attempt + 1, priority }]);
      });
    },

    async reap(now) {
      const result = await reap(env.store, {
        now,
        transportFor: (run) => (run.executor === 'distributed' ? env.transport : undefined),
        resolveGraph: (run) => resolveGraph(run).catch(() => undefined),
      });
      for (const id of result.requeued) log.info(`reaper: task ${id} re-queued (its worker stopped)`);
      for (const id of result.failedTasks) log.info(`reaper: task ${id} failed (its worker stopped, no retries left)`);
      for (const id of result.closedRuns) log.info(`reaper: run ${id} closed (the process running it stopped)`);
    },
  };
}

/**
 * This machine cannot load the run's pipeline: fail the queued attempt with an error that says where
 * the code was looked for (rather than leave the task queued forever).
 */
async function failUnloadable(env: WorkerAttemptEnv, task: QueuedTask, run: RunRecord, err: unknown, log: Logger): Promise<TaskOutcome> {
  const message = `worker ${env.workerId} on ${hostname()} cannot load pipeline "${run.pipeline}"${run.pipelineFile ? ` (recorded file ${run.pipelineFile})` : ''}: ${errorMessage(err)}`;
  log.error(message);
  const failed = await env.store.transaction(async (tx) => {
    const now = Date.now();
    const ok = await tx.updateTaskRun(task.taskRunId, {
      state: 'failed', finishedAt: now, error: message, errorStack: err instanceof Error ? err.stack ?? null : null,
      errorHint: err instanceof SluiceError && err.hint ? err.hint : 'Every `sluice worker` needs the project\'s code at the path the run recorded (the same checkout on each machine, with its node_modules); start the worker from the project folder, then retry the run with `sluice runs retry <id>`.',
    }, { state: ['queued'], attempt: task.attempt });
    if (!ok) return false;
    // The run cannot succeed now: what has not started is skipped (a claim needs `queued`, so no
    // worker starts it afterwards); what runs elsewhere finishes, and the last one closes the run.
    await tx.setTaskStates(run.id, ['pending', 'queued'], { state: 'skipped', finishedAt: now, error: `the pipeline's code could not be loaded on worker ${env.workerId}` });
    await finishRunIfDone(tx, run.id, now);
    return true;
  });
  return failed
    ? { kind: 'failed', error: err instanceof Error ? err : new Error(String(err)), willRetry: false }
    : { kind: 'lost', reason: `task run ${task.taskRunId} is no longer queued at attempt ${task.attempt}` };
}
