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
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { hostname } from 'node:os';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type {
  AliasHistoryRecord, AliasNote, DatasetVersionRecord, ExpiredTask, MetadataStore, MetadataTx, ModelVersionRecord, NewDatasetVersion, NewModelVersion, NewRun,
  NewTaskRun, RunPageQuery, RunPatch, RunRecord, RunState, TaskClaim, TaskRunPatch, TaskRunRecord, WorkerRecord,
} from '../types.ts';
import { KyselyScheduleStore } from './schedule-store.ts';
import type { ScheduleTables } from './schedule-schema.ts';
import type { Database } from './schema.ts';
import { chunks, notFound, requireText, requireVersion, toDatasetVersion, toModelVersion, toNumber, toRun, toTaskRun, toWorker } from './rows.ts';
import { KyselyTx } from './tx.ts';
import { withStoreRetry } from '../retry.ts';

const UNFINISHED_RUN = ['pending', 'running'] as const;
const UNFINISHED_TASK = ['pending', 'queued', 'running'] as const;

/** The Kysely implementation of MetadataStore. Use openMetadataStore() to get one with a migrated database. */
export class KyselyMetadataStore implements MetadataStore {
  readonly description: string;
  readonly dialect: 'sqlite' | 'postgres';
  readonly #db: Kysely<Database>;
  /** Single statements outside a transaction. */
  readonly #q: KyselyTx;
  #closed = false;
  /** Schedules and backfills: their own small store on the same connection. */
  readonly schedules: KyselyScheduleStore;

  /** `db` must already be migrated (see migrations.ts); `description` must not contain a password. */
  constructor(db: Kysely<Database>, description: string, dialect: 'sqlite' | 'postgres' = 'sqlite') {
    this.#db = db;
    this.description = description;
    this.schedules = new KyselyScheduleStore(db as unknown as Kysely<ScheduleTables>, description);
    this.dialect = dialect;
    this.#q = new KyselyTx(db, dialect, description);
  }

