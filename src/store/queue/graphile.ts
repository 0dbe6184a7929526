/**
 * The distributed executor's task transport on graphile-worker 0.17 (PostgreSQL; the last line that runs
 * on Node 20). Only this folder imports graphile-worker; the orchestration logic lives in
 * src/orchestrator/ and sees the small interface below.
 *
 * What graphile-worker gives us, and what we add:
 * - `graphile_worker.add_jobs(...)` is plain SQL, so a job is enqueued inside the caller's metadata
 *   transaction: the job exists iff the transaction that queued the task commits. The insert trigger's
 *   NOTIFY is delivered at commit, and listening pools start it at once (LISTEN/NOTIFY, no polling).
 * - Every job is locked by the id of the worker *pool* that took it (`locked_by`), and graphile-worker
 *   itself only frees a lock after 4 hours. Each pool therefore registers here (`sluice_queue_pools`,
 *   created next to graphile-worker's own schema) with the Sluice worker that owns it and a heartbeat;
 *   `releaseDeadPools` calls `force_unlock_workers` for pools whose heartbeat is stale, so a dead
 *   worker's jobs run again elsewhere within seconds.
 * - Sluice owns retries, leases and fencing (the task run's attempt); a job is only "run this attempt of
 *   this task run". A handler that finds the attempt already claimed or finished does nothing, so a job
 *   delivered twice is harmless.
 */
import { hostname } from 'node:os';
import type { Job, JobHelpers, Runner, WorkerEvents, WorkerPool } from 'graphile-worker';
import { Logger as GraphileLogger, makeWorkerUtils, run, runMigrations } from 'graphile-worker';
import type { WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { EventEmitter } from 'node:events';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';

/** The one graphile-worker task identifier Sluice uses: "run attempt N of task run T". */
export const SLUICE_TASK = 'sluice_task';

/** One task attempt to deliver to some worker. */
export interface QueueJob {
  taskRunId: string;
  runId: string;
  attempt: number;
  /** Epoch ms before which the job must not start (retry backoff). */
  runAt?: number;
  /** graphile-worker's job priority: lower numbers are taken first (default 0). */
  priority?: number;
}

/** A job as a worker receives it. */
export interface DeliveredJob extends QueueJob {
  /** The graphile-worker job id. */
  jobId: string;
  /** The pool that locked it (graphile-worker's `locked_by`). */
  poolId: string;
  /** How many times graphile-worker has handed out this job (1 the first time). */
  deliveries: number;
}

/**
 * graphile-worker retries a job whose handler threw (only infrastructure errors do: a step's own failure
 * is recorded by Sluice and the job completes) after exp(min(10, n)) seconds. Ten deliveries span hours,
 * enough to ride out a database restart; past that the task's lease expires and the reaper ends it.
 */
const JOB_MAX_ATTEMPTS = 10;

/** Runs one SQL statement (`$1` parameters) in the caller's transaction: orch-core's MetadataTx fits. */
export interface SqlRunner {
  execute(sql: string, params?: readonly unknown[]): Promise<unknown>;
}

/** One `add_jobs` call for any number of jobs: one statement, one NOTIFY at commit. */
const ADD_JOBS = `select count(*) from graphile_worker.add_jobs(array(
  select json_populate_record(null::graphile_worker.job_spec, spec)
  from json_array_elements($1::json) as spec
))`;

/**
 * Enqueues the jobs in the caller's transaction. The job key `sluice:<task run>:<attempt>` makes a
 * repeated enqueue of one attempt update the waiting job rather than add a second one.
 */
export async function enqueueJobs(tx: SqlRunner, jobs: readonly QueueJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map((j) => ({
    identifier: SLUICE_TASK,
    payload: { taskRunId: j.taskRunId, runId: j.runId, attempt: j.attempt },
    run_at: j.runAt === undefined ? null : new Date(j.runAt).toISOString(),
    max_attempts: JOB_MAX_ATTEMPTS,
    priority: j.priority ?? 0,
    job_key: jobKey(j.taskRunId, j.attempt),
  }));
  await tx.execute(ADD_JOBS, [JSON.stringify(specs)]);
}

export function jobKey(taskRunId: string, attempt: number): string {
  return `sluice:${taskRunId}:${attempt}`;
}

/** graphile-worker's log lines go to Sluice's logger: errors and warnings as warnings, the rest as debug. */
function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => {
    // graphile-worker reports a lost connection as an error; the worker rides it out, so a warning.
    if (level === 'error' || level === 'warning') log.warn(`queue: ${message}`);
    else log.debug(`queue: ${message}`);
  });
}

/** A pg pool for our own bookkeeping queries; never crashes the process on an idle client's error. */
function makePool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Installs or upgrades graphile-worker's schema (`graphile_worker`) and the pool table. Safe to call from
 * several processes at once: graphile-worker detects a concurrent migration, and we retry once.
 */
