/**
 * The distributed executor: runs live in the PostgreSQL metadata store, their tasks travel as
 * graphile-worker jobs in the same database, and any number of `sluice worker` processes on any
 * machines run them. The process that submits (CLI, scheduler, backfill) only writes the run and its
 * root jobs in one transaction; it never runs a step, so it may exit right after submitting.
 *
 *   submit:  one transaction: run + task runs + root tasks queued + their jobs (add_jobs)
 *   worker:  job -> claim (queued -> running, attempt and lease) -> step -> commit, fenced, which queues
 *            the dependents and their jobs in the same transaction -> ... -> the last commit finishes the run
 *   wait:    polls the run's state (any process can wait on any run)
 *   cancel:  a column on the run; workers see it at their next heartbeat and fire the step's signal
 */
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../core/clock.ts';
import { SluiceError } from '../core/errors.ts';
import { migrateQueue } from '../store/queue/graphile.ts';
import type { MetadataStore, RunRecord } from '../store/types.ts';
import { GraphileTransport } from './distributed-transport.ts';
import { DEFAULT_LEASE_MS, type Executor, type SubmitOptions, type WaitOptions } from './executor-types.ts';
import type { PipelineGraph } from './graph.ts';
import { isTerminalRun, requestCancel, resumeRun, submitRun } from './state.ts';

export interface DistributedExecutorOptions {
  /** The metadata store; must be PostgreSQL (the queue lives in the same database). */
  store: MetadataStore;
  /** The store's PostgreSQL URL (graphile-worker connects with it to install its schema). */
  url: string;
  /** How often `wait` reads the run's state. Default 100 ms. */
  pollMs?: number;
  leaseMs?: number;
  clock?: Clock;
}

export class DistributedExecutor implements Executor {
  readonly kind = 'distributed';
  readonly transport = new GraphileTransport();
  readonly #store: MetadataStore;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #clock: Clock;

  private constructor(options: DistributedExecutorOptions) {
    this.#store = options.store;
    this.#pollMs = options.pollMs ?? 100;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#clock = options.clock ?? systemClock;
  }

  /** Checks the store is PostgreSQL and installs the queue's schema (idempotent). */
  static async open(options: DistributedExecutorOptions): Promise<DistributedExecutor> {
    requirePostgres(options.store);
    await migrateQueue(options.url);
    return new DistributedExecutor(options);
  }

  async submit(graph: PipelineGraph, options: SubmitOptions = {}): Promise<RunRecord> {
    const { run } = await submitRun(this.#store, this.transport, graph, options, {
      executor: this.kind, owner: null, leaseMs: this.#leaseMs, now: this.#clock.now(),
    });
    return run;
  }

  async wait(runId: string, options: WaitOptions = {}): Promise<RunRecord> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const run = await this.#store.getRun(runId);
      if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
      if (isTerminalRun(run.state)) return run;
      if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new SluiceError(`Stopped waiting for run ${runId}`, { code: 'CANCELLED' });
      if (Date.now() >= deadline) {
        throw new SluiceError(`Run ${runId} is still ${run.state} after ${options.timeoutMs} ms`, {
          code: 'TIMEOUT', context: { run: runId },
          hint: 'Are `sluice worker` processes running against this database? `sluice runs show <id>` shows which steps wait.',
        });
      }
      await delay(this.#pollMs, undefined, options.signal ? { signal: options.signal } : undefined).catch(() => {});
    }
  }

  async retry(runId: string, options: { graph?: PipelineGraph } = {}): Promise<RunRecord> {
    if (!options.graph) {
      throw new SluiceError(`Retrying run ${runId} needs its pipeline graph`, { code: 'USAGE', hint: 'Pass { graph } (the CLI loads it from the file the run records).' });
    }
    const { run } = await resumeRun(this.#store, this.transport, options.graph, runId, {
      owner: null, leaseMs: this.#leaseMs, now: this.#clock.now(), executor: this.kind,
    });
    return run;
  }

  async cancel(runId: string, reason = 'cancel requested'): Promise<void> {
    await requestCancel(this.#store, runId, reason, this.#clock.now());
  }

  /** The store belongs to the caller; nothing else is held. */
  async close(): Promise<void> {}
}

export function requirePostgres(store: MetadataStore): void {
  if (store.dialect !== 'postgres') {
    throw new SluiceError(`The distributed executor needs a PostgreSQL metadata database; ${store.description} is SQLite`, {
      code: 'CONFIG',
      hint: 'Set SLUICE_DATABASE_URL=postgres://user:password@host:5432/db for the scheduler, the CLI and every `sluice worker`.',
    });
  }
}
