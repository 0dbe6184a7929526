/**
 * The quarantine: rows set aside with the reason of everything they broke, in a dataset of their own
 * (by default `<dataset>_quarantine`), one version per ingested batch. Its columns are the dataset's
 * columns (NULL where a row could not even be parsed) plus:
 *
 *   _failed       STRUCT(expectation VARCHAR, reason VARCHAR)[]  every expectation (or "parse") broken
 *   _source_row   BIGINT   row number within the batch (rows that parsed), or the record number
 *                          within its file of a JSON record that did not
 *   _source_file  VARCHAR  file of a row that did not parse
 *   _source_line  BIGINT   its line in that file (CSV, NDJSON)
 *   _raw          VARCHAR  its raw text
 *
 * @example
 * SELECT f.expectation, count(*) FROM read_parquet('...') q, unnest(q._failed) AS t(f) GROUP BY 1
 */
import type { ColumnSchema } from '../engine/index.ts';
import { quoteIdent } from '../engine/index.ts';
import type { ScanRejects } from './rejects.ts';

export const FAILED_TYPE = 'STRUCT(expectation VARCHAR, reason VARCHAR)[]';

/** The name of a dataset's quarantine. */
export function quarantineName(dataset: string): string {
  return `${dataset}_quarantine`;
}

/** Quarantine rows for rows a reader set aside: data columns NULL, file, line, raw text and reasons. */
export function rejectsAsQuarantineSql(rejects: ScanRejects, columns: readonly ColumnSchema[]): string {
  const data = columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
  return `SELECT ${[...data,
    `list_transform(reasons, r -> {'expectation': 'parse', 'reason': r})::${FAILED_TYPE} AS _failed`,
    'record AS _source_row', 'file AS _source_file', 'line AS _source_line', 'raw AS _raw',
  ].join(', ')} FROM (${rejects.sql()})`;
}
