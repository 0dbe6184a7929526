/**
 * Row mapping and value checks shared by the metadata store and its transactions.
 */
import type { Transaction } from 'kysely';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type { DatasetVersionRecord, Json, ModelVersionRecord, RunRecord, RunState, RunTrigger, TaskRunRecord, TaskState, WorkerRecord } from '../types.ts';
import type { Database, DatasetVersionsTable, ModelVersionsTable, RunsTable, TaskRunsTable, WorkersTable } from './schema.ts';

export const RUN_STATES: readonly RunState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
export const TASK_STATES: readonly TaskState[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
export const RUN_TRIGGERS: readonly RunTrigger[] = ['manual', 'schedule', 'backfill', 'retry'];
/** Keeps IN (...) lists well under SQLite's and PostgreSQL's bound-parameter limits. */
export const IN_CHUNK = 500;

/** Bumps (or creates at 1) the version counter of `name`; the row stays locked until the transaction ends. */
export async function nextVersion(trx: Transaction<Database>, table: 'datasets' | 'models', name: string, now: number): Promise<number> {
  const row = await trx
    .insertInto(table)
    .values({ name, latest_version: 1, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        latest_version: eb(eb.ref(`${table}.latest_version`), '+', 1),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('latest_version')
    .executeTakeFirstOrThrow();
  return toNumber(row.latest_version);
}

// ---- row mapping ----------------------------------------------------------------------------------

export function toRun(r: Omit<RunsTable, 'seq'>): RunRecord {
  const where = `run ${r.id}`;
  return {
    id: r.id,
    pipeline: r.pipeline,
    params: parseJson(r.params, `params of ${where}`) as Record<string, Json>,
    partition: r.partition_key,
    state: r.state as RunState,
    createdAt: toNumber(r.created_at),
    startedAt: toNullableNumber(r.started_at),
    finishedAt: toNullableNumber(r.finished_at),
    error: r.error,
    errorStack: r.error_stack,
    logicalDate: toNullableNumber(r.logical_date),
    trigger: r.run_trigger as RunTrigger,
    key: r.run_key,
    backfillId: r.backfill_id,
    executor: r.executor,
    pipelineFile: r.pipeline_file,
    owner: r.owner,
    leaseExpiresAt: toNullableNumber(r.lease_expires_at),
    cancelRequestedAt: toNullableNumber(r.cancel_requested_at),
    cancelReason: r.cancel_reason,
    noCache: toNumber(r.no_cache) !== 0,
  };
}

export function toWorker(r: WorkersTable): WorkerRecord {
  return {
    id: r.id, host: r.host, pid: toNumber(r.pid), kind: r.kind, startedAt: toNumber(r.started_at),
    heartbeatAt: toNumber(r.heartbeat_at), stoppedAt: toNullableNumber(r.stopped_at),
  };
}

export function toTaskRun(r: Omit<TaskRunsTable, 'seq'>): TaskRunRecord {
  const where = `task run ${r.id}`;
  return {
    id: r.id,
    runId: r.run_id,
    step: r.step,
    state: r.state as TaskState,
    attempt: toNumber(r.attempt),
    startedAt: toNullableNumber(r.started_at),
    finishedAt: toNullableNumber(r.finished_at),
    durationMs: toNullableNumber(r.duration_ms),
    error: r.error,
    errorStack: r.error_stack,
    errorHint: r.error_hint ?? null,
    output: parseJson(r.output, `output of ${where}`),
    outputKind: r.output_kind === 'value' || r.output_kind === 'summary' ? r.output_kind : null,
    logs: parseJson(r.logs, `logs of ${where}`) as string[],
    maxAttempts: toNumber(r.max_attempts),
    retryDelayMs: toNumber(r.retry_delay_ms),
    timeoutMs: toNullableNumber(r.timeout_ms),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: toNullableNumber(r.lease_expires_at),
    notBefore: toNullableNumber(r.not_before),
    cacheKey: r.cache_key,
    cachedFrom: r.cached_from,
    leaseLosses: toNumber(r.lease_losses),
  };
}

export function toDatasetVersion(r: DatasetVersionsTable): DatasetVersionRecord {
  const where = `dataset version ${r.id}`;
  return {
    id: r.id,
    dataset: r.dataset,
    version: toNumber(r.version),
    artifact: r.artifact,
    schema: parseJson(r.column_schema, `schema of ${where}`) as { name: string; type: string }[],
    rowCount: toNumber(r.row_count),
    contentHash: r.content_hash,
    profile: parseJson(r.profile, `profile of ${where}`),
    runId: r.run_id,
    step: r.step,
    inputs: parseJson(r.inputs, `inputs of ${where}`) as string[],
    partition: r.partition_key,
    meta: parseJson(r.meta, `meta of ${where}`) as { [key: string]: Json },
    createdAt: toNumber(r.created_at),
    expiredAt: toNullableNumber(r.expired_at),
  };
}

export function metaObject(meta: unknown, where: string): { [key: string]: Json } {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new SluiceError(`meta of ${where} must be a JSON object`, { code: 'METADATA_ARGUMENT' });
  return meta as { [key: string]: Json };
}

export function toModelVersion(r: ModelVersionsTable): ModelVersionRecord {
  const where = `model version ${r.id}`;
  return {
    id: r.id,
    model: r.model,
    version: toNumber(r.version),
    artifact: r.artifact,
    metrics: decodeMetrics(r.metrics, where),
    params: parseJson(r.params, `params of ${where}`) as Record<string, Json>,
    runId: r.run_id,
    step: r.step,
    inputs: parseJson(r.inputs, `inputs of ${where}`) as string[],
    createdAt: toNumber(r.created_at),
  };
}

// ---- values ---------------------------------------------------------------------------------------

/** BIGINT columns arrive as numbers (open.ts installs an int8 parser on the pg pool); accept strings in case a pool lacks it. */
export function toNumber(v: number | string | bigint): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new SluiceError(`Metadata store: expected a number, got ${String(v)}`, { code: 'METADATA_CORRUPT' });
  return n;
}

export function toNullableNumber(v: number | string | bigint | null): number | null {
  return v === null ? null : toNumber(v);
}

export function jsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new SluiceError(`Cannot store ${what} as JSON: ${errorMessage(err)}`, { code: 'METADATA_ARGUMENT', cause: err });
  }
  if (text === undefined) throw new SluiceError(`Cannot store ${what} as JSON: ${typeof value} is not a JSON value`, { code: 'METADATA_ARGUMENT' });
  return text;
}

