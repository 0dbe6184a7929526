/**
 * Kysely table types of the metadata database (snake_case, as stored). Times are epoch ms (BIGINT);
 * JSON fields are text. The store maps rows to the camelCase records of ../types.ts.
 */
import type { Generated } from 'kysely';
import type { ScheduleTables } from './schedule-schema.ts';

export interface RunsTable {
  /** Insertion order: the tie-breaker when two runs share a createdAt. */
  seq: Generated<number>;
  id: string;
  pipeline: string;
  /** JSON object. */
  params: string;
  partition_key: string | null;
  state: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  error_stack: string | null;
  /** Migration 0003 (orchestration). */
  logical_date: number | null;
  run_trigger: string;
  run_key: string | null;
  backfill_id: string | null;
  executor: string;
  pipeline_file: string | null;
  owner: string | null;
  lease_expires_at: number | null;
  cancel_requested_at: number | null;
  cancel_reason: string | null;
  /** 0 or 1. */
  no_cache: number;
}

export interface TaskRunsTable {
  /** Insertion order: listTaskRuns returns task runs in creation order. */
  seq: Generated<number>;
  id: string;
  run_id: string;
  step: string;
  state: string;
  attempt: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  error: string | null;
  error_stack: string | null;
  /** JSON value. */
  output: string;
  /** JSON array of strings. */
  logs: string;
  /** Migration 0003 (orchestration). 'value' | 'summary' | null. */
  output_kind: string | null;
  max_attempts: number;
  retry_delay_ms: number;
  timeout_ms: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  not_before: number | null;
  cache_key: string | null;
  cached_from: string | null;
  /** The failed attempt's `SluiceError.hint` (migration 0008). */
  error_hint: string | null;
  /** Migration 0009: attempts re-queued because their worker died (lease expired), not counted as retries. */
  lease_losses: number;
}

export interface WorkersTable {
  id: string;
  host: string;
  pid: number;
  kind: string;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

/** Artifacts of staged outputs, kept from retention and gc until their holder commits or dies. */
export interface ArtifactPinsTable {
  holder: string;
  artifact: string;
  worker_id: string | null;
  created_at: number;
}

/** One row per dataset name; latest_version is the version counter, bumped in the registering transaction. */
export interface DatasetsTable {
  name: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface DatasetVersionsTable {
  id: string;
  dataset: string;
  version: number;
  artifact: string;
  /** JSON array of { name, type }. */
  column_schema: string;
  row_count: number;
  content_hash: string;
  /** JSON value. */
  profile: string;
  run_id: string | null;
  step: string | null;
  /** JSON array of ids / artifact keys. */
  inputs: string;
  partition_key: string | null;
  created_at: number;
  /** JSON object (migration 0002). */
  meta: string;
  /** Epoch ms when retention expired the version; null while live (migration 0002). */
  expired_at: number | null;
}

/** One row per model name; latest_version is the version counter. */
export interface ModelsTable {
  name: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface ModelVersionsTable {
  id: string;
  model: string;
  version: number;
  artifact: string;
  /** JSON object of name -> number (non-finite numbers stored as the strings "NaN", "Infinity", "-Infinity"). */
  metrics: string;
  /** JSON object. */
  params: string;
  run_id: string | null;
  step: string | null;
  /** JSON array of dataset version ids. */
  inputs: string;
  created_at: number;
}

export interface ModelAliasesTable {
  model: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface ModelAliasHistoryTable {
  seq: Generated<number>;
  model: string;
  alias: string;
  version: number;
  previous_version: number | null;
  reason: string | null;
  run_id: string | null;
  actor: string | null;
  /** JSON object. */
  evidence: string;
  at: number;
}

/** One row per input id of a dataset or model version (migration 0008): lineage down by index. */
export interface LineageEdgesTable {
  input_id: string;
  /** 'dataset' | 'model': the table `output_id` is in. */
  output_kind: string;
  output_id: string;
}

export interface Database extends ScheduleTables {
  runs: RunsTable;
  task_runs: TaskRunsTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_alias_history: ModelAliasHistoryTable;
  workers: WorkersTable;
  artifact_pins: ArtifactPinsTable;
  lineage_edges: LineageEdgesTable;
}
