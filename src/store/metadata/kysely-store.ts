/**
 * The metadata store on Kysely: one query layer for SQLite and PostgreSQL.
 *
 * Version numbers come from a per-name counter row (datasets.latest_version, models.latest_version)
 * bumped with INSERT ... ON CONFLICT DO UPDATE ... RETURNING inside the registering transaction. That
 * statement is atomic on both dialects: on PostgreSQL it locks the counter row until commit, so
 * concurrent registrations of one name queue up and get consecutive numbers; on SQLite the write
 * transaction holds the database write lock (open.ts makes SQLite transactions BEGIN IMMEDIATE). A
 * failed registration rolls the counter back, so numbers have no gaps.
 */
import type { Kysely, Transaction, Updateable } from 'kysely';
import { sql } from 'kysely';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type {
  DatasetVersionRecord,
  Json,
  MetadataStore,
  ModelVersionRecord,
  NewDatasetVersion,
  NewModelVersion,
  NewRun,
  NewTaskRun,
  RunPatch,
  RunRecord,
  RunState,
  TaskRunPatch,
  TaskRunRecord,
  TaskState,
} from '../types.ts';
import { KyselyScheduleStore } from './schedule-store.ts';
import type { ScheduleTables } from './schedule-schema.ts';
import type { Database, DatasetVersionsTable, ModelVersionsTable, RunsTable, TaskRunsTable } from './schema.ts';

