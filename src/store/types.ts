/**
 * The metadata store's small interface. One implementation (Kysely) speaks SQLite and PostgreSQL;
 * both pass the same conformance suite (test/store/metadata.conformance.test.ts).
 * All times are epoch milliseconds as JS numbers; JSON fields are plain values (stored as text).
 */
import type { ScheduleStore } from './schedule-types.ts';
export type * from './schedule-types.ts';

export type RunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/**
 * pending (waiting for inputs) -> queued (may run once `notBefore` has passed) -> running (claimed
 * under a lease) -> succeeded | failed | cancelled; skipped when an input did not succeed. A failed
 * attempt with retries left goes back to queued with attempt + 1.
 */
export type TaskState = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
/** What started a run. */
export type RunTrigger = 'manual' | 'schedule' | 'backfill' | 'retry';
export const TERMINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

import type { Json } from '../core/json.ts';

/** `Json` lives in core/json.ts; re-exported here for the store layer's own users. */
export type { Json };

export interface RunRecord {
  id: string;
  pipeline: string;
  params: Record<string, Json>;
  partition: string | null;
  state: RunState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  errorStack: string | null;
  /** The run's logical date (epoch ms): the schedule occurrence or backfill partition it is for. */
  logicalDate: number | null;
  trigger: RunTrigger;
  /** Idempotency key, unique per pipeline (e.g. `schedule:2001-03-01T00:00:00.000Z`); null for none. */
  key: string | null;
  backfillId: string | null;
  /** Which executor drives it: 'inline', 'local', 'distributed'. */
  executor: string;
  /** The pipeline (or project) file the graph is loaded from, so any process can run its steps. */
  pipelineFile: string | null;
  /**
   * The worker (process) that drives the whole run (inline and local executors), or null when its tasks
   * are handed to a queue (distributed). With `leaseExpiresAt`: when that owner's lease runs out, the
   * reaper closes the run.
   */
  owner: string | null;
  leaseExpiresAt: number | null;
  /** A cancel request (from any process): the driver or workers see it and fire the steps' signals. */
  cancelRequestedAt: number | null;
  cancelReason: string | null;
  /** Disables step caching for this run (`--no-cache`). */
  noCache: boolean;
}

export interface TaskRunRecord {
  id: string;
  runId: string;
  step: string;
  state: TaskState;
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  error: string | null;
  errorStack: string | null;
  /** The way out the error named (`SluiceError.hint`), shown under the error; null for none. */
  errorHint: string | null;
  /**
   * The step's output as JSON. With `outputKind` 'value' it is the faithful encoding that later steps
   * read back as their input (datasets as `{"$dataset": {...}}`, models as `{"$model": {...}}`, see
   * orchestrator/outputs.ts); with 'summary' the value could not be stored faithfully (a Frame, a
   * typed array), so it is a summary for people and a rerun recomputes the step.
   */
  output: Json;
  outputKind: 'value' | 'summary' | null;
  /** Short log lines emitted by the step. */
  logs: string[];
  /** Attempts allowed in all (retries + 1), fixed at submit so any process can apply the policy. */
  maxAttempts: number;
  /** Base delay of the exponential backoff between attempts. */
  retryDelayMs: number;
  /** Per-attempt time limit; null for none. */
  timeoutMs: number | null;
  /** The worker holding the attempt, and until when (renewed by its heartbeat). */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** A queued attempt does not start before this time (retry backoff). */
  notBefore: number | null;
  /** Step cache key (steps with `cache: true`), and the task run whose output a cache hit reused. */
  cacheKey: string | null;
  cachedFrom: string | null;
  /**
   * Attempts of this task whose worker died (its lease expired): the reaper queued each again without
   * spending one of the step's retries, up to a limit (see orchestrator/reaper.ts).
   */
  leaseLosses: number;
}

/** A long-lived Sluice process (local executor, scheduler, worker), for leases and the reaper. */
export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  kind: string;
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
}

export interface DatasetVersionRecord {
  id: string;
  dataset: string;
  version: number;
  /** Artifact key of the Parquet snapshot. */
  artifact: string;
  schema: { name: string; type: string }[];
  rowCount: number;
  contentHash: string;
  profile: Json;
  /** Lineage: the run and step that made it, and the dataset versions / artifacts it was made from. */
  runId: string | null;
  step: string | null;
  inputs: string[];
  partition: string | null;
  /**
   * A JSON object about the version, written once with it: ingest state (source fingerprint, partition,
   * watermark), the validation report, the retention policy. `{}` when nothing was recorded.
   */
  meta: { [key: string]: Json };
  createdAt: number;
  /** When a retention policy expired this version (its snapshot may be deleted); null while it is live. */
  expiredAt: number | null;
}

