/**
 * The statements of the metadata store, over a Kysely transaction (MetadataTx) or, for single reads,
 * the pool. Every multi-statement change runs here inside one transaction opened by the store.
 */
import type { Kysely, Transaction, Updateable } from 'kysely';
import { CompiledQuery, sql } from 'kysely';
import { SluiceError } from '../../core/errors.ts';
import type {
  AliasNote, DatasetVersionRecord, MetadataTx, ModelVersionRecord, NewDatasetVersion, NewModelVersion, NewRun, NewTaskRun,
  RunExpect, RunPatch, RunRecord, TaskClaim, TaskExpect, TaskRunPatch, TaskRunRecord, TaskState,
} from '../types.ts';
import type { Database, DatasetVersionsTable, ModelVersionsTable, RunsTable, TaskRunsTable } from './schema.ts';
import {
  RUN_STATES, RUN_TRIGGERS, TASK_STATES, chunks, encodeMetrics, isForeignKeyViolation, isUniqueViolation, jsonText, metaObject,
  nextVersion, notFound, optionalTime, requireState, requireText, requireVersion, requiredTime, toDatasetVersion, toModelVersion,
  toNumber, toRun, toTaskRun,
} from './rows.ts';

/** A worker whose heartbeat is older than this many lease lengths no longer protects its pins. */
const DEAD_WORKER_LEASES = 2;
/** Lease length assumed for pins' workers (the default lease). */
const PIN_LEASE_MS = 15_000;

export class KyselyTx implements MetadataTx {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #db: Kysely<Database> | Transaction<Database>;
  readonly #description: string;

  constructor(db: Kysely<Database> | Transaction<Database>, dialect: 'sqlite' | 'postgres', description: string) {
    this.#db = db;
    this.dialect = dialect;
    this.#description = description;
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const result = await this.#db.executeQuery(CompiledQuery.raw(text, [...params]));
    return result.rows as Record<string, unknown>[];
  }

