/**
 * A batch of a source as something to scan more than once: writing a version reads its batch twice
 * (once for checks, counts and a sample; once to write the Parquet file), so Parquet batches are
 * streamed from the files both times (reading Parquet is cheap, row numbers come free, and text arrives
 * dictionary-encoded, which makes string checks cheap), while CSV, JSON, Arrow and database batches are
 * read once into a DuckDB temp table (parsing is what costs) and nothing else: checks evaluated in that
 * read would run once per row, where the validator can run its text checks once per distinct value of
 * the table (quality/validate.ts).
 */
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine } from '../engine/index.ts';
import { parquetScanSql, quoteIdent } from '../engine/index.ts';
import { CancelledError, DataError, SluiceError } from '../core/errors.ts';
import type { SourceFile } from './files.ts';
import type { IngestBatch } from './ingest-plan.ts';
import type { ScanRejects } from './rejects.ts';
import { INTERNAL_PREFIX, type SourceReader } from './read-source.ts';

export interface Relation {
  /** A table expression: the data columns plus internal ones (`__sluice_*`). */
  sql: string;
  /** The data columns, in order. */
  columns: ColumnSchema[];
  /** Internal columns `sql` also carries (e.g. the raw values of a schema coercion), row number and file aside. */
  internal: ColumnSchema[];
  /** Row number within the file or table (SQL over `sql`'s columns). */
  rowNumber: string;
  /** The source file of each row, when the batch reads several files. */
  fileColumn: string | null;
  /** The temp table behind `sql` (null when streamed from files). */
  table: string | null;
  /** Rows the reader set aside (quarantine policy). */
  rejects: ScanRejects | null;
  files: SourceFile[];
  /** Rows in the batch that parsed. */
  rows: number;
  /** Rows the reader set aside (in `rejects`). */
  rejected: number;
  /** A precise error (file, line, column) for a failure while reading `sql`. */
  explain(err: unknown): Promise<SluiceError>;
  drop(): Promise<void>;
}

export interface OpenRelationOptions {
  /** Rewrites the columns (select items over alias `s0`), e.g. to fit a previous schema. */
  project?: (columns: readonly ColumnSchema[]) => { select: string[]; columns: ColumnSchema[] } | undefined;
  signal?: AbortSignal;
}

const RN = quoteIdent(`${INTERNAL_PREFIX}rn`);

export async function openRelation(engine: Engine, reader: SourceReader, batch: IngestBatch, options: OpenRelationOptions = {}): Promise<Relation> {
  const scan = await reader.scan(engine, {
    ...(batch.files ? { files: batch.files } : {}), filter: batch.filter, rowNumbers: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let columns = scan.schema;
  const internal = [scan.rowNumber, scan.fileColumn].filter((c): c is string => c !== null);
  const projected = options.project?.(columns);
  if (projected) columns = projected.columns;
  /** The batch's rows over a scan's table expression (the scan's own, or rows recovered after it). */
  const wrap = (from: string): string => {
    let sql = from;
    if (projected) sql = `(SELECT ${[...projected.select, ...internal.map((c) => `s0.${c}`)].join(', ')} FROM ${sql} AS s0)`;
    if (batch.antiJoin && batch.antiJoin.paths.length > 0) {
      const on = batch.antiJoin.key.map((k) => `e.${quoteIdent(k)} IS NOT DISTINCT FROM s.${quoteIdent(k)}`).join(' AND ');
      sql = `(SELECT * FROM ${sql} AS s WHERE NOT EXISTS (SELECT 1 FROM ${parquetScanSql(batch.antiJoin.paths, { unionByName: true })} AS e WHERE ${on}))`;
    }
    return sql;
  };
  const sql = wrap(scan.sql);
  const dataColumns = columns.filter((c) => !c.name.startsWith(INTERNAL_PREFIX));
  const internalColumns = columns.filter((c) => c.name.startsWith(INTERNAL_PREFIX));
  if (scan.rowNumber !== null) {
    // Streamed (Parquet): counting reads little (metadata, or the filter's columns).
    let rows: number;
    try {
      rows = Number(await engine.scalar(`SELECT count(*) FROM ${sql}`));
    } catch (err) {
      throw await scan.explain(err);
    }
    return {
      sql, columns: dataColumns, internal: internalColumns, rowNumber: scan.rowNumber, fileColumn: scan.fileColumn, table: null,
      rejects: scan.rejects, files: scan.files, rows, rejected: 0, explain: scan.explain, drop: scan.cleanup,
    };
  }
  const table = quoteIdent(`${INTERNAL_PREFIX}batch_${newId('b').slice(2)}`);
  const onAbort = (): void => engine.interrupt();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const select = columns.map((c) => quoteIdent(c.name)).join(', ');
  try {
    await engine.run(`CREATE TEMP TABLE ${table} AS SELECT ${select} FROM ${sql}`);
    // Rows the reader could not read in that pass (after an unclosed quote) join the batch now.
    for (let more = await scan.rejects?.recover?.(); more; more = await scan.rejects?.recover?.()) {
      await engine.run(`INSERT INTO ${table} BY NAME SELECT ${select} FROM ${wrap(more)}`);
    }
  } catch (err) {
    if (options.signal?.aborted) throw new CancelledError(`Reading ${reader.description} was cancelled`, { cause: err });
    throw err instanceof CancelledError ? err : await scan.explain(err);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await scan.cleanup();
  }
  const rows = Number(await engine.scalar(`SELECT count(*) FROM ${table}`));
  const rejected = scan.rejects ? Number(await engine.scalar(`SELECT count(*) FROM (${scan.rejects.sql()})`)) : 0;
  return {
    sql: `(SELECT *, rowid AS ${RN} FROM ${table})`, columns: dataColumns, internal: internalColumns, rowNumber: RN, fileColumn: null, table,
    rejects: scan.rejects, files: scan.files, rows, rejected, explain: scan.explain,
    drop: async () => {
      await engine.run(`DROP TABLE IF EXISTS ${table}`);
      await scan.rejects?.drop();
    },
  };
}

/** A relation over a table expression the catalog already holds (a dataset version or snapshot), read into a table. */
export async function relationOf(engine: Engine, sql: string, options: Pick<OpenRelationOptions, 'project'> = {}): Promise<Relation> {
  const schema = await engine.describe(`SELECT * FROM ${sql}`);
  const projected = options.project?.(schema);
  const from = projected ? `(SELECT ${projected.select.join(', ')} FROM ${sql} AS s0)` : sql;
  const columns = projected ? projected.columns : schema;
  const dataColumns = columns.filter((c) => !c.name.startsWith(INTERNAL_PREFIX));
  const internalColumns = columns.filter((c) => c.name.startsWith(INTERNAL_PREFIX));
  const table = quoteIdent(`${INTERNAL_PREFIX}batch_${newId('b').slice(2)}`);
  await engine.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${from}`);
  const rows = Number(await engine.scalar(`SELECT count(*) FROM ${table}`));
  return {
    sql: `(SELECT *, rowid AS ${RN} FROM ${table})`, columns: dataColumns, internal: internalColumns, rowNumber: RN, fileColumn: null, table,
    rejects: null, files: [], rows, rejected: 0,
    explain: async (err) => (err instanceof SluiceError ? err : new DataError(err instanceof Error ? err.message : String(err), { cause: err })),
    drop: async () => { await engine.run(`DROP TABLE IF EXISTS ${table}`); },
  };
}
