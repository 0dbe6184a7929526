/**
 * The quarantine: rows set aside with the reason of everything they broke, in a dataset of their own
 * (by default `<dataset>_quarantine`), one version per ingested batch. Its columns are the dataset's
 * columns (NULL where a row could not even be parsed) plus:
 *
 *   _failed       STRUCT(expectation VARCHAR, reason VARCHAR)[]  every expectation (or "parse") broken
 *   _source_row   BIGINT   row number within the batch (rows that parsed)
 *   _source_file  VARCHAR  file of a row that did not parse
 *   _source_line  BIGINT   its line in that file
 *   _raw          VARCHAR  its raw text
 *
 * @example
 * SELECT f.expectation, count(*) FROM read_parquet('...') q, unnest(q._failed) AS t(f) GROUP BY 1
 */
import type { ColumnSchema } from '../engine/index.ts';
import { quoteIdent } from '../engine/index.ts';
import { rejectsSql } from './read-source.ts';

export const FAILED_TYPE = 'STRUCT(expectation VARCHAR, reason VARCHAR)[]';

/** The name of a dataset's quarantine. */
export function quarantineName(dataset: string): string {
  return `${dataset}_quarantine`;
}

/** Quarantine rows for CSV rows the parser rejected: data columns NULL, file, line, raw text and reason. */
export function rejectsAsQuarantineSql(rejects: { table: string; scan: string }, columns: readonly ColumnSchema[]): string {
  const reason = `CASE error_type
      WHEN 'CAST' THEN 'wrong type in column "' || coalesce(column_name, '?') || '": ' || regexp_replace(error_message, '^Error when converting column "[^"]*"\\. ', '')
      WHEN 'MISSING COLUMNS' THEN 'ragged row: ' || error_message
      WHEN 'TOO MANY COLUMNS' THEN 'ragged row: ' || error_message
      WHEN 'UNQUOTED VALUE' THEN 'broken quoting: a quoted value is never closed'
      WHEN 'INVALID ENCODING' THEN 'invalid UTF-8' || coalesce(' in column "' || column_name || '"', '')
      ELSE error_type || ': ' || error_message END`;
  const data = columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
  return `SELECT ${[...data,
    `[{'expectation': 'parse', 'reason': ${reason}}]::${FAILED_TYPE} AS _failed`,
    'CAST(NULL AS BIGINT) AS _source_row', 'file AS _source_file', 'CAST(line AS BIGINT) AS _source_line', 'csv_line AS _raw',
  ].join(', ')} FROM (${rejectsSql(rejects)})`;
}