export interface ModelVersionRecord {
  id: string;
  model: string;
  version: number;
  artifact: string;
  metrics: Record<string, number>;
  params: Record<string, Json>;
  runId: string | null;
  step: string | null;
  /** Dataset version ids the model was trained on. */
  inputs: string[];
  createdAt: number;
}

export interface RunPageQuery {
  pipeline?: string;
  state?: RunState;
  partition?: string;
  /** Id of the last run of the previous page. */
  after?: string;
  /** Page size, 1 to 1000. */
  limit: number;
}

/** Orchestration fields are optional (defaults: manual trigger, 'inline' executor, nulls). */
export type NewRun = Omit<RunRecord, 'startedAt' | 'finishedAt' | 'error' | 'errorStack' | OrchestrationRunFields> & Partial<Pick<RunRecord, OrchestrationRunFields>>;
type OrchestrationRunFields = 'logicalDate' | 'trigger' | 'key' | 'backfillId' | 'executor' | 'pipelineFile' | 'owner' | 'leaseExpiresAt' | 'cancelRequestedAt' | 'cancelReason' | 'noCache';
export type NewTaskRun = Pick<TaskRunRecord, 'id' | 'runId' | 'step' | 'state'> & Partial<Pick<TaskRunRecord, 'maxAttempts' | 'retryDelayMs' | 'timeoutMs' | 'notBefore' | 'cacheKey'>>;
export type RunPatch = Partial<Pick<RunRecord, 'state' | 'startedAt' | 'finishedAt' | 'error' | 'errorStack' | 'owner' | 'leaseExpiresAt' | 'cancelRequestedAt' | 'cancelReason' | 'noCache'>>;
export type TaskRunPatch = Partial<Omit<TaskRunRecord, 'id' | 'runId' | 'step'>>;
/** Compare-and-set conditions: the update applies only if the row still matches all of them. */
export interface RunExpect { state?: readonly RunState[]; owner?: string | null }
/** Who claims a task attempt, when, and until when its lease holds. */
export interface TaskClaim { owner: string; now: number; leaseExpiresAt: number }
export interface TaskExpect { state?: readonly TaskState[]; attempt?: number; leaseOwner?: string | null }
export type NewDatasetVersion = Omit<DatasetVersionRecord, 'version' | 'createdAt' | 'meta' | 'expiredAt'> & { meta?: { [key: string]: Json } };
export type NewModelVersion = Omit<ModelVersionRecord, 'version' | 'createdAt'>;

/**
 * What one metadata transaction can do: the orchestration's state changes, compare-and-set (the
 * fence of a commit: "still running, this attempt, this lease owner"), and registering datasets,
 * models and aliases. Everything in one `store.transaction(fn)` commits together or not at all.
 */
