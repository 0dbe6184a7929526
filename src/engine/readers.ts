/**
 * SQL table expressions for DuckDB's file readers (CSV/TSV, JSON/NDJSON, Parquet), built from typed
 * options. Every path, column name and option value is quoted here, so nothing a user wrote reaches
 * SQL unquoted; type names are checked against a strict pattern because DuckDB has no way to quote them.
 *
 * Paths are exact file paths (the data layer expands globs itself): DuckDB would glob them again, so a
 * file named `x[1].csv` would read `x1.csv` and `y*.csv` every `y...` file. `exactPath` escapes the
 * glob characters (`[*]`, `[?]`, `[[]`) so that DuckDB reads exactly the named file.
 *
 * @example
 * const sql = csvScanSql(['/data/a.csv'], { delimiter: ';', types: { delay: 'BIGINT' } });
 * await engine.rows(`SELECT count(*) FROM ${sql}`);
 */
import { DataError } from '../core/errors.ts';
import { quoteLiteral } from './sql.ts';

/** Options shared by the file readers. */
export interface FileScanOptions {
  /** Match columns across files by name (missing ones become NULL); default true for several files. */
  unionByName?: boolean;
  /** Add a `filename` column (under this name) with each row's source file. */
  filenameColumn?: string;
  /** Parse `key=value` folders into columns; their types are VARCHAR unless `hiveTypes` says otherwise. */
  hivePartitioning?: boolean;
  hiveTypes?: Record<string, string>;
}

export interface CsvScanOptions extends FileScanOptions {
  delimiter?: string;
  quote?: string;
  escape?: string;
  header?: boolean;
  /** 'utf-8' (default), 'utf-16' or 'latin-1'. */
  encoding?: string;
  /** strftime formats, e.g. '%d/%m/%Y' and '%d/%m/%Y %H:%M'. */
  dateFormat?: string;
  timestampFormat?: string;
  nullValues?: readonly string[];
  skipRows?: number;
  comment?: string;
  newline?: string;
  decimalSeparator?: string;
  /** Every column in file order, with its type; turns the sniffer off. */
  columns?: readonly { name: string; type: string }[];
  /** Types of some columns by name; the others are detected. */
  types?: Record<string, string>;
  autoDetect?: boolean;
  sampleSize?: number;
  /** false accepts rows that break the CSV standard (DuckDB's strict_mode). */
  strict?: boolean;
  /** Skip rows that do not parse (used when sniffing types, so that bad rows do not decide them). */
  ignoreErrors?: boolean;
  /** Rejected rows go to these temp tables instead of failing the read. */
  rejects?: { table: string; scan: string; limit?: number };
}

export interface JsonScanOptions extends FileScanOptions {
  /** 'newline_delimited' (NDJSON), 'array' (one top-level array) or 'auto'. */
  format?: 'auto' | 'newline_delimited' | 'array';
  /** true: every value must be an object (a record); false: each value is one `json` column; default 'auto'. */
  records?: boolean;
  columns?: readonly { name: string; type: string }[];
  dateFormat?: string;
  timestampFormat?: string;
  maximumObjectSize?: number;
  sampleSize?: number;
}

export type ParquetScanOptions = FileScanOptions;

const TYPE = /^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/;

/**
 * Checks a SQL type name written by a user (BIGINT, DECIMAL(10,2), TIMESTAMP WITH TIME ZONE, VARCHAR[]).
 * Types cannot be quoted in SQL, so anything else is refused.
 */
export function checkSqlType(type: string, where: string): string {
  const t = type.trim();
  if (!TYPE.test(t)) {
    throw new DataError(`${where}: ${JSON.stringify(type)} is not a SQL type name`, {
      code: 'BAD_TYPE', hint: 'Use a DuckDB type such as BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP or DECIMAL(18,3).',
    });
  }
  return t;
}

