/**
 * Sources: plain descriptions of where a batch of data comes from. They hold no connection and read
 * nothing; `openSource` (read-source.ts) turns one into a reader that streams it through DuckDB.
 *
 * @example
 * csv('landing/flights/month=*\/*.csv', { columns: { delay: 'BIGINT' }, hive: true, onBadRows: 'quarantine' })
 * parquet('node_modules/vega-datasets/data/flights-3m.parquet')
 * ndjson('events/*.ndjson', { columns: { ts: 'TIMESTAMP' } })
 * arrow('exports/flights-200k.arrow')
 * postgres({ url: process.env.SOURCE_URL!, query: 'SELECT * FROM flights' })
 */
import { DataError } from '../core/errors.ts';

/** Options every file source takes. */
export interface FileOptions {
  /**
   * Hive-style partition folders (`month=2001-01/`) become columns. `true` reads them as text; an object
   * gives their SQL types, e.g. `{ year: 'INTEGER' }`.
   */
  hive?: boolean | Record<string, string>;
  /** Add a column with each row's source file. */
  filenameColumn?: string;
  /** An empty file fails the read ('fail', the default) or is left out ('skip'). */
  emptyFiles?: 'fail' | 'skip';
}

export interface CsvOptions extends FileOptions {
  /** Field separator; default ','. */
  delimiter?: string;
  /** Default '"'. */
  quote?: string;
  /** Default: the quote character (a doubled quote is a literal quote). */
  escape?: string;
  /** The first line holds column names; default true. */
  header?: boolean;
  encoding?: 'utf-8' | 'utf-16' | 'latin-1';
  /** strftime formats, e.g. '%d/%m/%Y' and '%Y-%m-%d %H:%M:%S'. */
  dateFormat?: string;
  timestampFormat?: string;
  /** Strings read as NULL (default: the empty field). */
  nullValues?: string[];
  skipRows?: number;
  comment?: string;
  /**
   * Columns that must be present, with their SQL types (BIGINT, DOUBLE, DATE, TIMESTAMP, VARCHAR...),
   * e.g. `{ amount: 'DOUBLE' }`. Other columns keep the types DuckDB detects; a suite's `columnType`
   * expectations supply types for the columns the file has. A file without one of these columns is an
   * error; a value that does not convert is a bad row (see onBadRows).
   */
  columns?: Record<string, string>;
  /**
   * Rows that cannot be parsed (ragged rows, broken quoting, invalid UTF-8, a value of the wrong type):
   * 'fail' (default) stops with an error naming file, line and column; 'quarantine' sets them aside
   * (with file, line, raw text and reason) and reads the rest.
   */
  onBadRows?: 'fail' | 'quarantine';
}

export interface JsonOptions extends FileOptions {
  /**
   * Columns that must be present, with their SQL types (the others keep the types DuckDB detects), e.g.
   * `{ amount: 'DOUBLE', at: 'TIMESTAMP' }`. A suite's `columnType` expectations supply types too.
   */
  columns?: Record<string, string>;
  dateFormat?: string;
  timestampFormat?: string;
  /**
   * Records that cannot be read (malformed JSON, a value that is not an object, a value that does not
   * convert to its column's type): 'fail' (default) stops with an error naming file, line or record,
   * column and raw text; 'quarantine' sets them aside with those and their reason and reads the rest.
   * Every value of the file must be an object: an array or scalar among them is a bad record.
   */
  onBadRows?: 'fail' | 'quarantine';
}

export interface CsvSource { readonly kind: 'csv'; readonly paths: readonly string[]; readonly options: CsvOptions }
export interface ParquetSource { readonly kind: 'parquet'; readonly paths: readonly string[]; readonly options: FileOptions & { columns?: Record<string, string> } }
export interface JsonSource { readonly kind: 'json'; readonly paths: readonly string[]; readonly format: 'array' | 'newline_delimited' | 'auto'; readonly options: JsonOptions }
export interface ArrowSource { readonly kind: 'arrow'; readonly paths: readonly string[]; readonly options: FileOptions & { columns?: Record<string, string> } }
export interface PostgresSource {
  readonly kind: 'postgres';
  readonly url: string;
  /** The query, as code: values belong in `params` ($1, $2...), never spliced into it. */
  readonly query: string;
  readonly params: readonly unknown[];
  readonly batchSize: number;
  readonly columns?: Record<string, string>;
}

