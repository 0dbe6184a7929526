/**
 * The orchestration's interfaces: every executor (inline, local, distributed) implements `Executor`
 * and passes the one conformance suite (test/orchestrator/executor.conformance.test.ts); the way a
 * queued task reaches a process that runs it is a `TaskTransport`.
 *
 * The run lives in the metadata store, not in the executor: submit writes the run and all its task
 * runs in one transaction; a task attempt is claimed by compare-and-set (queued -> running, with a
 * lease); its outputs are committed in one transaction fenced by attempt and lease owner, which also
 * queues the dependents (handing them to the transport) and finishes the run when nothing is left.
 * See docs/ARCHITECTURE.md, "Orchestration".
 */
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { ArtifactStore, MetadataStore, MetadataTx, RunRecord, RunTrigger, TaskState, RunState } from '../store/types.ts';
import type { ParamValue, PipelineGraph } from './graph.ts';

export interface SubmitOptions {
  params?: Record<string, string | ParamValue>;
  partition?: string | null;
  /** The logical date (epoch ms) the run is for: a schedule occurrence, a backfill partition's start. */
  logicalDate?: number | null;
  trigger?: RunTrigger;
  /**
   * Idempotency key, unique per pipeline (e.g. `schedule:<occurrence ISO>`, `backfill:<id>:<partition>`):
   * a second submit with the same key returns the existing run and creates nothing.
   */
  key?: string;
  backfillId?: string | null;
  /** Recompute steps with `cache: true` instead of reusing a cached output. */
  noCache?: boolean;
  /** The file the pipeline was loaded from (recorded so another process can load the graph). */
  pipelineFile?: string | null;
  /** Use this run id (e.g. made in advance so a signal handler can name it). */
  runId?: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface Executor {
  /** 'inline', 'local' or 'distributed'. */
  readonly kind: string;
  /** Creates the run durably (idempotent on options.key) and starts it. */
  submit(graph: PipelineGraph, options?: SubmitOptions): Promise<RunRecord>;
  /** Resolves when the run is terminal (succeeded, failed, cancelled). */
  wait(runId: string, options?: WaitOptions): Promise<RunRecord>;
  /** Reruns failed, cancelled and skipped steps of a finished run, reusing succeeded outputs. */
  retry(runId: string, options?: { graph?: PipelineGraph }): Promise<RunRecord>;
  /** Requests cancellation (works from any process): running steps get their AbortSignal fired. */
  cancel(runId: string, reason?: string): Promise<void>;
  close(): Promise<void>;
}

/** One queued task attempt, as handed to a transport. */
export interface QueuedTask {
  taskRunId: string;
  runId: string;
  attempt: number;
  /** Not before this time (epoch ms): retry backoff. */
  runAt?: number;
  /** Queue order where the transport has one (graphile-worker: lower first; default 0); see `jobPriority`. */
  priority?: number;
}

export interface TaskTransport {
  /**
   * Called inside the metadata transaction that queued the tasks (so a queue in the same database,
   * such as graphile-worker's `add_job`, commits or rolls back with it). An in-process transport
   * records them and hands them over after the commit (see `afterCommit`).
   */
  enqueue(tx: MetadataTx, tasks: readonly QueuedTask[]): Promise<void>;
  /** Called after the transaction that enqueued commits (in-process transports wake their loop here). */
  afterCommit?(tasks: readonly QueuedTask[]): void;
}

/** Progress and state events of runs, for the CLI's progress display and tests. */
export type RunEvent =
  | { type: 'run-start'; runId: string; pipeline: string; steps: readonly string[] }
  | { type: 'task-start'; runId: string; step: string; attempt: number }
  | { type: 'task-progress'; runId: string; step: string; done: number; total: number; message?: string }
  | { type: 'task-log'; runId: string; step: string; message: string }
  | { type: 'task-retry'; runId: string; step: string; attempt: number; error: string; delayMs: number }
  | { type: 'task-end'; runId: string; step: string; state: TaskState; durationMs: number; error?: string; cached?: boolean }
  | { type: 'run-end'; runId: string; state: RunState; durationMs: number };

/**
 * What a process needs to run task attempts (shared by every executor and `sluice worker`): the
 * stores, a DuckDB engine to fork per step, the transport dependents are queued on, this process's
 * worker id (the lease owner), and how to find the graph of a run.
 */
export interface TaskEnv {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  transport: TaskTransport;
  workerId: string;
  /** The graph of a run (by its pipeline name and `pipelineFile`). */
  resolveGraph(run: RunRecord): Promise<PipelineGraph>;
  /** Lease length; default 15 s (heartbeat every leaseMs / 3). */
  leaseMs?: number;
  logger?: Logger;
  onEvent?: (event: RunEvent) => void;
  clock?: Clock;
}

/** What became of one task attempt handed to `runTaskAttempt`. */
export type TaskOutcome =
  | { kind: 'succeeded'; cached: boolean }
  | { kind: 'failed'; error: Error; willRetry: boolean; retryAt?: number }
  | { kind: 'cancelled' }
  /** The attempt was not (or no longer) ours: another process claimed it, its lease was lost, or it was not queued. */
  | { kind: 'lost'; reason: string }
  /** Delivered before its backoff ended: hand it over again at `runAt`. */
  | { kind: 'not-yet'; runAt: number };

export const DEFAULT_LEASE_MS = 15_000;