export function csvScanSql(paths: readonly string[], o: CsvScanOptions = {}): string {
  const args: string[] = [pathList(paths)];
  if (o.delimiter !== undefined) args.push(`delim = ${quoteLiteral(o.delimiter)}`);
  if (o.quote !== undefined) args.push(`quote = ${quoteLiteral(o.quote)}`);
  if (o.escape !== undefined) args.push(`escape = ${quoteLiteral(o.escape)}`);
  if (o.header !== undefined) args.push(`header = ${o.header}`);
  if (o.encoding !== undefined) args.push(`encoding = ${quoteLiteral(o.encoding)}`);
  if (o.dateFormat !== undefined) args.push(`dateformat = ${quoteLiteral(o.dateFormat)}`);
  if (o.timestampFormat !== undefined) args.push(`timestampformat = ${quoteLiteral(o.timestampFormat)}`);
  if (o.nullValues !== undefined) args.push(`nullstr = [${o.nullValues.map(quoteLiteral).join(', ')}]`);
  if (o.skipRows !== undefined) args.push(`skip = ${nonNegative(o.skipRows, 'skipRows')}`);
  if (o.comment !== undefined) args.push(`comment = ${quoteLiteral(o.comment)}`);
  if (o.newline !== undefined) args.push(`new_line = ${quoteLiteral(o.newline)}`);
  if (o.decimalSeparator !== undefined) args.push(`decimal_separator = ${quoteLiteral(o.decimalSeparator)}`);
  if (o.columns !== undefined) args.push(`columns = ${structOfTypes(o.columns, 'CSV column')}`);
  if (o.types !== undefined && Object.keys(o.types).length > 0) args.push(`types = ${structOfTypes(entries(o.types), 'CSV column')}`);
  if (o.autoDetect !== undefined) args.push(`auto_detect = ${o.autoDetect}`);
  if (o.sampleSize !== undefined) args.push(`sample_size = ${Math.trunc(o.sampleSize)}`);
  if (o.strict !== undefined) args.push(`strict_mode = ${o.strict}`);
  if (o.ignoreErrors !== undefined) args.push(`ignore_errors = ${o.ignoreErrors}`);
  if (o.rejects !== undefined) {
    args.push('store_rejects = true', `rejects_table = ${quoteLiteral(o.rejects.table)}`, `rejects_scan = ${quoteLiteral(o.rejects.scan)}`);
    if (o.rejects.limit !== undefined) args.push(`rejects_limit = ${nonNegative(o.rejects.limit, 'rejects limit')}`);
  }
  args.push(...fileArgs(paths, o));
  return `read_csv(${args.join(', ')})`;
}

/** `sniff_csv(path, ...)`: the dialect, columns and formats DuckDB detects for one file. */
export function sniffCsvSql(path: string, o: CsvScanOptions = {}): string {
  // sniff_csv takes one path (not a list) and no file options.
  const { unionByName: _u, filenameColumn: _f, hivePartitioning: _h, hiveTypes: _t, ...rest } = o;
  const full = csvScanSql([path], { ...rest, unionByName: false });
  const list = pathList([path]);
  return `sniff_csv(${quoteLiteral(exactPath(path))}${full.slice('read_csv('.length + list.length, -1)})`;
}

export function jsonScanSql(paths: readonly string[], o: JsonScanOptions = {}): string {
  const args: string[] = [pathList(paths)];
  if (o.format !== undefined) args.push(`format = ${quoteLiteral(o.format)}`);
  if (o.records !== undefined) args.push(`records = ${o.records}`);
  if (o.columns !== undefined) args.push(`columns = ${structOfTypes(o.columns, 'JSON column')}`);
  if (o.dateFormat !== undefined) args.push(`dateformat = ${quoteLiteral(o.dateFormat)}`);
  if (o.timestampFormat !== undefined) args.push(`timestampformat = ${quoteLiteral(o.timestampFormat)}`);
  if (o.maximumObjectSize !== undefined) args.push(`maximum_object_size = ${nonNegative(o.maximumObjectSize, 'maximumObjectSize')}`);
  if (o.sampleSize !== undefined) args.push(`sample_size = ${Math.trunc(o.sampleSize)}`);
  args.push(...fileArgs(paths, o));
  return `read_json(${args.join(', ')})`;
}

export function parquetScanSql(paths: readonly string[], o: ParquetScanOptions = {}): string {
  return `read_parquet(${[pathList(paths), ...fileArgs(paths, o)].join(', ')})`;
}

function fileArgs(paths: readonly string[], o: FileScanOptions): string[] {
  const args: string[] = [];
  const unionByName = o.unionByName ?? paths.length > 1;
  if (unionByName) args.push('union_by_name = true');
  if (o.filenameColumn !== undefined) args.push(`filename = ${quoteLiteral(o.filenameColumn)}`);
  if (o.hivePartitioning !== undefined) {
    args.push(`hive_partitioning = ${o.hivePartitioning}`);
    if (o.hivePartitioning) {
      // Partition values stay text unless typed explicitly: "month=2001-01" must not become a DATE by guess.
      args.push('hive_types_autocast = false');
      if (o.hiveTypes && Object.keys(o.hiveTypes).length > 0) args.push(`hive_types = ${structOfTypes(entries(o.hiveTypes), 'partition key')}`);
    }
  }
  return args;
}

function pathList(paths: readonly string[]): string {
  if (paths.length === 0) throw new DataError('No files to read', { code: 'NO_FILES', hint: 'Check the path or glob pattern of the source.' });
  return `[${paths.map((p) => quoteLiteral(exactPath(p))).join(', ')}]`;
}

/**
 * A file path DuckDB will not glob: each glob character becomes a one-character class (`x[1].csv` ->
 * `x[[]1].csv`), which DuckDB matches literally and resolves without listing the folder.
 */
export function exactPath(path: string): string {
  return path.replace(/[*?[]/g, (c) => `[${c}]`);
}

function structOfTypes(cols: readonly { name: string; type: string }[], what: string): string {
  return `{${cols.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(checkSqlType(c.type, `${what} "${c.name}"`))}`).join(', ')}}`;
}

function entries(r: Record<string, string>): { name: string; type: string }[] {
  return Object.entries(r).map(([name, type]) => ({ name, type }));
}

function nonNegative(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new DataError(`${what} must be a non-negative integer, got ${n}`, { code: 'BAD_OPTION' });
  return n;
}
