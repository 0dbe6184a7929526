/**
 * The metadata store's small interface. One implementation (Kysely) speaks SQLite and PostgreSQL;
 * both pass the same conformance suite (test/store/metadata.conformance.test.ts).
 * All times are epoch milliseconds as JS numbers; JSON fields are plain values (stored as text).
 */
export type RunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

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
  /** A JSON summary of the output (dataset version id, model version id, value...). */
  output: Json;
  /** Short log lines emitted by the step. */
  logs: string[];
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

export type NewRun = Omit<RunRecord, 'startedAt' | 'finishedAt' | 'error' | 'errorStack'>;
export type NewTaskRun = Pick<TaskRunRecord, 'id' | 'runId' | 'step' | 'state'>;
export type RunPatch = Partial<Pick<RunRecord, 'state' | 'startedAt' | 'finishedAt' | 'error' | 'errorStack'>>;
export type TaskRunPatch = Partial<Omit<TaskRunRecord, 'id' | 'runId' | 'step'>>;
export type NewDatasetVersion = Omit<DatasetVersionRecord, 'version' | 'createdAt' | 'meta' | 'expiredAt'> & { meta?: { [key: string]: Json } };
export type NewModelVersion = Omit<ModelVersionRecord, 'version' | 'createdAt'>;

export interface MetadataStore {
  /** Human-readable description: "sqlite:.sluice/sluice.db" or "postgres://host/db" (no password). */
  readonly description: string;

  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(options?: { pipeline?: string; state?: RunState; limit?: number }): Promise<RunRecord[]>;
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
  setModelAlias(model: string, alias: string, version: number): Promise<void>;
  /** Alias name -> version. */
  getModelAliases(model: string): Promise<Record<string, number>>;

  close(): Promise<void>;
}

/** Content-addressed artifact storage: keys are "sha256:<hex>". Writes are atomic (temp file + rename). */
export interface ArtifactStore {
  readonly description: string;
  /** Stores bytes; returns the key. Storing the same bytes twice is a no-op returning the same key. */
  put(bytes: Uint8Array): Promise<string>;
  /** Moves (or copies) a finished file into the store; the source is consumed. Returns the key. */
  putFile(path: string): Promise<string>;
  get(key: string): Promise<Uint8Array>;
  /** A local filesystem path for reading (e.g. by DuckDB). */
  path(key: string): string;
  has(key: string): Promise<boolean>;
  /** A scratch directory on the same filesystem, for temp files that putFile will consume. */
  tempDir(): string;
  /** Removes an artifact (retention); removing a key that is not there is a no-op. */
  delete(key: string): Promise<void>;
}
