/**
 * Ingest with validation in the same passes: each batch is checked, counted and sampled in one
 * aggregate pass and its clean rows written in one streaming COPY (validate.ts), so collecting,
 * validating and profiling a batch reads it twice and writes it once.
 *
 * @example
 * const result = await ingestValidated(engine, catalog, {
 *   dataset: 'flights', source: parquet(path), suite: flightsSuite,
 *   incremental: { by: 'partition', key: { name: 'month', sql: "strftime(date, '%Y-%m')" } },
 *   lineage: { runId, step, inputs: [], partition: null },
 * });
 */
import { DataError, SluiceError } from '../core/errors.ts';
import type { Engine } from '../engine/index.ts';
import { checkIngestRequest, describeSource, runIngest, type DatasetCatalog, type IngestRequest, type IngestResult } from '../data/index.ts';
import { compileSuite, type CompiledSuite } from './compile.ts';
import { decideDrift, type DriftDecision, type DriftPolicy } from './drift.ts';
import type { Suite } from './expectations.ts';
import { resolveReferences } from './references.ts';
import type { ValidationReport } from './report.ts';
import { validateRelation, withChecks } from './validate.ts';

export interface ValidatedIngestRequest extends IngestRequest {
  suite: Suite<unknown>;
  /** What to do when the columns differ from the dataset's previous version; default 'fail'. */
  schemaDrift?: DriftPolicy;
  /** "Now" for freshness checks (epoch ms); default the time of the check. */
  now?: number;
}

export interface ValidatedIngestResult extends IngestResult {
  reports: ValidationReport[];
}

export async function ingestValidated(engine: Engine, catalog: DatasetCatalog, request: ValidatedIngestRequest): Promise<ValidatedIngestResult> {
  checkIngestRequest(request);
  const references = await resolveReferences(catalog, request.suite);
  const prev = await catalog.find(request.dataset);
  const previous = prev ? { dataset: prev.name, version: prev.version, schema: prev.schema } : null;
  const reports: ValidationReport[] = [];
  let drift: DriftDecision = { report: null, checks: [] };
  let started = Date.now();
  let compiled: CompiledSuite | undefined;
  const compile = (columns: Parameters<typeof compileSuite>[1]): CompiledSuite => {
    try {
      return compileSuite(withChecks(request.suite, drift.checks), columns, { references });
    } catch (err) {
      // Say which data the check could not be evaluated on.
      if (!(err instanceof SluiceError) || err.code !== 'CHECK_NOT_EVALUABLE') throw err;
      const source = request.source;
      throw new DataError(`${err.message}, reading ${describeSource(source)}`, {
        code: err.code, cause: err, hint: err.hint, context: { ...err.context, ...(source.kind !== 'postgres' ? { file: source.paths[0]! } : {}) },
      });
    }
  };
  // The suite's column types type the columns of text sources (CSV, JSON) as they are read, so that a
  // stray value becomes a bad row (named, or quarantined) instead of turning the column into text.
  const types = Object.fromEntries(request.suite.expectations.flatMap((e) => (e.kind === 'column_type' ? [[e.column, e.type] as const] : [])));
  const result = await runIngest(engine, catalog, request, {
    types,
    // Called per batch once its columns are known: decide about drift before reading anything.
    project: (columns) => {
      started = Date.now();
      compiled = undefined;
      drift = decideDrift(previous, columns, request.schemaDrift ?? 'fail');
      return drift.project;
    },
  }, async (batch, rel, state, lineage) => {
    compiled ??= compile(rel.columns);
    const out = await validateRelation(engine, catalog, rel, compiled, {
      dataset: request.dataset, ...(request.quarantine ? { quarantine: request.quarantine } : {}),
      lineage, partition: batch.partition, meta: { ingest: state }, drift: drift.report, startedAt: started,
      ...(request.now !== undefined ? { now: request.now } : {}),
      ...(request.retention ? { retention: request.retention } : {}),
    });
    reports.push(out.report);
    return {
      staged: out.clean ? [out.clean] : [], quarantined: out.quarantine ? [out.quarantine] : [],
      rows: out.report.rows.clean, quarantinedRows: out.report.rows.quarantined,
    };
  });
  return { ...result, reports };
}
