/**
 * Incremental ingest of a source into a dataset: plan the batches that are new since the last run
 * (ingest-plan.ts), read each into DuckDB once, write it as a staged version of the dataset with its
 * ingest state in `meta.ingest`, and set rows the parser rejected aside in the quarantine.
 *
 * Staged versions are registered by the caller (the orchestrator, once the step succeeds), so a failed
 * ingest registers nothing and a retry starts from the same state. Validation during ingest lives one
 * layer up (quality/ingest.ts), built from the same pieces.
 *
 * @example
 * const result = await ingest(engine, catalog, {
 *   dataset: 'flights_raw', source: parquet('flights-3m.parquet'),
 *   incremental: { by: 'partition', key: { name: 'month', sql: "strftime(date, '%Y-%m')" } },
 *   lineage: { runId: null, step: null, inputs: [], partition: null },
 * });
 * for (const s of result.staged) await catalog.commit(s);
 */
import type { Engine } from '../engine/index.ts';
import { quoteIdent, quoteLiteral } from '../engine/index.ts';
import type { Json } from '../core/json.ts';
import type { DatasetCatalog, Lineage, StagedDataset } from './catalog.ts';
import { checkName } from './catalog.ts';
import { planIngest, type IncrementalPolicy, type IngestBatch, type IngestPlan, type IngestState } from './ingest-plan.ts';
import { FAILED_TYPE, quarantineName, rejectsAsQuarantineSql } from './quarantine.ts';
import { openRelation, type OpenRelationOptions, type Relation } from './relation.ts';
import { openSource, type SourceReader } from './read-source.ts';
import { checkRetention, type RetentionPolicy } from './retention.ts';
import type { Source } from './sources.ts';
import { writeRelation } from './write-relation.ts';
import { writeVersion } from './write-version.ts';

export interface IngestRequest {
  dataset: string;
  source: Source;
  /** How runs divide the source; default { by: 'snapshot' }. */
  incremental?: IncrementalPolicy;
  /** Partition mode: only these partitions (e.g. the run's). */
  partitions?: readonly string[];
  retention?: RetentionPolicy;
  /** Where rows set aside go; default `<dataset>_quarantine`. */
  quarantine?: string;
  lineage: Lineage;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Relative paths and globs resolve against this folder; default the process's. */
  cwd?: string;
}

export interface IngestResult {
  dataset: string;
  /** One staged version per batch read (empty when nothing was new). */
  staged: StagedDataset[];
  quarantined: StagedDataset[];
  skipped: IngestPlan['skipped'];
  notes: string[];
  /** Rows written to the dataset and to the quarantine. */
  rows: number;
  quarantinedRows: number;
}

/** What to do with one batch: write it (plain ingest) or validate and split it (quality). */
export type BatchWriter = (batch: IngestBatch, data: Relation, state: IngestState, lineage: Lineage) => Promise<{ staged: StagedDataset[]; quarantined: StagedDataset[]; rows: number; quarantinedRows: number }>;

export async function ingest(engine: Engine, catalog: DatasetCatalog, request: IngestRequest): Promise<IngestResult> {
  const quarantine = request.quarantine ?? quarantineName(request.dataset);
  return runIngest(engine, catalog, request, undefined, async (batch, data, state, lineage) => {
    const meta = { ingest: state };
    const staged = await writeRelation(engine, catalog, request.dataset, data, {
      lineage, partition: batch.partition, meta, ...(request.retention ? { retention: request.retention } : {}),
    });
    const quarantined: StagedDataset[] = [];
    const rejected = data.rejected;
    if (data.rejects && rejected > 0) {
      const sql = rejectsAsQuarantineSql(data.rejects, data.columns);
      quarantined.push(await writeVersion(engine, catalog, quarantine, `(${sql})`, { columns: await engine.describe(sql), lineage, partition: batch.partition, meta }));
    }
    return { staged: [staged], quarantined, rows: staged.rowCount, quarantinedRows: rejected };
  });
}

/** Names and options, checked before anything is read, so that a bad argument fails at once and cleanly. */
export function checkIngestRequest(request: Pick<IngestRequest, 'dataset' | 'quarantine' | 'retention'>): void {
  checkName(request.dataset);
  checkName(request.quarantine ?? quarantineName(request.dataset), 'Quarantine name');
  if (request.retention !== undefined) checkRetention(request.retention);
}

/**
 * The ingest loop shared by plain and validated ingest: plan, then open each batch as a relation
 * (`read.project` applied) and hand it to `write`.
 */