export interface MetadataTx {
  readonly dialect: 'sqlite' | 'postgres';
  /** Raw SQL inside this transaction (e.g. `select graphile_worker.add_job(...)` on PostgreSQL); `$1`-style parameters on PostgreSQL, `?` on SQLite. */
  execute(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Serializes writers of one dataset across processes until this transaction ends: PostgreSQL
   * `pg_advisory_xact_lock` on a hash of the name; SQLite: the write transaction itself (BEGIN IMMEDIATE).
   */
  lockDataset(name: string): Promise<void>;

  createRun(run: NewRun): Promise<RunRecord>;
  /**
   * `lock`: on PostgreSQL, SELECT ... FOR UPDATE, so state changes of one run serialize (take it
   * before touching the run's task runs: one lock order, no deadlock). SQLite transactions already do.
   */
  getRun(id: string, options?: { lock?: boolean }): Promise<RunRecord | undefined>;
  /** The run of `pipeline` with idempotency key `key`, if any. */
  findRunByKey(pipeline: string, key: string): Promise<RunRecord | undefined>;
  /** Returns false (and changes nothing) when the run does not match `expect`. */
  updateRun(id: string, patch: RunPatch, expect?: RunExpect): Promise<boolean>;

  createTaskRuns(tasks: readonly NewTaskRun[]): Promise<void>;
  getTaskRun(id: string): Promise<TaskRunRecord | undefined>;
  listTaskRuns(runId: string): Promise<TaskRunRecord[]>;
  /** The task runs of the given steps of a run (any order). */
  listTaskRunsBySteps(runId: string, steps: readonly string[]): Promise<TaskRunRecord[]>;
  /** How many task runs of the run are in the given states. */
  countTaskRuns(runId: string, states: readonly TaskState[]): Promise<number>;
  /** Whether any task run of the run is in one of the given states (an index lookup, not a count). */
  hasTaskRuns(runId: string, states: readonly TaskState[]): Promise<boolean>;
  /**
   * Claims attempt `attempt` of a task run in one statement: queued -> running with the lease, only if
   * it is queued at that attempt, its backoff (`notBefore`) has passed, and its run is running with no
   * cancel requested. Returns the claimed task run, or undefined (nothing changed) when any of that fails.
   */
  claimTaskRun(id: string, attempt: number, claim: TaskClaim): Promise<TaskRunRecord | undefined>;
  /**
   * A step's success, fenced: updates the task run only while it is running under `fence.attempt` and
   * `fence.leaseOwner` and its run has no cancel request. On PostgreSQL the same statement also looks
   * for another unfinished task of the run that no other transaction holds (and locks it until this
   * transaction ends): `openTask` says whether it found one (see orchestrator finishRunIfDone);
   * undefined where the store does not look (SQLite).
   */
  completeTaskRun(id: string, patch: TaskRunPatch, fence: { attempt: number; leaseOwner: string; runId: string }): Promise<{ updated: boolean; openTask: boolean | undefined }>;
  /** Queues (pending -> queued) the given steps' task runs that are still pending; returns them. */
  queuePendingTaskRuns(runId: string, steps: readonly string[]): Promise<{ id: string; step: string; attempt: number }[]>;
  /** Sets the state (and error) of every task run of the run that is in `from` (and, if given, among `steps`); returns their ids. */
  setTaskStates(runId: string, from: readonly TaskState[], patch: TaskRunPatch, steps?: readonly string[]): Promise<string[]>;
  /** Returns false (and changes nothing) when the task run does not match `expect`. */
  updateTaskRun(id: string, patch: TaskRunPatch, expect?: TaskExpect): Promise<boolean>;

  registerDatasetVersion(v: NewDatasetVersion): Promise<DatasetVersionRecord>;
  getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersionRecord | undefined>;
  getDatasetVersionById(id: string): Promise<DatasetVersionRecord | undefined>;
  listDatasetVersions(dataset: string): Promise<DatasetVersionRecord[]>;
  /** As MetadataStore.expireDatasetVersions; artifacts pinned by a staged version are not returned. */
  expireDatasetVersions(dataset: string, versions: readonly number[], at: number): Promise<string[]>;
  registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord>;
  getModelVersion(model: string, version?: number): Promise<ModelVersionRecord | undefined>;
  setModelAlias(model: string, alias: string, version: number, note?: AliasNote): Promise<void>;

  /** Pins artifacts a staged (not yet committed) output points to, so retention and gc keep them. */
  pinArtifacts(holder: string, artifacts: readonly string[], workerId?: string | null): Promise<void>;
  /** Drops the pins of a holder (at commit, or when its attempt ends). */
  unpinArtifacts(holder: string): Promise<void>;
  /**
   * Of `artifacts`, those nothing references: no live dataset version, no model version, no pin
   * younger than `pinMaxAgeMs` or held by a live worker. Serialized with pinArtifacts, so a file
   * decided unreferenced here cannot be pinned until this transaction ends.
   */
  unreferencedArtifacts(artifacts: readonly string[], now: number, pinMaxAgeMs: number): Promise<string[]>;
}

/** A found expired lease: a running task whose owner stopped renewing it. */
export interface ExpiredTask { task: TaskRunRecord; run: RunRecord }

/** Why an alias moved: written with the move into the alias history. */
export interface AliasNote {
  reason?: string | null;
  /** The run whose step moved it, or null for a person at the CLI. */
  runId?: string | null;
  /** Who moved it: "run <id> step <name>", "cli (user@host)", ... */
  actor?: string | null;
  /** The decision's evidence, e.g. both models' metrics on the same rows. */
  evidence?: { [key: string]: Json };
}

export interface AliasHistoryRecord {
  model: string;
  alias: string;
  version: number;
  /** The version the alias pointed to before, or null when it was created. */
  previousVersion: number | null;
  reason: string | null;
  runId: string | null;
  actor: string | null;
  evidence: { [key: string]: Json };
  at: number;
}

export interface MetadataStore {
  /** Human-readable description: "sqlite:.sluice/sluice.db" or "postgres://host/db" (no password). */
  readonly description: string;
  /** Schedules, their occurrences and backfills (schedule-types.ts). */
  readonly schedules: ScheduleStore;
  readonly dialect: 'sqlite' | 'postgres';

  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so it holds the write lock; PostgreSQL:
   * READ COMMITTED, with row locks and advisory locks as taken). Commits when `fn` resolves, rolls
   * back when it throws.
   */
  transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T>;