  async transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    return this.#guard('a transaction', () => this.#db.transaction().execute((trx) => fn(new KyselyTx(trx, this.dialect, this.description))));
  }

  // ---- runs ---------------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<RunRecord> {
    return this.#guard(`creating run ${run.id}`, () => this.#q.createRun(run));
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    await this.#guard(`updating run ${id}`, async () => {
      if (!(await this.#q.updateRun(id, patch))) throw notFound('Run', id, this.description);
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.#guard(`reading run ${id}`, () => this.#q.getRun(id));
  }

  async findRunByKey(pipeline: string, key: string): Promise<RunRecord | undefined> {
    return this.#guard(`reading the run of pipeline ${pipeline} with key ${key}`, () => this.#q.findRunByKey(pipeline, key));
  }

  async listRunsByBackfill(backfillId: string): Promise<RunRecord[]> {
    const rows = await this.#guard(`listing runs of backfill ${backfillId}`, () =>
      this.#db.selectFrom('runs').selectAll().where('backfill_id', '=', backfillId).orderBy('created_at', 'asc').orderBy('seq', 'asc').execute());
    return rows.map(toRun);
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

  async listRunsPage(options: RunPageQuery): Promise<{ runs: RunRecord[]; hasMore: boolean }> {
    const { pipeline, state, partition, after, limit } = options;
    if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) {
      throw new SluiceError(`listRunsPage: limit must be an integer from 1 to 1000, got ${String(limit)}`, { code: 'METADATA_ARGUMENT' });
    }
    const rows = await this.#guard('listing a page of runs', async () => {
      let q = this.#db.selectFrom('runs').selectAll();
      if (pipeline !== undefined) q = q.where('pipeline', '=', pipeline);
      if (state !== undefined) q = q.where('state', '=', state);
      if (partition !== undefined) q = q.where('partition_key', '=', partition);
      if (after !== undefined) {
        const last = await this.#db.selectFrom('runs').select(['created_at', 'seq']).where('id', '=', after).executeTakeFirst();
        if (last === undefined) throw new SluiceError(`listRunsPage: no run "${after}" to page after`, { code: 'METADATA_ARGUMENT', hint: 'Start again from the first page.' });
        const at = toNumber(last.created_at);
        const seq = toNumber(last.seq);
        q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('seq', '<', seq)])]));
      }
      return q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(limit + 1).execute();
    });
    return { runs: rows.slice(0, limit).map(toRun), hasMore: rows.length > limit };
  }

  async listRunPipelines(): Promise<string[]> {
    const rows = await this.#guard('listing pipelines with runs', () => this.#db.selectFrom('runs').select('pipeline').distinct().orderBy('pipeline', 'asc').execute());
    return rows.map((r) => r.pipeline);
  }

  async listRunOutputs(runId: string): Promise<{ datasets: DatasetVersionRecord[]; models: ModelVersionRecord[] }> {
    return this.#guard(`listing the outputs of run ${runId}`, async () => {
      const datasets = await this.#db.selectFrom('dataset_versions').selectAll().where('run_id', '=', runId).orderBy('created_at', 'asc').orderBy('dataset', 'asc').orderBy('version', 'asc').execute();
      const models = await this.#db.selectFrom('model_versions').selectAll().where('run_id', '=', runId).orderBy('created_at', 'asc').orderBy('model', 'asc').orderBy('version', 'asc').execute();
      return { datasets: datasets.map(toDatasetVersion), models: models.map(toModelVersion) };
    });
  }

  async listLineageChildren(id: string, limit = 200): Promise<{ datasets: DatasetVersionRecord[]; models: ModelVersionRecord[] }> {
    requireText(id, 'version id');
    // lineage_edges (migration 0008): its primary key (input_id, output_kind, output_id) finds the children.
    return this.#guard(`listing what was made from ${id}`, async () => {
      const datasets = await this.#db.selectFrom('lineage_edges as e').innerJoin('dataset_versions as v', 'v.id', 'e.output_id')
        .selectAll('v').where('e.input_id', '=', id).where('e.output_kind', '=', 'dataset')
        .orderBy('v.created_at', 'desc').limit(limit).execute();
      const models = await this.#db.selectFrom('lineage_edges as e').innerJoin('model_versions as v', 'v.id', 'e.output_id')
        .selectAll('v').where('e.input_id', '=', id).where('e.output_kind', '=', 'model')
        .orderBy('v.created_at', 'desc').limit(limit).execute();
      return { datasets: datasets.map(toDatasetVersion), models: models.map(toModelVersion) };
    });
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
            .set({ state, error: reason, finished_at: now, owner: null, lease_expires_at: null })
            .where('state', 'in', UNFINISHED_RUN);
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
              lease_owner: null,
              lease_expires_at: null,
              duration_ms: sql<number | null>`case when started_at is null then null else ${now} - started_at end`,
            })
            .where('run_id', 'in', chunk)
            .where('state', 'in', UNFINISHED_TASK)
            .execute();
        }
        return ids;
      }),
    );
  }

  // ---- task runs ----------------------------------------------------------------------------------

  /** The new task run is attempt 1, with no times, output null and no logs; set those with updateTaskRun. */
  async createTaskRun(task: NewTaskRun): Promise<TaskRunRecord> {
    await this.#guard(`creating task run ${task.id} (step ${task.step}, run ${task.runId})`, () => this.#q.createTaskRuns([task]));
    const created = await this.getTaskRun(task.id);
    if (created === undefined) throw notFound('Task run', task.id, this.description);
    return created;
  }

  async updateTaskRun(id: string, patch: TaskRunPatch): Promise<void> {
    await this.#guard(`updating task run ${id}`, async () => {
      if (!(await this.#q.updateTaskRun(id, patch))) throw notFound('Task run', id, this.description);
    });
  }

  async getTaskRun(id: string): Promise<TaskRunRecord | undefined> {
    return this.#guard(`reading task run ${id}`, () => this.#q.getTaskRun(id));
  }

  async pinArtifacts(holder: string, artifacts: readonly string[], workerId: string | null = null): Promise<void> {
    if (artifacts.length === 0) return;
    await withStoreRetry(`pinning ${artifacts.join(', ')} for ${holder}`, () => this.transaction((tx) => tx.pinArtifacts(holder, artifacts, workerId)));
  }

  async listTaskRunsBySteps(runId: string, steps: readonly string[]): Promise<TaskRunRecord[]> {
    return this.#guard(`reading task runs of run ${runId}`, () => this.#q.listTaskRunsBySteps(runId, steps));
  }

  async claimTaskRun(id: string, attempt: number, claim: TaskClaim): Promise<TaskRunRecord | undefined> {
    return this.#guard(`claiming attempt ${attempt} of task run ${id}`, () => this.#q.claimTaskRun(id, attempt, claim));
  }

  async listTaskRuns(runId: string): Promise<TaskRunRecord[]> {
    return this.#guard(`listing task runs of run ${runId}`, () => this.#q.listTaskRuns(runId));
  }

  async findCachedTask(cacheKey: string): Promise<TaskRunRecord | undefined> {
    const row = await this.#guard(`looking up cache key ${cacheKey}`, () =>
      this.#db.selectFrom('task_runs').selectAll().where('cache_key', '=', cacheKey).where('state', '=', 'succeeded')
        .where('output_kind', '=', 'value').orderBy('seq', 'desc').limit(1).executeTakeFirst());
    return row === undefined ? undefined : toTaskRun(row);
  }

  // ---- workers, leases, the reaper's queries -------------------------------------------------------

  async registerWorker(w: Omit<WorkerRecord, 'heartbeatAt' | 'stoppedAt' | 'startedAt'> & { startedAt?: number }): Promise<WorkerRecord> {
    requireText(w.id, 'worker id');
    const now = w.startedAt ?? Date.now();
    const row = { id: w.id, host: w.host || hostname(), pid: w.pid, kind: w.kind, started_at: now, heartbeat_at: now, stopped_at: null };
    await this.#guard(`registering worker ${w.id}`, () =>
      this.#db.insertInto('workers').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, stopped_at: null })).execute());
    return toWorker(row);
  }

  async heartbeat(workerId: string, leaseMs: number, now: number = Date.now(), runs?: readonly string[]): Promise<{ cancelRequested: string[] }> {
    const until = Math.round(now + leaseMs);
    // Without a scope, every lease of the worker (one pass, unfiltered); with one, its runs in IN lists of
    // bounded size (an empty scope renews nothing but the worker row).
    const parts: (string[] | null)[] = runs === undefined ? [null] : [...chunks([...new Set(runs)])];
    return this.#guard(`heartbeat of worker ${workerId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        await trx.updateTable('workers').set({ heartbeat_at: Math.round(now) }).where('id', '=', workerId).execute();
        const cancelRequested = new Set<string>();
        for (const ids of parts) {
          await trx.updateTable('task_runs').set({ lease_expires_at: until }).where('lease_owner', '=', workerId).where('state', '=', 'running')
            .$if(ids !== null, (q) => q.where('run_id', 'in', ids!)).execute();
          await trx.updateTable('runs').set({ lease_expires_at: until }).where('owner', '=', workerId).where('state', 'in', UNFINISHED_RUN)
            .$if(ids !== null, (q) => q.where('id', 'in', ids!)).execute();
          const cancels = await trx.selectFrom('runs').select('id').where('owner', '=', workerId).where('state', 'in', UNFINISHED_RUN)
            .where('cancel_requested_at', 'is not', null).$if(ids !== null, (q) => q.where('id', 'in', ids!)).execute();
          const tasks = await trx.selectFrom('task_runs as t').innerJoin('runs as r', 'r.id', 't.run_id').select('r.id')
            .where('t.lease_owner', '=', workerId).where('t.state', '=', 'running').where('r.cancel_requested_at', 'is not', null)
            .$if(ids !== null, (q) => q.where('t.run_id', 'in', ids!)).execute();
          for (const r of [...cancels, ...tasks]) cancelRequested.add(r.id);
        }
        return { cancelRequested: [...cancelRequested] };
      }));
  }

  async stopWorker(workerId: string, now: number = Date.now()): Promise<void> {
    await this.#guard(`stopping worker ${workerId}`, () => this.#db.updateTable('workers').set({ stopped_at: Math.round(now) }).where('id', '=', workerId).execute());
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = await this.#guard('listing workers', () => this.#db.selectFrom('workers').selectAll().orderBy('started_at', 'desc').execute());
    return rows.map(toWorker);
  }

  async listExpiredTasks(now: number, limit = 100): Promise<ExpiredTask[]> {
    return this.#guard('listing expired task leases', async () => {
      const tasks = await this.#db.selectFrom('task_runs').selectAll().where('state', '=', 'running').where('lease_expires_at', '<', Math.round(now))
        .orderBy('lease_expires_at', 'asc').limit(limit).execute();
      const out: ExpiredTask[] = [];
      for (const t of tasks) {
        const run = await this.#q.getRun(t.run_id);
        if (run) out.push({ task: toTaskRun(t), run });
      }
      return out;
    });
  }

  async completeTaskRun(id: string, patch: TaskRunPatch, fence: { attempt: number; leaseOwner: string; runId: string }): Promise<{ updated: boolean; openTask: boolean | undefined }> {
    return this.#guard(`committing task run ${id}`, () => this.#q.completeTaskRun(id, patch, fence));
  }

  async listRunsWithNothingLeft(limit = 100): Promise<string[]> {
    const rows = await this.#guard('listing runs whose tasks have all ended', () =>
      this.#db.selectFrom('runs as r').select('r.id').where('r.state', '=', 'running').where('r.owner', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('task_runs as t').select('t.id').whereRef('t.run_id', '=', 'r.id').where('t.state', 'in', UNFINISHED_TASK))))
        .orderBy('r.created_at', 'asc').limit(limit).execute());
    return rows.map((r) => r.id);
  }

  async listOrphanedRuns(now: number, limit = 100): Promise<RunRecord[]> {
    const rows = await this.#guard('listing orphaned runs', () =>
      this.#db.selectFrom('runs').selectAll().where('state', 'in', UNFINISHED_RUN).where('owner', 'is not', null)
        .where('lease_expires_at', '<', Math.round(now)).orderBy('created_at', 'asc').limit(limit).execute());
    return rows.map(toRun);
  }

  async listReferencedArtifacts(): Promise<Set<string>> {
    return this.#guard('listing referenced artifacts', async () => {
      const out = new Set<string>();
      for (const r of await this.#db.selectFrom('dataset_versions').select('artifact').distinct().where('expired_at', 'is', null).execute()) out.add(r.artifact);
      for (const r of await this.#db.selectFrom('model_versions').select('artifact').distinct().execute()) out.add(r.artifact);
      for (const r of await this.#db.selectFrom('artifact_pins').select('artifact').distinct().execute()) out.add(r.artifact);
      return out;
    });
  }

  // ---- dataset versions ---------------------------------------------------------------------------

  /** Atomically assigns the next version number of the dataset (1, 2, ...) and inserts it. */
  async registerDatasetVersion(v: NewDatasetVersion): Promise<DatasetVersionRecord> {
    return this.#guard(`registering version ${v.id} of dataset ${v.dataset}`, () => this.#db.transaction().execute((trx) => new KyselyTx(trx, this.dialect, this.description).registerDatasetVersion(v)));
  }

  async getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `dataset ${dataset}`);
    return this.#guard(`reading dataset ${dataset}${version === undefined ? '' : ` version ${version}`}`, () => this.#q.getDatasetVersion(dataset, version));
  }

  async getDatasetVersionById(id: string): Promise<DatasetVersionRecord | undefined> {
    return this.#guard(`reading dataset version ${id}`, () => this.#q.getDatasetVersionById(id));
  }

  async listDatasetVersions(dataset: string): Promise<DatasetVersionRecord[]> {
    return this.#guard(`listing versions of dataset ${dataset}`, () => this.#q.listDatasetVersions(dataset));
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
    if (versions.length === 0) return [];
    return this.#guard(`expiring versions ${versions.join(', ')} of dataset ${dataset}`, () =>
      this.#db.transaction().execute((trx) => new KyselyTx(trx, this.dialect, this.description).expireDatasetVersions(dataset, versions, at)));
  }

  // ---- model versions -----------------------------------------------------------------------------

  async registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord> {
    return this.#guard(`registering version ${v.id} of model ${v.model}`, () => this.#db.transaction().execute((trx) => new KyselyTx(trx, this.dialect, this.description).registerModelVersion(v)));
  }

  async getModelVersion(model: string, version?: number): Promise<ModelVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `model ${model}`);
    return this.#guard(`reading model ${model}${version === undefined ? '' : ` version ${version}`}`, () => this.#q.getModelVersion(model, version));
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
  async setModelAlias(model: string, alias: string, version: number, note?: AliasNote): Promise<void> {
    requireText(alias, `alias of model ${model}`);
    requireVersion(version, `model ${model}`);
    await this.#guard(`setting alias ${alias} of model ${model} to version ${version}`, () =>
      this.#db.transaction().execute((trx) => new KyselyTx(trx, this.dialect, this.description).setModelAlias(model, alias, version, note)));
  }

  async listAliasHistory(model: string, alias?: string): Promise<AliasHistoryRecord[]> {
    const rows = await this.#guard(`reading the alias history of model ${model}`, () => {
      let q = this.#db.selectFrom('model_alias_history').selectAll().where('model', '=', model);
      if (alias !== undefined) q = q.where('alias', '=', alias);
      return q.orderBy('seq', 'asc').execute();
    });
    return rows.map((r) => ({
      model: r.model, alias: r.alias, version: toNumber(r.version),
      previousVersion: r.previous_version === null ? null : toNumber(r.previous_version),
      reason: r.reason, runId: r.run_id, actor: r.actor,
      evidence: JSON.parse(r.evidence) as AliasHistoryRecord['evidence'], at: toNumber(r.at),
    }));
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