export type Source = CsvSource | ParquetSource | JsonSource | ArrowSource | PostgresSource;
export type FileSource = CsvSource | ParquetSource | JsonSource | ArrowSource;

/** CSV files (a path, a folder, a glob, or a list of them). */
export function csv(path: string | readonly string[], options: CsvOptions = {}): CsvSource {
  const o = { ...options };
  if (o.delimiter !== undefined && o.delimiter.length === 0) throw badOption('delimiter', 'must not be empty');
  if (o.quote !== undefined && o.quote.length > 1) throw badOption('quote', 'must be one character (or empty for none)');
  return { kind: 'csv', paths: paths(path), options: o };
}

/** Tab-separated files: CSV with a tab delimiter. */
export function tsv(path: string | readonly string[], options: Omit<CsvOptions, 'delimiter'> = {}): CsvSource {
  return csv(path, { ...options, delimiter: '\t' });
}

export function parquet(path: string | readonly string[], options: FileOptions & { columns?: Record<string, string> } = {}): ParquetSource {
  return { kind: 'parquet', paths: paths(path), options: { ...options } };
}

/** JSON files: one top-level array of objects per file (or `auto` to let DuckDB decide). */
export function json(path: string | readonly string[], options: JsonOptions & { format?: 'array' | 'auto' } = {}): JsonSource {
  const { format, ...rest } = options;
  return { kind: 'json', paths: paths(path), format: format ?? 'auto', options: rest };
}

/** Newline-delimited JSON: one object per line. */
export function ndjson(path: string | readonly string[], options: JsonOptions = {}): JsonSource {
  return { kind: 'json', paths: paths(path), format: 'newline_delimited', options: { ...options } };
}

/** Arrow IPC files (file or stream format, uncompressed). */
export function arrow(path: string | readonly string[], options: FileOptions & { columns?: Record<string, string> } = {}): ArrowSource {
  return { kind: 'arrow', paths: paths(path), options: { ...options } };
}

/** A query on a PostgreSQL database, read in batches through a cursor. */
export function postgres(options: { url: string; query: string; params?: readonly unknown[]; batchSize?: number; columns?: Record<string, string> }): PostgresSource {
  if (!options.url) throw badOption('url', 'is required');
  if (!options.query.trim()) throw badOption('query', 'is required');
  if (/;\s*\S/.test(stripSqlStrings(options.query))) throw badOption('query', 'must be a single statement (no ";" between statements)');
  return {
    kind: 'postgres', url: options.url, query: options.query.trim().replace(/;\s*$/, ''), params: [...(options.params ?? [])],
    batchSize: options.batchSize ?? 50_000, ...(options.columns ? { columns: options.columns } : {}),
  };
}

/** A short description for messages and lineage (never a password). */
export function describeSource(source: Source): string {
  if (source.kind === 'postgres') {
    try {
      const u = new URL(source.url);
      return `postgres://${u.host}${u.pathname}`;
    } catch {
      return 'postgres://(malformed URL)';
    }
  }
  const first = source.paths[0] ?? '';
  return `${source.kind}:${first}${source.paths.length > 1 ? ` (+${source.paths.length - 1})` : ''}`;
}

function paths(path: string | readonly string[]): string[] {
  const list = typeof path === 'string' ? [path] : [...path];
  if (list.length === 0 || list.some((p) => typeof p !== 'string' || p.length === 0)) throw badOption('path', 'must be a non-empty path or list of paths');
  return list;
}

function badOption(name: string, what: string): DataError {
  return new DataError(`Source option "${name}" ${what}`, { code: 'BAD_OPTION' });
}

function stripSqlStrings(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""').replace(/--[^\n]*/g, '');
}