const RUN_STATES: readonly RunState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
const TASK_STATES: readonly TaskState[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const UNFINISHED = ['pending', 'running'] as const;
/** Keeps IN (...) lists well under SQLite's and PostgreSQL's bound-parameter limits. */
const IN_CHUNK = 500;

/** The Kysely implementation of MetadataStore. Use openMetadataStore() to get one with a migrated database. */
export class KyselyMetadataStore implements MetadataStore {
  readonly description: string;
  readonly #db: Kysely<Database>;
  #closed = false;
  /** Schedules and backfills: their own small store on the same connection. */
  readonly schedules: KyselyScheduleStore;

  /** `db` must already be migrated (see migrations.ts); `description` must not contain a password. */
  constructor(db: Kysely<Database>, description: string) {
    this.#db = db;
    this.description = description;
    this.schedules = new KyselyScheduleStore(db as unknown as Kysely<ScheduleTables>, description);
  }

  // ---- runs ---------------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<RunRecord> {
    requireText(run.id, 'run id');
    requireText(run.pipeline, 'pipeline name');
    requireState(run.state, RUN_STATES, `run ${run.id}`);
    const row: Omit<RunsTable, 'seq'> = {
      id: run.id,
      pipeline: run.pipeline,
      params: jsonText(run.params ?? {}, `params of run ${run.id}`),
      partition_key: run.partition ?? null,
      state: run.state,
      created_at: requiredTime(run.createdAt, `createdAt of run ${run.id}`),
      started_at: null,
      finished_at: null,
      error: null,
      error_stack: null,
    };
    await this.#guard(`creating run ${run.id}`, async () => {
      try {
        await this.#db.insertInto('runs').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new SluiceError(`Run ${run.id} already exists in ${this.description}`, { code: 'METADATA_CONFLICT', cause: err, context: { run: run.id } });
        throw err;
      }
    });
    return toRun(row);
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const set: Updateable<RunsTable> = {};
    if (patch.state !== undefined) set.state = requireState(patch.state, RUN_STATES, `run ${id}`);
    if (patch.startedAt !== undefined) set.started_at = optionalTime(patch.startedAt, `startedAt of run ${id}`);
    if (patch.finishedAt !== undefined) set.finished_at = optionalTime(patch.finishedAt, `finishedAt of run ${id}`);
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.errorStack !== undefined) set.error_stack = patch.errorStack;
    await this.#guard(`updating run ${id}`, async () => {
      const found =
        Object.keys(set).length === 0
          ? (await this.#db.selectFrom('runs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
          : (await this.#db.updateTable('runs').set(set).where('id', '=', id).executeTakeFirst()).numUpdatedRows > 0n;
      if (!found) throw notFound('Run', id, this.description);
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.#guard(`reading run ${id}`, () =>
      this.#db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : toRun(row);
  }

  async listRuns(options: { pipeline?: string; state?: RunState; limit?: number } = {}): Promise<RunRecord[]> {
    const { pipeline, state, limit } = options;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
      throw new SluiceError(`listRuns: limit must be a non-negative integer, got ${String(limit)}`, { code: 'METADATA_ARGUMENT' });
    }
    const rows = await this.#guard('listing runs', () => {
      let q = this.#db.selectFrom('runs').selectAll();
      if (pipeline !== undefined) q = q.where('pipeline', '=', pipeline);
      if (state !== undefined) q = q.where('state', '=', state);
      q = q.orderBy('created_at', 'desc').orderBy('seq', 'desc');
      if (limit !== undefined) q = q.limit(limit);
      return q.execute();
    });
    return rows.map(toRun);
  }

  async closeUnfinishedRuns(state: 'failed' | 'cancelled', reason: string, runIds?: string[]): Promise<string[]> {
    if (state !== 'failed' && state !== 'cancelled') {
      throw new SluiceError(`closeUnfinishedRuns: state must be 'failed' or 'cancelled', got '${String(state)}'`, { code: 'METADATA_ARGUMENT' });
    }
    if (runIds !== undefined && runIds.length === 0) return [];
    return this.#guard('closing unfinished runs', () =>
      this.#db.transaction().execute(async (trx) => {
        const now = Date.now();
        const closed: { id: string; created_at: number; seq: number }[] = [];
        // The state condition sits in the UPDATE itself, so a run another process finishes meanwhile is left alone.
        const closeRuns = async (ids?: string[]) => {
          let q = trx
            .updateTable('runs')
            .set({ state, error: reason, finished_at: now })
            .where('state', 'in', UNFINISHED);
          if (ids !== undefined) q = q.where('id', 'in', ids);
          closed.push(...(await q.returning(['id', 'created_at', 'seq']).execute()));
        };
        if (runIds === undefined) await closeRuns();
        else for (const ids of chunks(runIds)) await closeRuns(ids);

        closed.sort((a, b) => Number(a.created_at) - Number(b.created_at) || Number(a.seq) - Number(b.seq));
        const ids = closed.map((r) => r.id);
        for (const chunk of chunks(ids)) {
          await trx
            .updateTable('task_runs')
            .set({
              state,
              error: reason,
              finished_at: now,
              duration_ms: sql<number | null>`case when started_at is null then null else ${now} - started_at end`,
            })
            .where('run_id', 'in', chunk)
            .where('state', 'in', UNFINISHED)
            .execute();
        }
        return ids;
      }),
    );
  }

  // ---- task runs ----------------------------------------------------------------------------------

  /** The new task run is attempt 1, with no times, output null and no logs; set those with updateTaskRun. */
  async createTaskRun(task: NewTaskRun): Promise<TaskRunRecord> {
    requireText(task.id, 'task run id');
    requireText(task.step, `step name of task run ${task.id}`);
    requireState(task.state, TASK_STATES, `task run ${task.id}`);
    const row: Omit<TaskRunsTable, 'seq'> = {
      id: task.id,
      run_id: task.runId,
      step: task.step,
      state: task.state,
      attempt: 1,
      started_at: null,
      finished_at: null,
      duration_ms: null,
      error: null,
      error_stack: null,
      output: 'null',
      logs: '[]',
    };
    await this.#guard(`creating task run ${task.id} (step ${task.step}, run ${task.runId})`, async () => {
      try {
        await this.#db.insertInto('task_runs').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new SluiceError(`Task run ${task.id} already exists in ${this.description}`, { code: 'METADATA_CONFLICT', cause: err, context: { run: task.runId, step: task.step } });
        if (isForeignKeyViolation(err)) throw notFound('Run', task.runId, this.description, err);
        throw err;
      }
    });
    return toTaskRun(row);
  }

  async updateTaskRun(id: string, patch: TaskRunPatch): Promise<void> {
    const set: Updateable<TaskRunsTable> = {};
    const where = `task run ${id}`;
    if (patch.state !== undefined) set.state = requireState(patch.state, TASK_STATES, where);
    if (patch.attempt !== undefined) {
      if (!Number.isSafeInteger(patch.attempt) || patch.attempt < 0) throw new SluiceError(`attempt of ${where} must be a non-negative integer, got ${patch.attempt}`, { code: 'METADATA_ARGUMENT' });
      set.attempt = patch.attempt;
    }
    if (patch.startedAt !== undefined) set.started_at = optionalTime(patch.startedAt, `startedAt of ${where}`);
    if (patch.finishedAt !== undefined) set.finished_at = optionalTime(patch.finishedAt, `finishedAt of ${where}`);
    if (patch.durationMs !== undefined) set.duration_ms = optionalTime(patch.durationMs, `durationMs of ${where}`);
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.errorStack !== undefined) set.error_stack = patch.errorStack;
    if (patch.output !== undefined) set.output = jsonText(patch.output, `output of ${where}`);
    if (patch.logs !== undefined) set.logs = jsonText(patch.logs, `logs of ${where}`);
    await this.#guard(`updating ${where}`, async () => {
      const found =
        Object.keys(set).length === 0
          ? (await this.#db.selectFrom('task_runs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
          : (await this.#db.updateTable('task_runs').set(set).where('id', '=', id).executeTakeFirst()).numUpdatedRows > 0n;
      if (!found) throw notFound('Task run', id, this.description);
    });
  }

  async listTaskRuns(runId: string): Promise<TaskRunRecord[]> {
    const rows = await this.#guard(`listing task runs of run ${runId}`, () =>
      this.#db.selectFrom('task_runs').selectAll().where('run_id', '=', runId).orderBy('seq', 'asc').execute(),
    );
    return rows.map(toTaskRun);
  }

  // ---- dataset versions ---------------------------------------------------------------------------

  async registerDatasetVersion(v: NewDatasetVersion): Promise<DatasetVersionRecord> {
    requireText(v.id, 'dataset version id');
    requireText(v.dataset, 'dataset name');
    const where = `version ${v.id} of dataset ${v.dataset}`;
    if (!Number.isSafeInteger(v.rowCount) || v.rowCount < 0) throw new SluiceError(`rowCount of ${where} must be a non-negative integer, got ${v.rowCount}`, { code: 'METADATA_ARGUMENT' });
    const base = {
      id: v.id,
      dataset: v.dataset,
      artifact: v.artifact,
      column_schema: jsonText(v.schema, `schema of ${where}`),
      row_count: v.rowCount,
      content_hash: v.contentHash,
      profile: jsonText(v.profile ?? null, `profile of ${where}`),
      run_id: v.runId ?? null,
      step: v.step ?? null,
      inputs: jsonText(v.inputs ?? [], `inputs of ${where}`),
      partition_key: v.partition ?? null,
      meta: jsonText(metaObject(v.meta, where), `meta of ${where}`),
      expired_at: null,
    };
    const row = await this.#guard(`registering ${where}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const now = Date.now();
        const version = await nextVersion(trx, 'datasets', v.dataset, now);
        const row: DatasetVersionsTable = { ...base, version, created_at: now };
        try {
          await trx.insertInto('dataset_versions').values(row).execute();
        } catch (err) {
          if (isUniqueViolation(err)) throw new SluiceError(`Dataset version id ${v.id} already exists in ${this.description}`, { code: 'METADATA_CONFLICT', cause: err, context: { dataset: v.dataset } });
          throw err;
        }
        return row;
      }),
    );
    return toDatasetVersion(row);
  }

  async getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `dataset ${dataset}`);
    const row = await this.#guard(`reading dataset ${dataset}${version === undefined ? '' : ` version ${version}`}`, () => {
      let q = this.#db.selectFrom('dataset_versions').selectAll().where('dataset', '=', dataset);
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
      return q.executeTakeFirst();
    });
    return row === undefined ? undefined : toDatasetVersion(row);
  }

  async getDatasetVersionById(id: string): Promise<DatasetVersionRecord | undefined> {
    const row = await this.#guard(`reading dataset version ${id}`, () =>
      this.#db.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : toDatasetVersion(row);
  }

  async listDatasetVersions(dataset: string): Promise<DatasetVersionRecord[]> {
    const rows = await this.#guard(`listing versions of dataset ${dataset}`, () =>
      this.#db.selectFrom('dataset_versions').selectAll().where('dataset', '=', dataset).orderBy('version', 'desc').execute(),
    );
    return rows.map(toDatasetVersion);
  }

  /** Sorted by dataset name. */
  async listDatasets(): Promise<DatasetVersionRecord[]> {
    const rows = await this.#guard('listing datasets', () =>
      this.#db
        .selectFrom('datasets as d')
        .innerJoin('dataset_versions as v', (join) => join.onRef('v.dataset', '=', 'd.name').onRef('v.version', '=', 'd.latest_version'))
        .selectAll('v')
        .orderBy('d.name', 'asc')
        .execute(),
    );
    return rows.map(toDatasetVersion);
  }

  async expireDatasetVersions(dataset: string, versions: readonly number[], at: number): Promise<string[]> {
    for (const v of versions) requireVersion(v, `dataset ${dataset}`);
    const when = requiredTime(at, `expiry time of dataset ${dataset}`);
    if (versions.length === 0) return [];
    return this.#guard(`expiring versions ${versions.join(', ')} of dataset ${dataset}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const expired: string[] = [];
        for (const part of chunks([...versions])) {
          const rows = await trx.selectFrom('dataset_versions').select('artifact')
            .where('dataset', '=', dataset).where('version', 'in', part).where('expired_at', 'is', null).execute();
          expired.push(...rows.map((r) => r.artifact));
          await trx.updateTable('dataset_versions').set({ expired_at: when })
            .where('dataset', '=', dataset).where('version', 'in', part).where('expired_at', 'is', null).execute();
        }
        const candidates = [...new Set(expired)];
        const stillUsed = new Set<string>();
        for (const part of chunks(candidates)) {
          const rows = await trx.selectFrom('dataset_versions').select('artifact').distinct()
            .where('artifact', 'in', part).where('expired_at', 'is', null).execute();
          for (const r of rows) stillUsed.add(r.artifact);
        }
        return candidates.filter((a) => !stillUsed.has(a)).sort();
      }),
    );
  }

  // ---- model versions -----------------------------------------------------------------------------

  async registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord> {
    requireText(v.id, 'model version id');
    requireText(v.model, 'model name');
    const where = `version ${v.id} of model ${v.model}`;
    const base = {
      id: v.id,
      model: v.model,
      artifact: v.artifact,
      metrics: encodeMetrics(v.metrics ?? {}, where),
      params: jsonText(v.params ?? {}, `params of ${where}`),
      run_id: v.runId ?? null,
      step: v.step ?? null,
      inputs: jsonText(v.inputs ?? [], `inputs of ${where}`),
    };
    const row = await this.#guard(`registering ${where}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const now = Date.now();
        const version = await nextVersion(trx, 'models', v.model, now);
        const row: ModelVersionsTable = { ...base, version, created_at: now };
        try {
          await trx.insertInto('model_versions').values(row).execute();
        } catch (err) {
          if (isUniqueViolation(err)) throw new SluiceError(`Model version id ${v.id} already exists in ${this.description}`, { code: 'METADATA_CONFLICT', cause: err, context: { model: v.model } });
          throw err;
        }
        return row;
      }),
    );
    return toModelVersion(row);
  }

  async getModelVersion(model: string, version?: number): Promise<ModelVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `model ${model}`);
    const row = await this.#guard(`reading model ${model}${version === undefined ? '' : ` version ${version}`}`, () => {
      let q = this.#db.selectFrom('model_versions').selectAll().where('model', '=', model);
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
      return q.executeTakeFirst();
    });
    return row === undefined ? undefined : toModelVersion(row);
  }

  /** Newest version first. */
  async listModelVersions(model: string): Promise<ModelVersionRecord[]> {
    const rows = await this.#guard(`listing versions of model ${model}`, () =>
      this.#db.selectFrom('model_versions').selectAll().where('model', '=', model).orderBy('version', 'desc').execute(),
    );
    return rows.map(toModelVersion);
  }

  /** Sorted by model name. */
  async listModels(): Promise<ModelVersionRecord[]> {
    const rows = await this.#guard('listing models', () =>
      this.#db
        .selectFrom('models as m')
        .innerJoin('model_versions as v', (join) => join.onRef('v.model', '=', 'm.name').onRef('v.version', '=', 'm.latest_version'))
        .selectAll('v')
        .orderBy('m.name', 'asc')
        .execute(),
    );
    return rows.map(toModelVersion);
  }

  /** Points the alias at the version, creating or moving it. The version must exist. */
  async setModelAlias(model: string, alias: string, version: number): Promise<void> {
    requireText(alias, `alias of model ${model}`);
    requireVersion(version, `model ${model}`);
    await this.#guard(`setting alias ${alias} of model ${model} to version ${version}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const exists = await trx.selectFrom('model_versions').select('id').where('model', '=', model).where('version', '=', version).executeTakeFirst();
        if (exists === undefined) {
          throw new SluiceError(`Cannot set alias ${alias}: model ${model} has no version ${version} in ${this.description}`, {
            code: 'METADATA_NOT_FOUND',
            context: { model, version },
          });
        }
        const now = Date.now();
        await trx
          .insertInto('model_aliases')
          .values({ model, alias, version, updated_at: now })
          .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version, updated_at: now }))
          .execute();
      }),
    );
  }

  async getModelAliases(model: string): Promise<Record<string, number>> {
    const rows = await this.#guard(`reading aliases of model ${model}`, () =>
      this.#db.selectFrom('model_aliases').select(['alias', 'version']).where('model', '=', model).orderBy('alias', 'asc').execute(),
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.alias] = toNumber(r.version);
    return out;
  }

  /** Closes the connection(s); safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  /** Runs a database operation, turning driver errors into SluiceErrors that name the operation and the database. */
  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new SluiceError(`Cannot do ${what}: the metadata store ${this.description} is closed`, { code: 'METADATA_CLOSED' });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new SluiceError(`Metadata store ${this.description}: ${what} failed: ${errorMessage(err)}`, { code: 'METADATA', cause: err });
    }
  }
}

