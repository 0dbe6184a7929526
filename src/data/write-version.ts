/**
 * Writes the rows of a small DuckDB table or query (a quarantine, the rows a CSV parser rejected) as a
 * staged dataset version: one COPY to Parquet and a full profile. Batches use writeRelation instead,
 * which profiles from the writer's statistics and a sample.
 */
import type { ColumnSchema, Engine } from '../engine/index.ts';
import { quoteIdent } from '../engine/index.ts';
import type { DatasetCatalog, Lineage, StagedDataset, StageOptions } from './catalog.ts';
import { profileDataset } from './profile.ts';
import { DataError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';

export interface WriteVersionOptions extends StageOptions {
  /** Columns to write, in order (default: every column of the table not starting with "__sluice_"). */
  columns: readonly ColumnSchema[];
  /** Only rows matching this SQL condition. */
  where?: string;
  lineage: Lineage;
  /** Extra SELECT items appended after the columns (e.g. quarantine reasons), as `expr AS name`. */
  extra?: readonly { name: string; sql: string; type?: string }[];
}

export async function writeVersion(engine: Engine, catalog: DatasetCatalog, name: string, table: string, options: WriteVersionOptions): Promise<StagedDataset> {
  const id = newId('dsv');
  const tmp = catalog.tempFile(id);
  const select = [
    ...options.columns.map((c) => quoteIdent(c.name)),
    ...(options.extra ?? []).map((e) => `${e.sql} AS ${quoteIdent(e.name)}`),
  ].join(', ');
  const where = options.where ? ` WHERE ${options.where}` : '';
  const sql = `SELECT ${select} FROM ${table}${where}`;
  try {
    await engine.copyToParquet(sql, tmp);
  } catch (err) {
    throw new DataError(`Could not write dataset "${name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err, context: { dataset: name } });
  }
  const schema = options.extra?.length ? await engine.describe(sql) : [...options.columns];
  // Profile the table itself (not the query) when possible: rowid then gives an even sample for free.
  const profile = options.extra?.length
    ? profileDataset(engine, `(${sql})`, { schema })
    : profileDataset(engine, table, { schema, isTable: /^"[^"]*"$/.test(table), ...(options.where ? { where: options.where } : {}) });
  const rowCount = profile.then((p) => (p[0]?.count ?? 0));
  return catalog.stageFile(name, tmp, {
    id, schema, rowCount, profile, lineage: options.lineage,
    ...(options.partition !== undefined ? { partition: options.partition } : {}),
    ...(options.meta ? { meta: options.meta } : {}),
    ...(options.retention ? { retention: options.retention } : {}),
  });
}