  getTaskRun(id: string): Promise<TaskRunRecord | undefined>;
  /** The task runs of the given steps of a run (any order). */
  listTaskRunsBySteps(runId: string, steps: readonly string[]): Promise<TaskRunRecord[]>;
  /**
   * MetadataTx.pinArtifacts in a transaction of its own, retried with backoff while the database is
   * unreachable (SLUICE_COMMIT_RETRY_MS, default 30 s): a pin is idempotent, and a step staging its
   * outputs should not fail because PostgreSQL restarted under it.
   */
  pinArtifacts(holder: string, artifacts: readonly string[], workerId?: string | null): Promise<void>;
  /** MetadataTx.completeTaskRun as one statement of its own (a step with nothing to register and no dependents). */
  completeTaskRun(id: string, patch: TaskRunPatch, fence: { attempt: number; leaseOwner: string; runId: string }): Promise<{ updated: boolean; openTask: boolean | undefined }>;
  /**
   * Runs still `running` that no process owns (queue-driven) and whose task runs have all ended: a
   * process died between a step's commit and closing the run. The reaper finishes them.
   */
  listRunsWithNothingLeft(limit?: number): Promise<string[]>;
  /** MetadataTx.claimTaskRun as one statement of its own (no transaction around it: it is atomic alone). */
  claimTaskRun(id: string, attempt: number, claim: TaskClaim): Promise<TaskRunRecord | undefined>;
  findRunByKey(pipeline: string, key: string): Promise<RunRecord | undefined>;
  /** Runs of a pipeline created by a backfill. */
  listRunsByBackfill(backfillId: string): Promise<RunRecord[]>;
  /** A succeeded task run with this cache key and a faithful output, newest first. */
  findCachedTask(cacheKey: string): Promise<TaskRunRecord | undefined>;

  /** Registers (or re-registers) a worker and returns its record. */
  registerWorker(w: Omit<WorkerRecord, 'heartbeatAt' | 'stoppedAt' | 'startedAt'> & { startedAt?: number }): Promise<WorkerRecord>;
  /**
   * One heartbeat: the worker's heartbeat_at, and the leases of its running task runs and owned runs,
   * extended to now + leaseMs. With `runs`, only the leases within those runs are renewed: a process
   * that drives runs itself names the ones it still drives, so that a run it gave up on (or a task it
   * claimed for such a run) is not kept alive by the heartbeats of the others and the reaper closes it.
   * Returns the ids of its (in-scope) runs with a cancel request, so the caller can fire their signals.
   */
  heartbeat(workerId: string, leaseMs: number, now?: number, runs?: readonly string[]): Promise<{ cancelRequested: string[] }>;
  stopWorker(workerId: string, now?: number): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  /** Running task runs whose lease expired before `now`. */
  listExpiredTasks(now: number, limit?: number): Promise<ExpiredTask[]>;
  /** Pending/running runs with an owner whose lease expired before `now`. */
  listOrphanedRuns(now: number, limit?: number): Promise<RunRecord[]>;
  /** Every artifact key some dataset version or model version references, and the live pins. */
  listReferencedArtifacts(): Promise<Set<string>>;

  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(options?: { pipeline?: string; state?: RunState; limit?: number }): Promise<RunRecord[]>;
  /**
   * One page of runs, newest first, filtered by pipeline, state and partition (each optional; served by
   * indexes on (filter, created_at, seq)). `after` is the id of the last run of the previous page (keyset
   * pagination: no OFFSET, so page 500 costs what page 1 does); `hasMore` says whether another page follows.
   */
  listRunsPage(options: RunPageQuery): Promise<{ runs: RunRecord[]; hasMore: boolean }>;
  /** Names of the pipelines that have runs, sorted. */
  listRunPipelines(): Promise<string[]>;
  /** Dataset versions and model versions registered by a run, in registration order. */
  listRunOutputs(runId: string): Promise<{ datasets: DatasetVersionRecord[]; models: ModelVersionRecord[] }>;
  /** Dataset versions and model versions whose lineage (`inputs`) names `id` (a dataset or model version id). */
  listLineageChildren(id: string, limit?: number): Promise<{ datasets: DatasetVersionRecord[]; models: ModelVersionRecord[] }>;
  /** Marks every run still 'running' or 'pending' (and its unfinished task runs) with the given state. Returns the run ids. */
  closeUnfinishedRuns(state: 'failed' | 'cancelled', reason: string, runIds?: string[]): Promise<string[]>;