/** Bumps (or creates at 1) the version counter of `name`; the row stays locked until the transaction ends. */
async function nextVersion(trx: Transaction<Database>, table: 'datasets' | 'models', name: string, now: number): Promise<number> {
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

function toRun(r: Omit<RunsTable, 'seq'>): RunRecord {
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
  };
}

function toTaskRun(r: Omit<TaskRunsTable, 'seq'>): TaskRunRecord {
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
    output: parseJson(r.output, `output of ${where}`),
    logs: parseJson(r.logs, `logs of ${where}`) as string[],
  };
}

function toDatasetVersion(r: DatasetVersionsTable): DatasetVersionRecord {
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

function metaObject(meta: unknown, where: string): { [key: string]: Json } {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw new SluiceError(`meta of ${where} must be a JSON object`, { code: 'METADATA_ARGUMENT' });
  return meta as { [key: string]: Json };
}

function toModelVersion(r: ModelVersionsTable): ModelVersionRecord {
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
function toNumber(v: number | string | bigint): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new SluiceError(`Metadata store: expected a number, got ${String(v)}`, { code: 'METADATA_CORRUPT' });
  return n;
}

function toNullableNumber(v: number | string | bigint | null): number | null {
  return v === null ? null : toNumber(v);
}

function jsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new SluiceError(`Cannot store ${what} as JSON: ${errorMessage(err)}`, { code: 'METADATA_ARGUMENT', cause: err });
  }
  if (text === undefined) throw new SluiceError(`Cannot store ${what} as JSON: ${typeof value} is not a JSON value`, { code: 'METADATA_ARGUMENT' });
  return text;
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new SluiceError(`Metadata store: ${what} is not valid JSON`, { code: 'METADATA_CORRUPT', cause: err });
  }
}

