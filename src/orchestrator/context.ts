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
import type { Frame } from '../frame/frame.ts';
import type { ModelRegistry} from '../registry/index.ts';
import { type ModelRef, type ModelPackage, type StagedModel } from '../registry/index.ts';
import type { ArtifactStore } from '../store/types.ts';
import type { Json } from '../core/json.ts';
import type { Params } from './types.ts';

export interface RunInfo {
  readonly id: string;
  readonly pipeline: string;
  readonly partition: string | null;
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
  /** Points an alias at a version, effective when the step succeeds. `version` may be a staged model. */
  setAlias(name: string, alias: string, version: number | StagedModel): void;
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
  log(message: string): void;
  /** Reports progress of a long step: `done` of `total` units. */
  progress(done: number, total: number, message?: string): void;
  /** Throws CancelledError if the run was cancelled; call it between long phases. */
  throwIfCancelled(): void;
}

export interface PendingOutputs {
  datasets: StagedDataset[];
  models: StagedModel[];
  aliases: { name: string; alias: string; version: number | StagedModel }[];
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
      setAlias(name, alias, version) { pending.aliases.push({ name, alias, version }); },
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