export async function migrateQueue(url: string, log: Logger = silentLogger): Promise<void> {
  const logger = graphileLogger(log);
  try {
    await runMigrations({ connectionString: url, logger });
  } catch {
    // Another process migrating at the same moment makes one of us fail on the migrations table.
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    try {
      await runMigrations({ connectionString: url, logger });
    } catch (err) {
      throw queueError('installing the job queue schema (graphile_worker)', err);
    }
  }
  const pool = makePool(url, 1);
  try {
    await pool.query(`create table if not exists sluice_queue_pools (
      pool_id text primary key,
      worker_id text not null,
      host text not null,
      pid integer not null,
      started_at timestamptz not null default now(),
      heartbeat_at timestamptz not null default now(),
      released_at timestamptz
    )`).catch(async (err: unknown) => {
      // Two processes creating the table at once: the loser gets a unique violation on the catalog,
      // or "type already exists" (42710) or "relation already exists" (42P07), depending on the moment.
      if (!['23505', '42710', '42P07'].includes((err as { code?: string }).code ?? '')) throw err;
    });
  } catch (err) {
    throw queueError('creating sluice_queue_pools', err);
  } finally {
    await pool.end();
  }
}

export interface QueueWorkerOptions {
  /** PostgreSQL URL (the metadata database: jobs and metadata commit together). */
  url: string;
  /** The Sluice worker this pool belongs to (recorded with the pool, for the logs and for humans). */
  workerId: string;
  /** Jobs run at once in this pool. */
  concurrency: number;
  /** Runs one delivered job. Throw only for infrastructure errors: graphile-worker then retries the job. */
  handler: (job: DeliveredJob, signal: AbortSignal) => Promise<void>;
  /** Fallback poll for jobs whose run_at was in the future (retry backoff); new jobs arrive by NOTIFY. Default 1000 ms. */
  pollInterval?: number;
  /** How often the pool's heartbeat is written. Default 2000 ms. */
  heartbeatMs?: number;
  log?: Logger;
}

/** A running graphile-worker pool that takes Sluice jobs. */
export interface QueueWorker {
  readonly poolId: string;
  /** Settles when the pool has stopped, by `stop()` or on its own (fatal database error). */
  readonly stopped: Promise<void>;
  /** Graceful: stops taking jobs, aborts running handlers' signals after `abortAfterMs`, waits for them, marks the pool released. */
  stop(): Promise<void>;
}

/**
 * Starts a pool: registers it in `sluice_queue_pools`, heartbeats it, and runs `handler` for each job.
 * Signal handling is the caller's (noHandleSignals): `sluice worker` decides what SIGTERM means.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const log = options.log ?? silentLogger;
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  let poolId: string | undefined;
  events.on('pool:create', ({ workerPool }: { workerPool: WorkerPool }) => {
    poolId ??= workerPool.id;
  });
  const bookkeeping = makePool(options.url, 2);
  const handler = async (payload: unknown, helpers: JobHelpers): Promise<void> => {
    const job = parsePayload(payload, helpers.job);
    await options.handler(job, helpers.abortSignal);
  };
  let runner: Runner;
  try {
    runner = await run({
      connectionString: options.url,
      concurrency: options.concurrency,
      // Our own connections: a job handler uses the metadata store's pool, not this one.
      maxPoolSize: Math.max(4, options.concurrency + 2),
      pollInterval: options.pollInterval ?? 1000,
      noHandleSignals: true,
      taskList: { [SLUICE_TASK]: handler },
      logger: graphileLogger(log),
      events,
      // A running step may take long; shutdown waits for it, aborting its signal after this.
      gracefulShutdownAbortTimeout: 2000,
      preset: {
        worker: {
          // Fetch (and lock) a few jobs per query rather than one: fewer round trips per task when the
          // queue is busy. A job locked here but not started is freed like any other if this process dies.
          localQueue: { size: options.concurrency + 1, ttl: 60_000 },
          // Completions that finish together are deleted in one statement.
          completeJobBatchDelay: 0,
        },
      },
    });
  } catch (err) {
    await bookkeeping.end().catch(() => {});
    throw queueError('starting the job queue worker', err);
  }
  if (poolId === undefined) {
    await runner.stop().catch(() => {});
    await bookkeeping.end().catch(() => {});
    throw new SluiceError('graphile-worker started without announcing its worker pool id', { code: 'QUEUE' });
  }
  const id = poolId;
  await bookkeeping.query('insert into sluice_queue_pools (pool_id, worker_id, host, pid) values ($1, $2, $3, $4)', [id, options.workerId, hostname(), process.pid]);
  const beat = async () => {
    await bookkeeping.query('update sluice_queue_pools set heartbeat_at = now() where pool_id = $1', [id]).catch((err: unknown) => {
      log.debug(`queue: heartbeat of pool ${id} failed: ${errorMessage(err)}`);
    });
  };
  const timer = setInterval(() => void beat(), options.heartbeatMs ?? 2000);
  timer.unref();
  let stopping: Promise<void> | undefined;
  const finish = async () => {
    clearInterval(timer);
    await bookkeeping.query('update sluice_queue_pools set released_at = now() where pool_id = $1', [id]).catch(() => {});
    await bookkeeping.end().catch(() => {});
  };
  const stopped = runner.promise.then(
    () => undefined,
    (err: unknown) => {
      log.warn(`queue: worker pool ${id} stopped: ${errorMessage(err)}`);
    },
  ).then(() => (stopping ? undefined : finish()));
  return {
    poolId: id,
    stopped,
    stop() {
      stopping ??= (async () => {
        await runner.stop().catch((err: unknown) => log.debug(`queue: stopping pool ${id}: ${errorMessage(err)}`));
        await stopped;
        await finish();
      })();
      return stopping;
    },
  };
}

function parsePayload(payload: unknown, job: Job): DeliveredJob {
  const p = payload as Partial<QueueJob> | null;
  if (p === null || typeof p !== 'object' || typeof p.taskRunId !== 'string' || typeof p.runId !== 'string' || typeof p.attempt !== 'number') {
    throw new SluiceError(`Job ${job.id} in the queue is not a Sluice task job (payload ${JSON.stringify(payload)})`, {
      code: 'QUEUE',
      hint: `Something else added jobs with task identifier '${SLUICE_TASK}'; remove them from graphile_worker.jobs.`,
    });
  }
  return { taskRunId: p.taskRunId, runId: p.runId, attempt: p.attempt, jobId: String(job.id), poolId: job.locked_by ?? '', deliveries: job.attempts };
}

/** Administration of the queue from any process: releasing dead pools' jobs, inspecting jobs. */
export class QueueAdmin {
  readonly #utils: WorkerUtils;
  readonly #pool: pg.Pool;