export async function runIngest(
  engine: Engine, catalog: DatasetCatalog, request: IngestRequest,
  read: (Pick<OpenRelationOptions, 'project'> & { types?: Record<string, string> }) | undefined,
  write: BatchWriter,
): Promise<IngestResult> {
  checkIngestRequest(request);
  const log = request.log ?? (() => {});
  const reader: SourceReader = openSource(request.source, { ...(request.cwd === undefined ? {} : { cwd: request.cwd }), ...(read?.types ? { types: read.types } : {}) });
  try {
    const quarantine = request.quarantine ?? quarantineName(request.dataset);
    const plan = await planIngest(engine, catalog, request.dataset, reader, request.incremental ?? { by: 'snapshot' }, { quarantine, ...(request.partitions ? { partitions: request.partitions } : {}) });
    for (const s of plan.skipped) log(`${s.partition ?? request.dataset}: skipped, ${s.reason}`);
    for (const n of plan.notes) log(n);
    const result: IngestResult = { dataset: request.dataset, staged: [], quarantined: [], skipped: plan.skipped, notes: plan.notes, rows: 0, quarantinedRows: 0 };
    for (const batch of plan.batches) {
      if (request.signal?.aborted) break;
      const opened = await openRelation(engine, reader, batch, {
        ...(read?.project && !batch.quarantineAll ? { project: read.project } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      // A batch of one partition value reads the whole file: the rows that did not parse belong to no
      // partition and are quarantined once, with the rows whose partition key is NULL.
      const data: Relation = batch.filter.kind === 'partition' ? { ...opened, rejects: null, rejected: 0 } : opened;
      try {
        const state: IngestState = { ...batch.state, sourceRows: data.rows + data.rejected };
        // Lineage names what was read: this batch's files (or the database).
        const read = data.files.length > 0 ? data.files.map((f) => `file:${f.path}`) : [reader.description];
        const lineage: Lineage = { ...request.lineage, inputs: [...request.lineage.inputs, ...read.slice(0, 1000)] };
        const out = batch.quarantineAll
          ? await quarantineBatch(engine, catalog, quarantine, batch, data, state, lineage, batch.quarantineAll)
          : await write(batch, data, state, lineage);
        result.staged.push(...out.staged);
        result.quarantined.push(...out.quarantined);
        result.rows += out.rows;
        result.quarantinedRows += out.quarantinedRows;
        log(`${batch.partition ?? request.dataset}: ${out.rows.toLocaleString('en-US')} rows${out.quarantinedRows ? `, ${out.quarantinedRows.toLocaleString('en-US')} quarantined` : ''} (${batch.why})`);
      } finally {
        await data.drop();
      }
    }
    return result;
  } finally {
    await reader.close();
  }
}

/** Every row of a batch to the quarantine (rows without a partition value), with the reason. */
async function quarantineBatch(engine: Engine, catalog: DatasetCatalog, quarantine: string, batch: IngestBatch, data: Relation, state: IngestState, lineage: Lineage,
  why: { expectation: string; reason: string }): Promise<{ staged: StagedDataset[]; quarantined: StagedDataset[]; rows: number; quarantinedRows: number }> {
  if (data.rows + data.rejected === 0) return { staged: [], quarantined: [], rows: 0, quarantinedRows: 0 };
  const parts = [
    ...(data.rows > 0 ? [`SELECT ${[...data.columns.map((c) => quoteIdent(c.name)), `[{'expectation': ${quoteLiteral(why.expectation)}, 'reason': ${quoteLiteral(why.reason)}}]::${FAILED_TYPE} AS _failed`,
      `CAST(${data.rowNumber} + 1 AS BIGINT) AS _source_row`, `CAST(${data.fileColumn ?? 'NULL'} AS VARCHAR) AS _source_file`, 'CAST(NULL AS BIGINT) AS _source_line', 'CAST(NULL AS VARCHAR) AS _raw'].join(', ')} FROM ${data.sql}`] : []),
    ...(data.rejects && data.rejected > 0 ? [rejectsAsQuarantineSql(data.rejects, data.columns)] : []),
  ];
  const sql = `(${parts.join(' UNION ALL BY NAME ')})`;
  const staged = await writeVersion(engine, catalog, quarantine, sql, { columns: await engine.describe(`SELECT * FROM ${sql}`), lineage, partition: batch.partition, meta: { ingest: state } });
  return { staged: [], quarantined: [staged], rows: 0, quarantinedRows: data.rows + data.rejected };
}

export type { IncrementalPolicy, IngestState, Json };