  createTaskRun(task: NewTaskRun): Promise<TaskRunRecord>;
  updateTaskRun(id: string, patch: TaskRunPatch): Promise<void>;
  /** In creation order. */
  listTaskRuns(runId: string): Promise<TaskRunRecord[]>;

  /** Atomically assigns the next version number of the dataset (1, 2, ...) and inserts it. */
  registerDatasetVersion(v: NewDatasetVersion): Promise<DatasetVersionRecord>;
  getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersionRecord | undefined>;
  getDatasetVersionById(id: string): Promise<DatasetVersionRecord | undefined>;
  /** Newest version first. */
  listDatasetVersions(dataset: string): Promise<DatasetVersionRecord[]>;
  /** One row per dataset: its latest version. */
  listDatasets(): Promise<DatasetVersionRecord[]>;
  /**
   * Marks versions of a dataset expired at `at` (retention); their rows stay, for lineage. Versions
   * already expired keep their time. Returns the artifact keys of the newly expired versions that no
   * live (unexpired) dataset version references any more: the caller may delete those files.
   */
  expireDatasetVersions(dataset: string, versions: readonly number[], at: number): Promise<string[]>;

  /** Atomically assigns the next version number of the model and inserts it. */
  registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord>;
  getModelVersion(model: string, version?: number): Promise<ModelVersionRecord | undefined>;
  listModelVersions(model: string): Promise<ModelVersionRecord[]>;
  /** One row per model: its latest version. */
  listModels(): Promise<ModelVersionRecord[]>;
  /** Points the alias at the version (creating or moving it) and records the move in the alias history. */
  setModelAlias(model: string, alias: string, version: number, note?: AliasNote): Promise<void>;
  /** Every move of the model's aliases (or of one alias), oldest first. */
  listAliasHistory(model: string, alias?: string): Promise<AliasHistoryRecord[]>;
  /** Alias name -> version. */
  getModelAliases(model: string): Promise<Record<string, number>>;

  close(): Promise<void>;
}

export interface PutOptions {
  /**
   * Called with the key once it is known and before the file is checked for or made visible under
   * it: the catalog pins the artifact here, so retention cannot delete an identical file that is
   * about to be reused.
   */
  beforePublish?: (key: string) => Promise<void>;
}

/** Content-addressed artifact storage: keys are "sha256:<hex>". Writes are atomic (temp file + rename). */
export interface ArtifactStore {
  readonly description: string;
  /** Stores bytes; returns the key. Storing the same bytes twice is a no-op returning the same key. */
  put(bytes: Uint8Array, options?: PutOptions): Promise<string>;
  /** Moves (or copies) a finished file into the store; the source is consumed. Returns the key. */
  putFile(path: string, options?: PutOptions): Promise<string>;
  get(key: string): Promise<Uint8Array>;
  /** A local filesystem path for reading (e.g. by DuckDB). */
  path(key: string): string;
  has(key: string): Promise<boolean>;
  /** A scratch directory on the same filesystem, for temp files that putFile will consume. */
  tempDir(): string;
  /** Removes an artifact (retention); removing a key that is not there is a no-op. */
  delete(key: string): Promise<void>;
  /** Every stored key with its file's modification time (for gc). */
  list?(): AsyncIterable<{ key: string; mtimeMs: number }>;
  /** Files in the scratch folder with their modification times (for gc of crash leftovers). */
  listTemp?(): Promise<{ path: string; mtimeMs: number }[]>;
}