  private constructor(utils: WorkerUtils, pool: pg.Pool) {
    this.#utils = utils;
    this.#pool = pool;
  }

  static async open(url: string, log: Logger = silentLogger): Promise<QueueAdmin> {
    try {
      const utils = await makeWorkerUtils({ connectionString: url, logger: graphileLogger(log) });
      return new QueueAdmin(utils, makePool(url, 2));
    } catch (err) {
      throw queueError('connecting to the job queue', err);
    }
  }

  /**
   * Frees the jobs of every pool whose heartbeat is older than `staleMs` (its process died or lost the
   * database for that long) with graphile-worker's `force_unlock_workers`, and marks those pools
   * released. Returns the pool ids released. The same job may then run elsewhere: Sluice's attempt
   * fencing decides whether it still has work to do. `exceptPoolId` is the caller's own pool.
   */
  async releaseDeadPools(staleMs: number, exceptPoolId?: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ pool_id: string }>(
      `select pool_id from sluice_queue_pools
        where released_at is null and heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)
          and pool_id is distinct from $2`,
      [staleMs, exceptPoolId ?? null],
    );
    const ids = rows.map((r) => r.pool_id);
    await this.releasePools(ids);
    return ids;
  }

  /**
   * Frees the jobs of the given pools now (their process is known dead, or it is our own pool restarted
   * after a database outage) and wakes the listening pools, which otherwise would find the freed jobs
   * only at their next poll.
   */
  async releasePools(poolIds: readonly string[]): Promise<void> {
    if (poolIds.length === 0) return;
    const ids = [...poolIds];
    const { rows } = await this.#pool.query<{ n: number }>('select count(*)::int as n from graphile_worker.jobs where locked_by = any($1::text[])', [ids]);
    await this.#utils.forceUnlockWorkers(ids);
    await this.#pool.query('update sluice_queue_pools set released_at = now() where pool_id = any($1::text[])', [ids]);
    const freed = rows[0]?.n ?? 0;
    if (freed > 0) await this.#pool.query(`select pg_notify('jobs:insert', json_build_object('r', random(), 'count', $1::int)::text)`, [freed]);
  }

  /** Jobs still in the queue (waiting, locked or failing), oldest first. */
  async jobs(): Promise<{ jobId: string; key: string | null; lockedBy: string | null; attempts: number; lastError: string | null; runAt: number }[]> {
    const { rows } = await this.#pool.query<{ id: string; key: string | null; locked_by: string | null; attempts: number; last_error: string | null; run_at: Date }>(
      `select id::text, key, locked_by, attempts, last_error, run_at from graphile_worker.jobs where task_identifier = $1 order by id`,
      [SLUICE_TASK],
    );
    return rows.map((r) => ({ jobId: r.id, key: r.key, lockedBy: r.locked_by, attempts: r.attempts, lastError: r.last_error, runAt: r.run_at.getTime() }));
  }

  async close(): Promise<void> {
    await Promise.resolve(this.#utils.release()).catch(() => {});
    await this.#pool.end().catch(() => {});
  }
}

function queueError(doing: string, err: unknown): SluiceError {
  return new SluiceError(`Failed ${doing}: ${errorMessage(err)}`, {
    code: 'QUEUE',
    cause: err,
    hint: 'Check SLUICE_DATABASE_URL points at a reachable PostgreSQL (12 or newer) and that the user may create schemas there.',
  });
}