/** JSON has no NaN or Infinity, but metrics can be (an undefined AUC); store those as strings so they round-trip. */
function encodeMetrics(metrics: Record<string, number>, where: string): string {
  const out: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') throw new SluiceError(`Metric ${name} of ${where} must be a number, got ${typeof value}`, { code: 'METADATA_ARGUMENT' });
    out[name] = Number.isFinite(value) ? value : String(value);
  }
  return JSON.stringify(out);
}

function decodeMetrics(text: string, where: string): Record<string, number> {
  const raw = parseJson(text, `metrics of ${where}`);
  const out: Record<string, number> = {};
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw)) out[name] = typeof value === 'string' ? Number(value) : (value as number);
  }
  return out;
}

function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new SluiceError(`Metadata store: ${what} must be a non-empty string`, { code: 'METADATA_ARGUMENT' });
}

function requireState<S extends string>(state: S, allowed: readonly S[], where: string): S {
  if (!allowed.includes(state)) throw new SluiceError(`Invalid state '${String(state)}' for ${where}; expected one of ${allowed.join(', ')}`, { code: 'METADATA_ARGUMENT' });
  return state;
}

/** Times and durations go to BIGINT columns: round (performance.now() arithmetic is fractional), reject NaN. */
function requiredTime(value: number, what: string): number {
  const ms = Math.round(value);
  if (!Number.isSafeInteger(ms)) throw new SluiceError(`${what} must be a number of milliseconds, got ${value}`, { code: 'METADATA_ARGUMENT' });
  return ms;
}

function optionalTime(value: number | null, what: string): number | null {
  return value === null ? null : requiredTime(value, what);
}

function requireVersion(version: number, where: string): void {
  if (!Number.isSafeInteger(version) || version < 1) throw new SluiceError(`Invalid version ${version} of ${where}: versions are integers from 1`, { code: 'METADATA_ARGUMENT' });
}

function notFound(kind: string, id: string, description: string, cause?: unknown): SluiceError {
  return new SluiceError(`${kind} ${id} not found in ${description}`, { code: 'METADATA_NOT_FOUND', cause, context: { [kind.toLowerCase()]: id } });
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += IN_CHUNK) yield items.slice(i, i + IN_CHUNK);
}

/** SQLite (better-sqlite3) reports constraint failures as SQLITE_CONSTRAINT_*; PostgreSQL by SQLSTATE. */
function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isUniqueViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function isForeignKeyViolation(err: unknown): boolean {
  const code = errorCode(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