export function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new SluiceError(`Metadata store: ${what} is not valid JSON`, { code: 'METADATA_CORRUPT', cause: err });
  }
}

/** JSON has no NaN or Infinity, but metrics can be (an undefined AUC); store those as strings so they round-trip. */
export function encodeMetrics(metrics: Record<string, number>, where: string): string {
  const out: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') throw new SluiceError(`Metric ${name} of ${where} must be a number, got ${typeof value}`, { code: 'METADATA_ARGUMENT' });
    out[name] = Number.isFinite(value) ? value : String(value);
  }
  return JSON.stringify(out);
}

export function decodeMetrics(text: string, where: string): Record<string, number> {
  const raw = parseJson(text, `metrics of ${where}`);
  const out: Record<string, number> = {};
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw)) out[name] = typeof value === 'string' ? Number(value) : (value as number);
  }
  return out;
}

export function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new SluiceError(`Metadata store: ${what} must be a non-empty string`, { code: 'METADATA_ARGUMENT' });
}

export function requireState<S extends string>(state: S, allowed: readonly S[], where: string): S {
  if (!allowed.includes(state)) throw new SluiceError(`Invalid state '${String(state)}' for ${where}; expected one of ${allowed.join(', ')}`, { code: 'METADATA_ARGUMENT' });
  return state;
}

/** Times and durations go to BIGINT columns: round (performance.now() arithmetic is fractional), reject NaN. */
export function requiredTime(value: number, what: string): number {
  const ms = Math.round(value);
  if (!Number.isSafeInteger(ms)) throw new SluiceError(`${what} must be a number of milliseconds, got ${value}`, { code: 'METADATA_ARGUMENT' });
  return ms;
}

export function optionalTime(value: number | null, what: string): number | null {
  return value === null ? null : requiredTime(value, what);
}

export function requireVersion(version: number, where: string): void {
  if (!Number.isSafeInteger(version) || version < 1) throw new SluiceError(`Invalid version ${version} of ${where}: versions are integers from 1`, { code: 'METADATA_ARGUMENT' });
}

export function notFound(kind: string, id: string, description: string, cause?: unknown): SluiceError {
  return new SluiceError(`${kind} ${id} not found in ${description}`, { code: 'METADATA_NOT_FOUND', cause, context: { [kind.toLowerCase()]: id } });
}

export function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += IN_CHUNK) yield items.slice(i, i + IN_CHUNK);
}

/** SQLite (better-sqlite3) reports constraint failures as SQLITE_CONSTRAINT_*; PostgreSQL by SQLSTATE. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
