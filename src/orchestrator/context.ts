/**
 * What a step sees: its params, run, a DuckDB connection of its own, dataset and model helpers that
 * stage outputs (registered only when the step succeeds), logging, progress and cancellation.
 */
import { CancelledError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { DatasetCatalog, DatasetSnapshot, IncrementalPolicy, RetentionPolicy, Source } from '../data/index.ts';
import { datasetSql, ingest, type DatasetRef, type StagedDataset } from '../data/index.ts';
import { ingestValidated, validateDataset, type DriftPolicy, type Suite, type ValidationReport } from '../quality/index.ts';
import { Frame, numberColumn, type Column } from '../frame/frame.ts';
import type { ModelRegistry} from '../registry/index.ts';
import { loadPredictor, type ModelRef, type ModelPackage, type StagedModel } from '../registry/index.ts';
import type { PromotionDecision, PromotionGate } from '../registry/index.ts';
import { compareOnRows, dataDrift, driftFrame, measurePerformance, performanceFrame, type DataDriftOptions, type DataDriftReport, type PerformanceRecord } from '../monitor/index.ts';
import type { AliasNote, ArtifactStore } from '../store/types.ts';
import type { Json } from '../core/json.ts';
import type { Params } from './types.ts';

export interface RunInfo {
  readonly id: string;
  readonly pipeline: string;
  readonly partition: string | null;
  /** The instant the run is for (epoch ms): its partition's start, or the schedule occurrence; null for a manual run of an unpartitioned pipeline. */
  readonly logicalDate: number | null;
}

export interface StepDatasets {
  /** Writes a query's result or a Frame as the next version of dataset `name` (registered when the step succeeds). */
  write(name: string, source: string | Frame, options?: { inputs?: (DatasetRef | StagedDataset | string)[]; retention?: RetentionPolicy }): Promise<StagedDataset>;
  /** SQL table expression for a dataset, e.g. `SELECT * FROM ${ctx.datasets.sql(ref)}`. */
  sql(ref: DatasetRef | StagedDataset | DatasetSnapshot): string;
  /** Reads a whole dataset (or a query over it) into a Frame. */
  frame(ref: DatasetRef | StagedDataset | DatasetSnapshot, query?: (table: string) => string): Promise<Frame>;
  /** The latest registered version of a dataset, if any. */
  latest(name: string): Promise<DatasetRef | undefined>;
  /** A dataset's current content: the latest live version of each partition. */
  current(name: string): Promise<DatasetSnapshot | undefined>;
  /**
   * Collects what is new in `source` into dataset `name` (see IncrementalPolicy), validated by `suite`
   * when given (bad rows to the quarantine). Versions are registered when the step succeeds.
   *
   * @example
   * const r = await ctx.datasets.ingest('flights', parquet(path), { incremental: { by: 'partition', key: 'month' }, suite: flightsSuite });
   */
  ingest(name: string, source: Source, options?: StepIngestOptions): Promise<StepIngestResult>;
}

export interface StepIngestOptions {
  incremental?: IncrementalPolicy;
  /** Partition mode: the partitions to collect; default the run's partition when it has one, else all new ones. */
  partitions?: readonly string[];
  suite?: Suite<unknown>;
  schemaDrift?: DriftPolicy;
  /** Dataset for bad rows; default `<name>_quarantine`. */
  quarantine?: string;
  retention?: RetentionPolicy;
  /** "Now" for freshness expectations (epoch ms), e.g. the run's logical date. */
  now?: number;
}

export interface StepIngestResult {
  dataset: string;
  /** The staged versions (registered refs once the step has succeeded): one per batch read. */
  versions: StagedDataset[];
  quarantined: StagedDataset[];
  rows: number;
  quarantinedRows: number;
  skipped: { partition: string | null; reason: string }[];
  notes: string[];
  reports: ValidationReport[];
}

export interface StepQuality {
  /**
   * Checks a dataset version or snapshot against a suite (throws ValidationError on a failing
   * expectation). With `output`, also writes the clean rows as a version of that dataset and the bad
   * ones to its quarantine.
   */
  validate(input: DatasetRef | StagedDataset | DatasetSnapshot, suite: Suite<unknown>, options?: { output?: string; quarantine?: string; schemaDrift?: DriftPolicy; retention?: RetentionPolicy; now?: number }): Promise<{ report: ValidationReport; clean: StagedDataset | null; quarantine: StagedDataset | null }>;
}

export interface StepModels {
  /** Stages a model package as the next version of model `name` (registered when the step succeeds). */
  register(name: string, pkg: ModelPackage, options?: { inputs?: (DatasetRef | StagedDataset | string)[] }): Promise<StagedModel>;
  /** A registered version, alias (e.g. "champion") or the latest. */
  find(name: string, versionOrAlias?: number | string): Promise<ModelRef | undefined>;
  load(ref: ModelRef | StagedModel): Promise<ModelPackage>;
  /**
   * Points an alias at a version, effective when the step succeeds (recorded in the alias history with
   * this run, this step and `reason`). `version` may be a staged model.
   */
  setAlias(name: string, alias: string, version: number | StagedModel, reason?: string): void;
  /**
   * Measures the challenger and the current `alias` holder (default `champion`) on the same held-out
   * rows, lets the gate decide, and if it says so moves the alias to the challenger when the step
   * succeeds. The decision (with both models' metrics) is returned and recorded in the alias history.
   *
   * @example
   * const decision = await ctx.models.promote('delay', staged, { rows: heldOut, label: 'late', gate: { metric: 'auc', minGain: 0.002 } });
   * ctx.log(decision.reason);
   */
  promote(name: string, challenger: StagedModel | ModelRef, options: PromoteOptions): Promise<PromotionDecision>;
  /**
   * Scores a dataset with the version an alias points to (default `champion`), or a given version, and
   * writes dataset `output`: the `keep` columns, `prediction`, and `model_version`. The version records
   * which model version scored it (meta.scoredBy, and the model version id in its lineage).
   *
   * @example
   * const { dataset, model } = await ctx.models.score('delay', month, { output: 'delay_scores', keep: ['id'] });
   */
  score(name: string, input: DatasetRef | StagedDataset | DatasetSnapshot, options: ScoreOptions): Promise<{ dataset: StagedDataset; model: ModelRef; rows: number }>;
}

export interface ScoreOptions {
  output: string;
  alias?: string;
  /** A version number instead of an alias. */
  version?: number;
  /** Columns of the input to carry into the scores (ids, dates). */
  keep?: readonly string[];
  /** A query over the input table, e.g. (t) => `SELECT * FROM ${t} WHERE month = '2001-03'`. */
  query?: (table: string) => string;
}

export interface StepMonitor {
  /**
   * Data drift of a batch against a reference (e.g. the champion's training rows), per feature, written
   * as a version of dataset `output` (one row per feature, `batch` = the run's partition or `batch`)
   * so drift over time can be queried and charted.
   */
  drift(reference: Frame, current: Frame, options: DataDriftOptions & { output?: string; batch?: string }): Promise<{ report: DataDriftReport; dataset: StagedDataset | null }>;
  /**
   * Performance once labels arrive: measures the version an alias points to (default `champion`), or a
   * given version, on the batch's labelled rows (rows whose label is still null are left out) and, with
   * `output`, writes one version of that dataset: a row per metric (batch, model, version, alias,
   * metric, value, rows) and the record as `meta.performance`. `metrics` fits shouldRetrain's
   * performance policy.
   *
   * @example
   * const perf = await ctx.monitor.performance('delay', monthRows, { label: 'late', output: 'delay_performance' });
   * shouldRetrain({ performance: { metric: 'auc', baseline: 0.7, maxDrop: 0.02 } }, { performance: perf.metrics });
   */
  performance(name: string, rows: Frame, options?: PerformanceStepOptions): Promise<PerformanceRecord & { dataset: StagedDataset | null }>;
}

export interface PerformanceStepOptions {
  alias?: string;
  /** A version number instead of an alias. */
  version?: number;
  /** The label column (default the model's target). */
  label?: string;
  /** Dataset to write the measurement to; none when omitted. */
  output?: string;
  /** Names the batch; default the run's partition (else the run id). */
  batch?: string;
}

export interface PromoteOptions {
  gate: PromotionGate;
  /** The held-out rows both models are measured on, with the label. */
  rows: Frame;
  label: string;
  alias?: string;
}

export interface StepContext<P extends Params = Params> {
  readonly params: P;
  readonly run: RunInfo;
  readonly step: string;
  readonly attempt: number;
  readonly engine: Engine;
  readonly signal: AbortSignal;
  readonly artifacts: ArtifactStore;
  readonly datasets: StepDatasets;
  readonly quality: StepQuality;
  readonly models: StepModels;
  readonly monitor: StepMonitor;
  log(message: string): void;
  /** Reports progress of a long step: `done` of `total` units. */
  progress(done: number, total: number, message?: string): void;
  /** Throws CancelledError if the run was cancelled; call it between long phases. */
  throwIfCancelled(): void;
}

export interface PendingOutputs {
  datasets: StagedDataset[];
  models: StagedModel[];
  aliases: { name: string; alias: string; version: number | StagedModel; note: AliasNote }[];
}

export interface ContextDeps {
  params: Params;
  run: RunInfo;
  step: string;
  attempt: number;
  engine: Engine;
  signal: AbortSignal;
  artifacts: ArtifactStore;
  catalog: DatasetCatalog;
  registry: ModelRegistry;
  logger: Logger;
  onLog: (line: string) => void;
  onProgress: (done: number, total: number, message?: string) => void;
}

export function createStepContext(deps: ContextDeps): { ctx: StepContext; pending: PendingOutputs } {
  const pending: PendingOutputs = { datasets: [], models: [], aliases: [] };
  const lineageInputs = (inputs?: (DatasetRef | StagedDataset | string)[]): string[] => (inputs ?? []).map((i) => (typeof i === 'string' ? i : i.id));
  const throwIfCancelled = (): void => {
    if (deps.signal.aborted) throw new CancelledError(`Step "${deps.step}" of run ${deps.run.id} was cancelled`, { context: { run: deps.run.id, step: deps.step } });
  };
  const ctx: StepContext = {
    params: deps.params,
    run: deps.run,
    step: deps.step,
    attempt: deps.attempt,
    engine: deps.engine,
    signal: deps.signal,
    artifacts: deps.artifacts,
    datasets: {
      async write(name, source, options) {
        throwIfCancelled();
        const staged = await deps.catalog.stage(deps.engine, name, source, {
          runId: deps.run.id, step: deps.step, inputs: lineageInputs(options?.inputs), partition: deps.run.partition,
        }, options?.retention ? { retention: options.retention } : {});
        throwIfCancelled();
        pending.datasets.push(staged);
        return staged;
      },
      sql: (ref) => datasetSql(ref),
      async frame(ref, query) {
        const table = datasetSql(ref);
        return deps.engine.toFrame(query ? query(table) : `SELECT * FROM ${table}`);
      },
      latest: (name) => deps.catalog.find(name),
      current: (name) => deps.catalog.current(name),
      async ingest(name, source, options = {}) {
        throwIfCancelled();
        const incremental = options.incremental ?? { by: 'snapshot' as const };
        const partitions = options.partitions ?? (incremental.by === 'partition' && deps.run.partition ? [deps.run.partition] : undefined);
        const request = {
          dataset: name, source, incremental, lineage: { runId: deps.run.id, step: deps.step, inputs: [], partition: deps.run.partition },
          signal: deps.signal, log: (line: string) => ctx.log(line),
          ...(partitions ? { partitions } : {}), ...(options.quarantine ? { quarantine: options.quarantine } : {}),
          ...(options.retention ? { retention: options.retention } : {}),
        };
        const result = options.suite
          ? await ingestValidated(deps.engine, deps.catalog, { ...request, suite: options.suite, ...(options.schemaDrift ? { schemaDrift: options.schemaDrift } : {}), ...(options.now !== undefined ? { now: options.now } : {}) })
          : { ...(await ingest(deps.engine, deps.catalog, request)), reports: [] };
        throwIfCancelled();
        pending.datasets.push(...result.staged, ...result.quarantined);
        return {
          dataset: name, versions: result.staged, quarantined: result.quarantined, rows: result.rows, quarantinedRows: result.quarantinedRows,
          skipped: result.skipped, notes: result.notes, reports: result.reports,
        };
      },
    },
    quality: {
      async validate(input, suite, options = {}) {
        throwIfCancelled();
        const out = await validateDataset(deps.engine, deps.catalog, input, suite, {
          ...options, lineage: { runId: deps.run.id, step: deps.step, inputs: [], partition: deps.run.partition },
        });
        throwIfCancelled();
        for (const d of [out.clean, out.quarantine]) if (d) pending.datasets.push(d);
        ctx.log(`validation ${out.report.status}: ${out.report.rows.clean} clean rows, ${out.report.rows.quarantined} quarantined (suite ${suite.name})`);
        return out;
      },
    },
    models: {
      async register(name, pkg, options) {
        throwIfCancelled();
        const staged = await deps.registry.stage(name, pkg, { runId: deps.run.id, step: deps.step, inputs: lineageInputs(options?.inputs) });
        pending.models.push(staged);
        return staged;
      },
      find: (name, v) => deps.registry.find(name, v === undefined ? undefined : String(v)),
      load: (ref) => deps.registry.load(ref),
      setAlias(name, alias, version, reason) {
        pending.aliases.push({ name, alias, version, note: { reason: reason ?? null, runId: deps.run.id, actor: `run ${deps.run.id} step ${deps.step}` } });
      },
      async promote(name, challenger, options) {
        throwIfCancelled();
        const alias = options.alias ?? 'champion';
        const challengerPkg = await deps.registry.load(challenger);
        const championRef = await deps.registry.find(name, alias);
        const champion = championRef ? loadPredictor(await deps.registry.load(championRef)) : null;
        const decision = compareOnRows({
          challenger: loadPredictor(challengerPkg), champion, rows: options.rows, label: options.label, gate: options.gate, task: challengerPkg.task,
        });
        const evidence = {
          gate: options.gate as unknown as Json, promoted: decision.promote, gain: decision.gain,
          challenger: decision.evidence.challenger, champion: decision.evidence.champion, rows: decision.evidence.rows,
          championVersion: championRef?.version ?? null, predictionDrift: decision.evidence.predictionDrift ?? null,
        } as { [key: string]: Json };
        const who = 'version' in challenger ? `version ${challenger.version}` : 'the challenger';
        ctx.log(`promotion of ${name} ${who} to ${alias}: ${decision.promote ? 'yes' : 'no'}, ${decision.reason}`);
        if (decision.promote) {
          pending.aliases.push({
            name, alias, version: 'version' in challenger ? challenger.version : challenger,
            note: { reason: decision.reason, runId: deps.run.id, actor: `run ${deps.run.id} step ${deps.step}`, evidence },
          });
        }
        return decision;
      },
      async score(name, input, options) {
        throwIfCancelled();
        const ref = await deps.registry.get(name, options.version ?? options.alias ?? 'champion');
        const predictor = loadPredictor(await deps.registry.load(ref));
        const table = datasetSql(input);
        const frame = await deps.engine.toFrame(options.query ? options.query(table) : `SELECT * FROM ${table}`);
        throwIfCancelled();
        const prediction = predictor.predict(frame);
        const columns = new Map<string, Column>();
        for (const k of options.keep ?? []) columns.set(k, frame.column(k));
        columns.set('prediction', numberColumn(prediction));
        columns.set('model_version', numberColumn(new Float64Array(frame.numRows).fill(ref.version), 'int'));
        const inputIds = 'parts' in input ? input.parts.map((p) => p.id) : [input.id];
        const staged = await deps.catalog.stage(deps.engine, options.output, new Frame(columns), {
          runId: deps.run.id, step: deps.step, inputs: [...inputIds, ref.id], partition: deps.run.partition,
        }, { meta: { scoredBy: { model: name, version: ref.version, modelVersionId: ref.id, alias: options.version === undefined ? (options.alias ?? 'champion') : null } } });
        throwIfCancelled();
        pending.datasets.push(staged);
        ctx.log(`scored ${frame.numRows.toLocaleString('en-US')} rows of ${'parts' in input ? input.name : input.name} with ${name} v${ref.version} into ${options.output}`);
        return { dataset: staged, model: ref, rows: frame.numRows };
      },
    },
    monitor: {
      async drift(reference, current, options) {
        throwIfCancelled();
        const report = dataDrift(reference, current, options);
        const drifted = report.features.filter((f) => f.drifted).map((f) => f.feature);
        ctx.log(`drift: ${report.driftedColumns} of ${report.testedColumns} features drifted${drifted.length ? ` (${drifted.join(', ')})` : ''}`);
        if (!options.output) return { report, dataset: null };
        const batch = options.batch ?? deps.run.partition ?? deps.run.id;
        const dataset = await deps.catalog.stage(deps.engine, options.output, driftFrame(report, batch), {
          runId: deps.run.id, step: deps.step, inputs: [], partition: deps.run.partition,
        }, { meta: { drift: { batch, drifted: report.drifted, driftedColumns: report.driftedColumns, testedColumns: report.testedColumns } } });
        pending.datasets.push(dataset);
        return { report, dataset };
      },
      async performance(name, rows, options = {}) {
        throwIfCancelled();
        const alias = options.version === undefined ? (options.alias ?? 'champion') : null;
        const ref = await deps.registry.get(name, options.version ?? alias ?? undefined);
        const measured = measurePerformance(loadPredictor(await deps.registry.load(ref)), rows, options.label ? { label: options.label } : {});
        const record: PerformanceRecord = { batch: options.batch ?? deps.run.partition ?? deps.run.id, model: name, version: ref.version, alias, ...measured };
        const shown = Object.entries(record.metrics).slice(0, 2).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
        ctx.log(`performance of ${name} v${ref.version}${alias ? ` (${alias})` : ''} on ${record.rows.toLocaleString('en-US')} labelled rows of ${record.batch}: ${shown}`);
        if (!options.output) return { ...record, dataset: null };
        const dataset = await deps.catalog.stage(deps.engine, options.output, performanceFrame(record), {
          runId: deps.run.id, step: deps.step, inputs: [ref.id], partition: deps.run.partition,
        }, { meta: { performance: { ...record, metrics: { ...record.metrics } } } });
        pending.datasets.push(dataset);
        return { ...record, dataset };
      },
    },
    log(message) {
      deps.logger.info(`[${deps.step}] ${message}`);
      deps.onLog(message);
    },
    progress: (done, total, message) => deps.onProgress(done, total, message),
    throwIfCancelled,
  };
  return { ctx, pending };
}

/** A JSON summary of a step's output for the run record: refs compacted, big values elided. */
export function summarizeOutput(value: unknown, depth = 0): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value.length > 500 ? `${value.slice(0, 500)}...` : value;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return `[${typeof value}]`;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'dataset') { const d = value as DatasetRef; return { dataset: d.name, version: d.version, id: d.id, rows: d.rowCount }; }
  if (kind === 'model') { const m = value as ModelRef; return { model: m.name, version: m.version, id: m.id, metrics: m.metrics as Json }; }
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} of ${(value as unknown as { length: number }).length}]`;
  if (depth > 4) return '[...]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => summarizeOutput(v, depth + 1));
  if ((value as { constructor?: unknown }).constructor !== Object && (value as { constructor?: unknown }).constructor !== undefined) {
    const name = (value as { constructor: { name: string } }).constructor.name;
    if (name === 'Frame') return `[Frame ${(value as unknown as Frame).numRows} rows x ${(value as unknown as Frame).numColumns} columns]`;
    return `[${name}]`;
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 100)) out[k] = summarizeOutput(v, depth + 1);
  return out;
}