  async lockDataset(name: string): Promise<void> {
    // SQLite: the transaction is BEGIN IMMEDIATE, so it already holds the database's write lock.
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${`sluice:dataset:${name}`}, 0))`.execute(this.#db);
  }

  async #lockPins(): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${'sluice:artifact-pins'}, 0))`.execute(this.#db);
  }

  // ---- runs ---------------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<RunRecord> {
    requireText(run.id, 'run id');
    requireText(run.pipeline, 'pipeline name');
    requireState(run.state, RUN_STATES, `run ${run.id}`);
    requireState(run.trigger ?? 'manual', RUN_TRIGGERS, `trigger of run ${run.id}`);
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
      logical_date: optionalTime(run.logicalDate ?? null, `logicalDate of run ${run.id}`),
      run_trigger: run.trigger ?? 'manual',
      run_key: run.key ?? null,
      backfill_id: run.backfillId ?? null,
      executor: run.executor ?? 'inline',
      pipeline_file: run.pipelineFile ?? null,
      owner: run.owner ?? null,
      lease_expires_at: optionalTime(run.leaseExpiresAt ?? null, `leaseExpiresAt of run ${run.id}`),
      cancel_requested_at: optionalTime(run.cancelRequestedAt ?? null, `cancelRequestedAt of run ${run.id}`),
      cancel_reason: run.cancelReason ?? null,
      no_cache: run.noCache ? 1 : 0,
    };
    try {
      await this.#db.insertInto('runs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        const what = run.key ? `Run ${run.id} (or a run of pipeline ${run.pipeline} with key ${run.key})` : `Run ${run.id}`;
        throw new SluiceError(`${what} already exists in ${this.#description}`, { code: 'METADATA_CONFLICT', cause: err, context: { run: run.id } });
      }
      throw err;
    }
    return toRun(row);
  }

  async getRun(id: string, options: { lock?: boolean } = {}): Promise<RunRecord | undefined> {
    const row = await this.#db.selectFrom('runs').selectAll().where('id', '=', id)
      .$if(options.lock === true && this.dialect === 'postgres', (q) => q.forUpdate()).executeTakeFirst();
    return row === undefined ? undefined : toRun(row);
  }

  async findRunByKey(pipeline: string, key: string): Promise<RunRecord | undefined> {
    const row = await this.#db.selectFrom('runs').selectAll().where('pipeline', '=', pipeline).where('run_key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : toRun(row);
  }

  async updateRun(id: string, patch: RunPatch, expect: RunExpect = {}): Promise<boolean> {
    const set: Updateable<RunsTable> = {};
    if (patch.state !== undefined) set.state = requireState(patch.state, RUN_STATES, `run ${id}`);
    if (patch.startedAt !== undefined) set.started_at = optionalTime(patch.startedAt, `startedAt of run ${id}`);
    if (patch.finishedAt !== undefined) set.finished_at = optionalTime(patch.finishedAt, `finishedAt of run ${id}`);
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.errorStack !== undefined) set.error_stack = patch.errorStack;
    if (patch.owner !== undefined) set.owner = patch.owner;
    if (patch.leaseExpiresAt !== undefined) set.lease_expires_at = optionalTime(patch.leaseExpiresAt, `leaseExpiresAt of run ${id}`);
    if (patch.cancelRequestedAt !== undefined) set.cancel_requested_at = optionalTime(patch.cancelRequestedAt, `cancelRequestedAt of run ${id}`);
    if (patch.cancelReason !== undefined) set.cancel_reason = patch.cancelReason;
    if (patch.noCache !== undefined) set.no_cache = patch.noCache ? 1 : 0;
    let q = Object.keys(set).length === 0 ? undefined : this.#db.updateTable('runs').set(set).where('id', '=', id);
    if (q === undefined) return (await this.getRun(id)) !== undefined;
    if (expect.state !== undefined) q = q.where('state', 'in', [...expect.state]);
    if (expect.owner !== undefined) q = expect.owner === null ? q.where('owner', 'is', null) : q.where('owner', '=', expect.owner);
    return (await q.executeTakeFirst()).numUpdatedRows > 0n;
  }

  // ---- task runs ----------------------------------------------------------------------------------

  async createTaskRuns(tasks: readonly NewTaskRun[]): Promise<void> {
    const rows: Omit<TaskRunsTable, 'seq'>[] = tasks.map((task) => {
      requireText(task.id, 'task run id');
      requireText(task.step, `step name of task run ${task.id}`);
      requireState(task.state, TASK_STATES, `task run ${task.id}`);
      const maxAttempts = task.maxAttempts ?? 1;
      if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new SluiceError(`maxAttempts of task run ${task.id} must be an integer >= 1, got ${maxAttempts}`, { code: 'METADATA_ARGUMENT' });
      return {
        id: task.id, run_id: task.runId, step: task.step, state: task.state, attempt: 1,
        started_at: null, finished_at: null, duration_ms: null, error: null, error_stack: null, output: 'null', logs: '[]',
        output_kind: null, max_attempts: maxAttempts,
        retry_delay_ms: requiredTime(task.retryDelayMs ?? 1000, `retryDelayMs of task run ${task.id}`),
        timeout_ms: optionalTime(task.timeoutMs ?? null, `timeoutMs of task run ${task.id}`),
        lease_owner: null, lease_expires_at: null,
        not_before: optionalTime(task.notBefore ?? null, `notBefore of task run ${task.id}`),
        cache_key: task.cacheKey ?? null, cached_from: null, error_hint: null, lease_losses: 0,
      };
    });
    // Rows per INSERT stay under the bound-parameter limits (23 columns).
    for (const part of chunksOf(rows, 40)) {
      try {
        await this.#db.insertInto('task_runs').values(part).execute();
      } catch (err) {
        const first = part[0]!;
        if (isUniqueViolation(err)) throw new SluiceError(`Task run ${part.length === 1 ? first.id : `${first.id} (or another of ${part.length})`} of run ${first.run_id} already exists (same id, or same step) in ${this.#description}`, { code: 'METADATA_CONFLICT', cause: err, context: { run: first.run_id } });
        if (isForeignKeyViolation(err)) throw notFound('Run', first.run_id, this.#description, err);
        throw err;
      }
    }
  }

  async getTaskRun(id: string): Promise<TaskRunRecord | undefined> {
    const row = await this.#db.selectFrom('task_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTaskRun(row);
  }

  async listTaskRuns(runId: string): Promise<TaskRunRecord[]> {
    const rows = await this.#db.selectFrom('task_runs').selectAll().where('run_id', '=', runId).orderBy('seq', 'asc').execute();
    return rows.map(toTaskRun);
  }

  async listTaskRunsBySteps(runId: string, steps: readonly string[]): Promise<TaskRunRecord[]> {
    const out: TaskRunRecord[] = [];
    for (const part of chunks([...new Set(steps)])) {
      const rows = await this.#db.selectFrom('task_runs').selectAll().where('run_id', '=', runId).where('step', 'in', part).execute();
      out.push(...rows.map(toTaskRun));
    }
    return out;
  }

  async countTaskRuns(runId: string, states: readonly TaskState[]): Promise<number> {
    if (states.length === 0) return 0;
    const row = await this.#db.selectFrom('task_runs').select((eb) => eb.fn.countAll().as('n')).where('run_id', '=', runId).where('state', 'in', [...states]).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async hasTaskRuns(runId: string, states: readonly TaskState[]): Promise<boolean> {
    if (states.length === 0) return false;
    const row = await this.#db.selectFrom('task_runs').select('id').where('run_id', '=', runId).where('state', 'in', [...states]).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async claimTaskRun(id: string, attempt: number, claim: TaskClaim): Promise<TaskRunRecord | undefined> {
    const now = requiredTime(claim.now, `claim time of task run ${id}`);
    const row = await this.#db.updateTable('task_runs')
      .set({ state: 'running', lease_owner: claim.owner, lease_expires_at: requiredTime(claim.leaseExpiresAt, `lease of task run ${id}`), started_at: now, finished_at: null, not_before: null })
      .where('id', '=', id).where('state', '=', 'queued').where('attempt', '=', attempt)
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
      .where((eb) => eb.exists(eb.selectFrom('runs').select('runs.id').whereRef('runs.id', '=', 'task_runs.run_id').where('runs.state', '=', 'running').where('runs.cancel_requested_at', 'is', null)))
      .returningAll().executeTakeFirst();
    return row === undefined ? undefined : toTaskRun(row);
  }

  async completeTaskRun(id: string, patch: TaskRunPatch, fence: { attempt: number; leaseOwner: string; runId: string }): Promise<{ updated: boolean; openTask: boolean | undefined }> {
    const q = this.#db.updateTable('task_runs').set(taskSet(id, patch))
      .where('id', '=', id).where('state', '=', 'running').where('attempt', '=', fence.attempt).where('lease_owner', '=', fence.leaseOwner)
      .where((eb) => eb.exists(eb.selectFrom('runs').select('runs.id').where('runs.id', '=', fence.runId).where('runs.cancel_requested_at', 'is', null)));
    if (this.dialect === 'sqlite') return { updated: (await q.executeTakeFirst()).numUpdatedRows > 0n, openTask: undefined };
    // One round trip: the fenced update, and another unfinished task of the run that no other
    // transaction holds, locked until this one ends (see finishRunIfDone).
    const update = q.returning('task_runs.id').compile();
    const n = update.parameters.length;
    const rows = await this.execute(
      `with done as (${update.sql}) select (select count(*) from done)::int as updated, ` +
      `(select t.id from task_runs t where t.run_id = $${n + 1} and t.state in ('pending', 'queued', 'running') and t.id <> $${n + 2} limit 1 for update skip locked) as open`,
      [...update.parameters, fence.runId, id],
    );
    return { updated: Number(rows[0]?.['updated'] ?? 0) > 0, openTask: rows[0]?.['open'] !== null && rows[0]?.['open'] !== undefined };
  }

  async queuePendingTaskRuns(runId: string, steps: readonly string[]): Promise<{ id: string; step: string; attempt: number }[]> {
    const out: { id: string; step: string; attempt: number }[] = [];
    for (const part of chunks([...new Set(steps)])) {
      const rows = await this.#db.updateTable('task_runs').set({ state: 'queued', not_before: null })
        .where('run_id', '=', runId).where('state', '=', 'pending').where('step', 'in', part)
        .returning(['id', 'step', 'attempt']).execute();
      for (const r of rows) out.push({ id: r.id, step: r.step, attempt: toNumber(r.attempt) });
    }
    return out;
  }

  async setTaskStates(runId: string, from: readonly TaskState[], patch: TaskRunPatch, steps?: readonly string[]): Promise<string[]> {
    if (from.length === 0 || (steps !== undefined && steps.length === 0)) return [];
    const set = taskSet(`of run ${runId}`, patch);
    const ids: string[] = [];
    const run = async (part?: string[]) => {
      let q = this.#db.updateTable('task_runs').set(set).where('run_id', '=', runId).where('state', 'in', [...from]);
      if (part) q = q.where('step', 'in', part);
      ids.push(...(await q.returning('id').execute()).map((r) => r.id));
    };
    if (steps === undefined) await run();
    else for (const part of chunks([...new Set(steps)])) await run(part);
    return ids;
  }

  async updateTaskRun(id: string, patch: TaskRunPatch, expect: TaskExpect = {}): Promise<boolean> {
    const set = taskSet(id, patch);
    if (Object.keys(set).length === 0) return (await this.getTaskRun(id)) !== undefined;
    let q = this.#db.updateTable('task_runs').set(set).where('id', '=', id);
    if (expect.state !== undefined) q = q.where('state', 'in', [...expect.state]);
    if (expect.attempt !== undefined) q = q.where('attempt', '=', expect.attempt);
    if (expect.leaseOwner !== undefined) q = expect.leaseOwner === null ? q.where('lease_owner', 'is', null) : q.where('lease_owner', '=', expect.leaseOwner);
    return (await q.executeTakeFirst()).numUpdatedRows > 0n;
  }

  // ---- datasets -----------------------------------------------------------------------------------

  /** Must run inside a transaction (the version counter). */
  async registerDatasetVersion(v: NewDatasetVersion): Promise<DatasetVersionRecord> {
    requireText(v.id, 'dataset version id');
    requireText(v.dataset, 'dataset name');
    const where = `version ${v.id} of dataset ${v.dataset}`;
    if (!Number.isSafeInteger(v.rowCount) || v.rowCount < 0) throw new SluiceError(`rowCount of ${where} must be a non-negative integer, got ${v.rowCount}`, { code: 'METADATA_ARGUMENT' });
    const base = {
      id: v.id, dataset: v.dataset, artifact: v.artifact,
      column_schema: jsonText(v.schema, `schema of ${where}`),
      row_count: v.rowCount, content_hash: v.contentHash,
      profile: jsonText(v.profile ?? null, `profile of ${where}`),
      run_id: v.runId ?? null, step: v.step ?? null,
      inputs: jsonText(v.inputs ?? [], `inputs of ${where}`),
      partition_key: v.partition ?? null,
      meta: jsonText(metaObject(v.meta, where), `meta of ${where}`),
      expired_at: null,
    };
    const now = Date.now();
    const version = await nextVersion(this.#db as Transaction<Database>, 'datasets', v.dataset, now);
    const row: DatasetVersionsTable = { ...base, version, created_at: now };
    try {
      await this.#db.insertInto('dataset_versions').values(row).execute();
      await this.#insertLineage('dataset', v.id, v.inputs ?? []);
    } catch (err) {
      if (isUniqueViolation(err)) throw new SluiceError(`Dataset version id ${v.id} already exists in ${this.#description}`, { code: 'METADATA_CONFLICT', cause: err, context: { dataset: v.dataset } });
      throw err;
    }
    return toDatasetVersion(row);
  }

  async getDatasetVersion(dataset: string, version?: number): Promise<DatasetVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `dataset ${dataset}`);
    let q = this.#db.selectFrom('dataset_versions').selectAll().where('dataset', '=', dataset);
    q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row === undefined ? undefined : toDatasetVersion(row);
  }

  async getDatasetVersionById(id: string): Promise<DatasetVersionRecord | undefined> {
    const row = await this.#db.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toDatasetVersion(row);
  }

  async listDatasetVersions(dataset: string): Promise<DatasetVersionRecord[]> {
    const rows = await this.#db.selectFrom('dataset_versions').selectAll().where('dataset', '=', dataset).orderBy('version', 'desc').execute();
    return rows.map(toDatasetVersion);
  }

  async expireDatasetVersions(dataset: string, versions: readonly number[], at: number): Promise<string[]> {
    for (const v of versions) requireVersion(v, `dataset ${dataset}`);
    const when = requiredTime(at, `expiry time of dataset ${dataset}`);
    if (versions.length === 0) return [];
    const expired: string[] = [];
    for (const part of chunks([...versions])) {
      const rows = await this.#db.selectFrom('dataset_versions').select('artifact')
        .where('dataset', '=', dataset).where('version', 'in', part).where('expired_at', 'is', null).execute();
      expired.push(...rows.map((r) => r.artifact));
      await this.#db.updateTable('dataset_versions').set({ expired_at: when })
        .where('dataset', '=', dataset).where('version', 'in', part).where('expired_at', 'is', null).execute();
    }
    return this.unreferencedArtifacts([...new Set(expired)], when, Number.POSITIVE_INFINITY);
  }

  /** The version's lineage edges (migration 0008), in the transaction that registers it. */
  async #insertLineage(kind: 'dataset' | 'model', id: string, inputs: readonly string[]): Promise<void> {
    const unique = [...new Set(inputs)];
    for (const part of chunks(unique)) {
      await this.#db.insertInto('lineage_edges').values(part.map((input) => ({ input_id: input, output_kind: kind, output_id: id }))).execute();
    }
  }

  // ---- models -------------------------------------------------------------------------------------

  /** Must run inside a transaction (the version counter). */
  async registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord> {
    requireText(v.id, 'model version id');
    requireText(v.model, 'model name');
    const where = `version ${v.id} of model ${v.model}`;
    const now = Date.now();
    const version = await nextVersion(this.#db as Transaction<Database>, 'models', v.model, now);
    const row: ModelVersionsTable = {
      id: v.id, model: v.model, artifact: v.artifact,
      metrics: encodeMetrics(v.metrics ?? {}, where),
      params: jsonText(v.params ?? {}, `params of ${where}`),
      run_id: v.runId ?? null, step: v.step ?? null,
      inputs: jsonText(v.inputs ?? [], `inputs of ${where}`),
      version, created_at: now,
    };
    try {
      await this.#db.insertInto('model_versions').values(row).execute();
      await this.#insertLineage('model', v.id, v.inputs ?? []);
    } catch (err) {
      if (isUniqueViolation(err)) throw new SluiceError(`Model version id ${v.id} already exists in ${this.#description}`, { code: 'METADATA_CONFLICT', cause: err, context: { model: v.model } });
      throw err;
    }
    return toModelVersion(row);
  }

  async getModelVersion(model: string, version?: number): Promise<ModelVersionRecord | undefined> {
    if (version !== undefined) requireVersion(version, `model ${model}`);
    let q = this.#db.selectFrom('model_versions').selectAll().where('model', '=', model);
    q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row === undefined ? undefined : toModelVersion(row);
  }

  async setModelAlias(model: string, alias: string, version: number, note: AliasNote = {}): Promise<void> {
    requireText(alias, `alias of model ${model}`);
    requireVersion(version, `model ${model}`);
    const exists = await this.#db.selectFrom('model_versions').select('id').where('model', '=', model).where('version', '=', version).executeTakeFirst();
    if (exists === undefined) {
      throw new SluiceError(`Cannot set alias ${alias}: model ${model} has no version ${version} in ${this.#description}`, { code: 'METADATA_NOT_FOUND', context: { model, version } });
    }
    const now = Date.now();
    const previous = await this.#db.selectFrom('model_aliases').select('version').where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
    await this.#db.insertInto('model_aliases').values({ model, alias, version, updated_at: now })
      .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version, updated_at: now })).execute();
    // The history row commits or rolls back with the move itself.
    await this.#db.insertInto('model_alias_history').values({
      model, alias, version, previous_version: previous === undefined ? null : Number(previous.version),
      reason: note.reason ?? null, run_id: note.runId ?? null, actor: note.actor ?? null,
      evidence: jsonText(note.evidence ?? {}, `evidence of alias ${alias} of model ${model}`), at: now,
    }).execute();
  }

  // ---- artifact pins ------------------------------------------------------------------------------

  async pinArtifacts(holder: string, artifacts: readonly string[], workerId: string | null = null): Promise<void> {
    if (artifacts.length === 0) return;
    await this.#lockPins();
    const now = Date.now();
    for (const part of chunks([...new Set(artifacts)])) {
      await this.#db.insertInto('artifact_pins').values(part.map((artifact) => ({ holder, artifact, worker_id: workerId, created_at: now })))
        .onConflict((oc) => oc.columns(['holder', 'artifact']).doNothing()).execute();
    }
  }

  async unpinArtifacts(holder: string): Promise<void> {
    await this.#db.deleteFrom('artifact_pins').where('holder', '=', holder).execute();
  }

  async unreferencedArtifacts(artifacts: readonly string[], now: number, pinMaxAgeMs: number): Promise<string[]> {
    if (artifacts.length === 0) return [];
    await this.#lockPins();
    const used = new Set<string>();
    const deadBefore = now - DEAD_WORKER_LEASES * PIN_LEASE_MS;
    for (const part of chunks([...new Set(artifacts)])) {
      for (const r of await this.#db.selectFrom('dataset_versions').select('artifact').distinct().where('artifact', 'in', part).where('expired_at', 'is', null).execute()) used.add(r.artifact);
      for (const r of await this.#db.selectFrom('model_versions').select('artifact').distinct().where('artifact', 'in', part).execute()) used.add(r.artifact);
      const pins = await this.#db.selectFrom('artifact_pins as p').leftJoin('workers as w', 'w.id', 'p.worker_id')
        .select(['p.artifact', 'p.created_at', 'p.worker_id', 'w.heartbeat_at', 'w.stopped_at']).where('p.artifact', 'in', part).execute();
      for (const p of pins) {
        // A pin holds while its worker is alive, or (no worker recorded) while it is young.
        const alive = p.worker_id !== null && p.heartbeat_at !== null && p.stopped_at === null && Number(p.heartbeat_at) >= deadBefore;
        const young = p.worker_id === null && now - Number(p.created_at) < pinMaxAgeMs;
        if (alive || young) used.add(p.artifact);
      }
    }
    return [...new Set(artifacts)].filter((a) => !used.has(a)).sort();
  }
}

export function taskSet(id: string, patch: TaskRunPatch): Updateable<TaskRunsTable> {
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
  if (patch.errorHint !== undefined) set.error_hint = patch.errorHint;
  if (patch.output !== undefined) set.output = jsonText(patch.output, `output of ${where}`);
  if (patch.outputKind !== undefined) set.output_kind = patch.outputKind;
  if (patch.logs !== undefined) set.logs = jsonText(patch.logs, `logs of ${where}`);
  if (patch.maxAttempts !== undefined) set.max_attempts = patch.maxAttempts;
  if (patch.retryDelayMs !== undefined) set.retry_delay_ms = requiredTime(patch.retryDelayMs, `retryDelayMs of ${where}`);
  if (patch.timeoutMs !== undefined) set.timeout_ms = optionalTime(patch.timeoutMs, `timeoutMs of ${where}`);
  if (patch.leaseOwner !== undefined) set.lease_owner = patch.leaseOwner;
  if (patch.leaseExpiresAt !== undefined) set.lease_expires_at = optionalTime(patch.leaseExpiresAt, `leaseExpiresAt of ${where}`);
  if (patch.notBefore !== undefined) set.not_before = optionalTime(patch.notBefore, `notBefore of ${where}`);
  if (patch.cacheKey !== undefined) set.cache_key = patch.cacheKey;
  if (patch.cachedFrom !== undefined) set.cached_from = patch.cachedFrom;
  if (patch.leaseLosses !== undefined) set.lease_losses = patch.leaseLosses;
  return set;
}

function* chunksOf<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
