/**
 * Turning a Source into SQL DuckDB can scan. File sources become read_csv / read_parquet / read_json
 * over an explicit file list (so DuckDB streams them, in parallel); Arrow files and PostgreSQL queries,
 * which DuckDB cannot read here, are appended into a temp table batch by batch first.
 *
 * CSV gets the most care: the header is read by us (empty and binary files, missing columns), the
 * types come from DuckDB's sniffer on the first file of each header layout, and the real read runs
 * with the sniffer off and strict parsing, so that a bad row fails with its file, line and column, or
 * is rejected into the quarantine when the source says onBadRows: 'quarantine'.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, DataError, SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine } from '../engine/index.ts';
import {
  checkSqlType, csvScanSql, openArrowFile, parquetScanSql, quoteIdent, quoteLiteral, sniffCsvSql,
  type AppendSchema, type CsvScanOptions, type FileScanOptions,
} from '../engine/index.ts';
import { openPostgresQuery, type PostgresBatch } from '../store/postgres-source.ts';
import { brokenField, readCsvHead } from './csv-head.ts';
import { filesFingerprint, listFiles, type SourceFile } from './files.ts';
import { csvRejectError, readerError, type RejectRow } from './source-errors.ts';
import type { ScanRejects } from './rejects.ts';
import { jsonScan } from './json-scan.ts';
import { describeSource, type CsvSource, type FileOptions, type PostgresSource, type Source } from './sources.ts';

/** Which rows of the source a batch takes. Values are text, compared after a cast to the column's type. */
export type BatchFilter =
  | { kind: 'all' }
  | { kind: 'partition'; key: PartitionKey; values: readonly string[] }
  /** The rows whose partition key is NULL (they belong to no partition). */
  | { kind: 'partition-null'; key: PartitionKey }
  | { kind: 'watermark'; column: string; after: string | null; upTo: string };

/** A partition key: a column (or hive folder key) name, or a SQL expression evaluated by the source. */
export interface PartitionKey {
  name: string;
  sql?: string;
}

export interface SourceScan {
  /** A SQL table expression over the selected rows. */
  sql: string;
  schema: ColumnSchema[];
  files: SourceFile[];
  /** Rows the reader set aside (onBadRows: 'quarantine'); complete once `sql` has been read. */
  rejects: ScanRejects | null;
  /** A precise error for a failure while executing `sql` (file, line, column). */
  explain(err: unknown): Promise<SluiceError>;
  /** Row number and file columns added for `rowNumbers` (null when the reader cannot stream them). */
  rowNumber: string | null;
  fileColumn: string | null;
  /** The scan reads a temp table (Arrow, PostgreSQL): cheap to read again. */
  isTable: boolean;
  cleanup(): Promise<void>;
}

export interface ScanOptions {
  files?: readonly SourceFile[];
  /**
   * Add `__sluice_rn` (row number within its file) and, for several files, `__sluice_file`, where the
   * reader can do so while streaming (Parquet). `SourceScan.rowNumber` says whether it did.
   */
  rowNumbers?: boolean;
  filter?: BatchFilter;
  signal?: AbortSignal;
  onProgress?: (rows: number) => void;
}

export interface SourceReader {
  readonly source: Source;
  readonly description: string;
  /** The files the source names now (empty for a database). Listed once per reader. */
  files(): Promise<SourceFile[]>;
  /** A digest that changes whenever the source's data may have (files: paths, sizes, times); null for a database. */
  fingerprint(): Promise<string | null>;
  scan(engine: Engine, options?: ScanOptions): Promise<SourceScan>;
  /** Column names and (DuckDB) types, without reading the data. */
  schema(engine: Engine): Promise<ColumnSchema[]>;
  /**
   * Small queries over the source (discovery), run where the data lives: `select` gets a DuckDB table
   * expression; a database source runs `pgSelect` instead, which binds values through `param`.
   */
  query(engine: Engine, select: (table: string) => string, pgSelect?: (from: string, param: (value: unknown) => string) => string): Promise<Record<string, unknown>[]>;
  /** Rows the discovery queries (`query`) found unreadable and set aside (onBadRows: 'quarantine'); 0 before any query. */
  rejected(): Promise<number>;
  close(): Promise<void>;
}

/** Internal columns added while reading; never part of a dataset. */
export const INTERNAL_PREFIX = '__sluice_';
const RN_COL = '__sluice_rn';
const FILE_COL = '__sluice_file';

export interface OpenSourceOptions {
  /** Relative paths and globs resolve against this folder; default the process's. */
  cwd?: string;
  /**
   * Column types for text formats (CSV, JSON), applied to the columns the data has (e.g. a suite's
   * `columnType` expectations); the source's own `columns` win. Typed formats keep their types.
   */
  types?: Record<string, string>;
}

export function openSource(source: Source, options: OpenSourceOptions = {}): SourceReader {
  if (source.kind === 'postgres') return new PostgresReader(source);
  return new FileReader(source, options.cwd, options.types ?? {});
}

class FileReader implements SourceReader {
  readonly description: string;
  #files: Promise<SourceFile[]> | undefined;
  #schema: Promise<ColumnSchema[]> | undefined;
  /** The unfiltered scan discovery queries run over (Arrow files are loaded once), and its engine. */
  #scan: Promise<SourceScan> | undefined;
  #engine: Engine | undefined;

  constructor(readonly source: Exclude<Source, PostgresSource>, readonly cwd: string | undefined, readonly types: Record<string, string>) {
    this.description = describeSource(source);
  }

  files(): Promise<SourceFile[]> {
    this.#files ??= listFiles(this.source.paths, this.cwd === undefined ? {} : { cwd: this.cwd });
    return this.#files;
  }

  async fingerprint(): Promise<string> {
    return filesFingerprint(await this.files());
  }

  async scan(engine: Engine, options: ScanOptions = {}): Promise<SourceScan> {
    let files = [...(options.files ?? (await this.files()))];
    const o: FileOptions = this.source.options;
    if (o.emptyFiles === 'skip') files = files.filter((f) => f.size > 0);
    if (files.length === 0) throw new DataError(`${this.description}: no files to read`, { code: 'NO_FILES', hint: 'Every file matched is empty or the partition has no files.' });
    const hive = hiveOptions(o);
    let base: { sql: string; rejects: SourceScan['rejects']; explain: (err: unknown) => Promise<SluiceError>; cleanup?: () => Promise<void> };
    switch (this.source.kind) {
      case 'csv': base = await csvScan(engine, this.source, files, hive, this.types); break;
      case 'json': base = await jsonScan(engine, this.source, files, hive, this.types); break;
      case 'parquet': {
        const paths = files.map((f) => f.path);
        let sql = parquetScanSql(paths, hive);
        if (options.rowNumbers) {
          // Row numbers come free from the Parquet reader: the quarantine names rows, samples are even.
          sql = `(SELECT * EXCLUDE (file_row_number${paths.length > 1 ? `, ${quoteIdent(FILE_COL)}` : ''}), file_row_number AS ${quoteIdent(RN_COL)}${paths.length > 1 ? `, ${quoteIdent(FILE_COL)}` : ''}
                  FROM ${parquetScanSql(paths, { ...hive, ...(paths.length > 1 ? { filenameColumn: FILE_COL } : {}) }).replace(/\)$/, ', file_row_number = true)')})`;
        }
        base = { sql, rejects: null, explain: async (err) => readerError(err, paths, 'Parquet') };
        break;
      }
      case 'arrow': base = await this.#arrowScan(engine, files, options); break;
    }
    let sql = `(SELECT * FROM ${base.sql})`;
    const declared = (this.source.options as { columns?: Record<string, string> }).columns;
    let schema: ColumnSchema[];
    try {
      schema = await engine.describe(`SELECT * FROM ${sql}`);
    } catch (err) {
      throw await base.explain(err);
    }
    if (declared && (this.source.kind === 'parquet' || this.source.kind === 'arrow')) {
      // CSV and JSON types are applied by their readers; for the others, cast declared columns (and insist they exist).
      sql = castDeclared(sql, schema, declared, this.description);
      schema = await engine.describe(`SELECT * FROM ${sql}`);
    }
    sql = applyFilter(sql, schema, options.filter);
    const streamed = options.rowNumbers === true && this.source.kind === 'parquet';
    const rejects = base.rejects;
    // Rows recovered after the first pass take the same filter as the others.
    const recover = rejects?.recover?.bind(rejects);
    const scanRejects: ScanRejects | null = rejects && recover ? {
      sql: () => rejects.sql(), drop: () => rejects.drop(),
      recover: async () => { const more = await recover(); return more === null ? null : applyFilter(`(SELECT * FROM ${more})`, schema, options.filter); },
    } : rejects;
    return {
      sql, schema: schema.filter((c) => !c.name.startsWith(INTERNAL_PREFIX)), files, rejects: scanRejects, explain: base.explain, cleanup: base.cleanup ?? (async () => {}),
      rowNumber: streamed ? quoteIdent(RN_COL) : null, fileColumn: streamed && files.length > 1 ? quoteIdent(FILE_COL) : null, isTable: false,
    };
  }

  async schema(engine: Engine): Promise<ColumnSchema[]> {
    this.#schema ??= this.scan(engine).then((s) => s.schema);
    return this.#schema;
  }

  async query(engine: Engine, select: (table: string) => string): Promise<Record<string, unknown>[]> {
    this.#engine = engine;
    this.#scan ??= this.scan(engine);
    const s = await this.#scan;
    try {
      return await engine.rows(select(s.sql));
    } catch (err) {
      throw await s.explain(err);
    }
  }

  async rejected(): Promise<number> {
    const s = this.#scan ? await this.#scan.catch(() => null) : null;
    if (!s?.rejects || !this.#engine) return 0;
    return Number(await this.#engine.scalar(`SELECT count(*) FROM (${s.rejects.sql()})`));
  }

  async #arrowScan(engine: Engine, files: SourceFile[], options: ScanOptions): Promise<{ sql: string; rejects: null; explain: (err: unknown) => Promise<SluiceError> }> {
    const parts: string[] = [];
    for (const f of files) {
      const file = await openArrowFile(f.path);
      // A temp table of the step's connection: it goes with the connection.
      const table = `${INTERNAL_PREFIX}arrow_${newId('t').slice(2)}`;
      await engine.appendBatches(table, file.columns as AppendSchema[], file.batches(), (rows) => {
        if (options.signal?.aborted) throw new CancelledError(`Reading ${f.path} was cancelled`);
        options.onProgress?.(rows);
      });
      const cols = file.columns.map((c) => (c.castTo ? `CAST(${quoteIdent(c.name)} AS ${c.castTo}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
      const extra = [
        ...Object.entries(f.partition).filter(() => this.source.options.hive).map(([k, v]) => `${quoteLiteral(v)} AS ${quoteIdent(k)}`),
        ...(this.source.options.filenameColumn ? [`${quoteLiteral(f.path)} AS ${quoteIdent(this.source.options.filenameColumn)}`] : []),
      ];
      parts.push(`SELECT ${[...cols, ...extra].join(', ')} FROM ${quoteIdent(table)}`);
    }
    return { sql: `(${parts.join(' UNION ALL BY NAME ')})`, rejects: null, explain: async (err) => readerError(err, files.map((f) => f.path), 'Arrow') };
  }

  async close(): Promise<void> {
    // Nothing is held open: temp tables live on the step's connection and vanish with it.
  }
}

function hiveOptions(o: FileOptions): FileScanOptions {
  const out: FileScanOptions = {};
  if (o.hive) {
    out.hivePartitioning = true;
    if (typeof o.hive === 'object') out.hiveTypes = o.hive;
  } else {
    out.hivePartitioning = false;
  }
  if (o.filenameColumn) out.filenameColumn = o.filenameColumn;
  return out;
}

async function csvScan(engine: Engine, source: CsvSource, files: SourceFile[], hive: FileScanOptions, soft: Record<string, string>): Promise<{ sql: string; rejects: SourceScan['rejects']; explain: (err: unknown) => Promise<SluiceError> }> {
  const o = source.options;
  const dialect = { delimiter: o.delimiter ?? ',', quote: o.quote ?? '"', header: o.header ?? true, encoding: o.encoding ?? 'utf-8', ...(o.skipRows !== undefined ? { skipRows: o.skipRows } : {}) };
  const declared = Object.entries(o.columns ?? {}).map(([name, type]) => ({ name, type: checkSqlType(type, `column "${name}" of ${source.paths[0]}`) }));
  // Group files by header so that each group can be read with the sniffer off (columns are positional).
  const groups = new Map<string, { names: string[]; files: SourceFile[] }>();
  for (const f of files) {
    const head = await readCsvHead(f.path, dialect);
    checkDuplicateNames(head.names, f.path);
    for (const d of declared) {
      if (dialect.header && !head.names.includes(d.name)) {
        throw new DataError(`File ${f.path} has no column "${d.name}" (its header has: ${head.names.map((n) => JSON.stringify(n)).join(', ')})`, {
          code: 'MISSING_COLUMN', context: { file: f.path, column: d.name, line: 1 },
          hint: 'Fix the export, correct the column name in the source options, or leave the column out of `columns`.',
        });
      }
    }
    const key = head.names.join('\u0000');
    const g = groups.get(key) ?? { names: head.names, files: [] };
    g.files.push(f);
    groups.set(key, g);
  }
  const common: CsvScanOptions = {
    delimiter: dialect.delimiter, quote: dialect.quote, escape: o.escape ?? dialect.quote, header: dialect.header, encoding: dialect.encoding,
    ...(o.nullValues ? { nullValues: o.nullValues } : {}), ...(o.skipRows !== undefined ? { skipRows: o.skipRows } : {}),
    ...(o.comment !== undefined ? { comment: o.comment } : {}),
    ...(o.dateFormat ? { dateFormat: o.dateFormat } : {}), ...(o.timestampFormat ? { timestampFormat: o.timestampFormat } : {}),
  };
  const rejects = o.onBadRows === 'quarantine' ? rejectTables() : null;
  const reads: string[] = [];
  const plans: { files: string[]; columns: { name: string; type: string }[]; opts: CsvScanOptions }[] = [];
  for (const g of groups.values()) {
    const first = g.files[0]!.path;
    // Declared types, and the suite's for the columns this header has (checked like declared ones).
    const softTypes = Object.entries(soft).filter(([n]) => g.names.includes(n) && !declared.some((d) => d.name === n))
      .map(([n, t]) => [n, checkSqlType(t, `column "${n}" of the suite`)] as const);
    const types = Object.fromEntries([...softTypes, ...declared.map((d) => [d.name, d.type] as const)]);
    let columns: { name: string; type: string }[];
    let dateFormat = o.dateFormat;
    let timestampFormat = o.timestampFormat;
    try {
      // Types come from the rows that parse; the strict read below reports (or sets aside) the others.
      const sniff = await engine.rows(`SELECT Columns, DateFormat, TimestampFormat FROM ${sniffCsvSql(first, { ...common, types, ignoreErrors: true })}`);
      const row = sniff[0] ?? {};
      columns = ((row['Columns'] ?? []) as { name: string; type: string }[]).map((c) => ({ name: String(c.name), type: String(c.type) }));
      dateFormat ??= (row['DateFormat'] as string | null) ?? undefined;
      timestampFormat ??= (row['TimestampFormat'] as string | null) ?? undefined;
    } catch {
      columns = [];
    }
    const names = dialect.header ? g.names : columns.map((c) => c.name);
    if (columns.length !== names.length || columns.some((c, i) => c.name !== names[i])) {
      // The sniffer saw something else than the header (ragged or garbled rows): read everything as text
      // with the declared types, so that the strict read below fails on the exact line.
      columns = names.map((name) => ({ name, type: types[name] ?? 'VARCHAR' }));
    }
    columns = columns.map((c) => ({ name: c.name, type: types[c.name] ?? c.type }));
    const opts: CsvScanOptions = {
      ...common, ...hive, autoDetect: false, columns, strict: true, unionByName: false,
      ...(dateFormat ? { dateFormat } : {}), ...(timestampFormat ? { timestampFormat } : {}),
      ...(rejects ? { rejects } : {}),
    };
    const paths = g.files.map((f) => f.path);
    plans.push({ files: paths, columns, opts });
    reads.push(`SELECT * FROM ${csvScanSql(paths, opts)}`);
  }
  const sql = reads.length === 1 ? `(${reads[0]!})` : `(${reads.join(' UNION ALL BY NAME ')})`;
  const explain = async (err: unknown): Promise<SluiceError> => {
    if (err instanceof CancelledError) return err;
    // Re-read with rejects stored to learn the first bad row's line and column.
    for (const p of plans) {
      const table = `${INTERNAL_PREFIX}diag_${newId('d').slice(2)}`;
      const scan = `${table}_scan`;
      try {
        // Every column must be converted (a count(*) would skip them), hence the throw-away table.
        await engine.run(`CREATE TEMP TABLE ${quoteIdent(`${table}_rows`)} AS SELECT * FROM ${csvScanSql(p.files, { ...p.opts, rejects: { table, scan, limit: 1 } })}`);
        const rows = await engine.rows(`SELECT s.file_path, e.line, e.column_name, e.error_type, e.error_message, e.csv_line FROM ${quoteIdent(table)} e JOIN ${quoteIdent(scan)} s USING (scan_id, file_id) ORDER BY s.file_path, e.line LIMIT 1`);
        const r = rows[0];
        if (r) return csvRejectError(rejectRow(r, p.columns, dialect), err);
      } catch {
        // The diagnosis itself failed: fall back to DuckDB's own message.
      } finally {
        await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}; DROP TABLE IF EXISTS ${quoteIdent(scan)}; DROP TABLE IF EXISTS ${quoteIdent(`${table}_rows`)}`).catch(() => {});
      }
    }
    return readerError(err, files.map((f) => f.path), 'CSV');
  };
  return { sql, rejects: rejects ? new CsvRejects(engine, rejects, plans, files, hive, dialect) : null, explain };
}

function rejectTables(): { table: string; scan: string } {
  const id = newId('r').slice(2);
  return { table: `${INTERNAL_PREFIX}rej_${id}`, scan: `${INTERNAL_PREFIX}rejscan_${id}` };
}

/** A header naming one column twice cannot be read by name: say which, where, and what to do. */
function checkDuplicateNames(names: readonly string[], path: string): void {
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    // DuckDB's names are case-insensitive: "Amount" and "amount" are the same column.
    const key = n.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DataError(`File ${path} names the column "${n}" twice in its header (fields ${first + 1} and ${i + 1})`, {
        code: 'DUPLICATE_COLUMN', context: { file: path, line: 1, column: n },
        hint: 'Rename one of the two in the file, or read it with header: false and skipRows: 1 (the columns are then named column0, column1, ...).',
      });
    }
    seen.set(key, i);
  });
}

/**
 * The rows a CSV read set aside (DuckDB's rejects tables), one row per bad line: DuckDB records one
 * reject per broken field (a row three fields short is three rejects), so they are grouped by line.
 *
 * A quote that is never closed makes the parser swallow the rest of the file into one broken value;
 * `recover` reads the lines after the broken one again, row by row (from a scratch copy of them, with
 * line numbers mapped back), until no swallowed lines are left.
 */
class CsvRejects implements ScanRejects {
  readonly #parts: { table: string; scan: string; file: string | null; lineOffset: number; examined: boolean }[];
  #scratch: string | undefined;
  #n = 0;

  constructor(
    readonly engine: Engine, first: { table: string; scan: string },
    readonly plans: readonly { files: string[]; columns: { name: string; type: string }[]; opts: CsvScanOptions }[],
    readonly files: readonly SourceFile[], readonly hive: FileScanOptions, readonly dialect: { delimiter: string; quote: string },
  ) {
    this.#parts = [{ ...first, file: null, lineOffset: 0, examined: false }];
  }

  sql(): string {
    // A row k fields short is k MISSING COLUMNS rejects ("Found: 1", "Found: 2"...): the first says it all.
    return this.#parts.map((p) => `SELECT ${p.file === null ? 'file_path' : quoteLiteral(p.file)} AS file, CAST(line + ${p.lineOffset} AS BIGINT) AS line,
        CAST(NULL AS BIGINT) AS record, any_value(raw) AS raw, list(DISTINCT reason ORDER BY reason) AS reasons
      FROM (SELECT s.file_path, e.line, e.line_byte_position, e.error_type, ${rawLineSql('e')} AS raw, ${csvReasonSql('e')} AS reason,
              row_number() OVER (PARTITION BY e.scan_id, e.file_id, e.line_byte_position, e.error_type ORDER BY e.column_idx) AS k
            FROM ${quoteIdent(p.table)} e JOIN ${quoteIdent(p.scan)} s USING (scan_id, file_id))
      WHERE error_type <> 'MISSING COLUMNS' OR k = 1
      GROUP BY file_path, line, line_byte_position`).join(' UNION ALL ');
  }

  async recover(): Promise<string | null> {
    const reads: string[] = [];
    for (const part of this.#parts.filter((p) => !p.examined)) {
      part.examined = true;
      const swallowed = await this.engine.rows(`SELECT s.file_path AS file, e.line, e.csv_line AS raw FROM ${quoteIdent(part.table)} e JOIN ${quoteIdent(part.scan)} s USING (scan_id, file_id)
        WHERE e.error_type = 'UNQUOTED VALUE' ORDER BY e.line`);
      for (const r of swallowed) {
        const text = String(r['raw'] ?? '').replace(/^[\r\n]+/, '');
        const nl = text.indexOf('\n');
        const rest = nl < 0 ? '' : text.slice(nl + 1);
        if (rest.trim() === '') continue;
        const file = part.file ?? String(r['file']);
        const plan = this.plans.find((p) => p.files.includes(file));
        if (!plan) continue;
        this.#scratch ??= await mkdtemp(join(tmpdir(), 'sluice-csv-'));
        const copy = join(this.#scratch, `rest-${++this.#n}.csv`);
        await writeFile(copy, rest);
        const tables = rejectTables();
        this.#parts.push({ ...tables, file, lineOffset: part.lineOffset + Number(r['line']), examined: false });
        // The scratch copy has no header and no hive folders: the file's own values are added back.
        const { filenameColumn, hivePartitioning: _h, hiveTypes, ...opts } = plan.opts;
        const extra = [
          ...(this.hive.hivePartitioning ? Object.entries(this.files.find((f) => f.path === file)?.partition ?? {})
            .map(([k, v]) => `CAST(${quoteLiteral(v)} AS ${hiveTypes?.[k] ?? 'VARCHAR'}) AS ${quoteIdent(k)}`) : []),
          ...(filenameColumn ? [`${quoteLiteral(file)} AS ${quoteIdent(filenameColumn)}`] : []),
        ];
        const { skipRows: _s, ...rest0 } = opts;
        reads.push(`SELECT *${extra.map((x) => `, ${x}`).join('')} FROM ${csvScanSql([copy], { ...rest0, header: false, hivePartitioning: false, rejects: tables })}`);
      }
    }
    return reads.length === 0 ? null : `(${reads.join(' UNION ALL BY NAME ')})`;
  }

  async drop(): Promise<void> {
    for (const p of this.#parts) await this.engine.run(`DROP TABLE IF EXISTS ${quoteIdent(p.table)}; DROP TABLE IF EXISTS ${quoteIdent(p.scan)}`);
    if (this.#scratch) await rm(this.#scratch, { recursive: true, force: true });
  }
}

/** A reject's raw line: without line-ending characters (CRLF files), and only the first line of a value whose quote never closes. */
function rawLineSql(e: string): string {
  const trimmed = `regexp_replace(${e}.csv_line, '^[\r\n]+|[\r\n]+$', '', 'g')`;
  return `CASE WHEN ${e}.error_type = 'UNQUOTED VALUE' THEN regexp_extract(${trimmed}, '^[^\r\n]*') ELSE ${trimmed} END`;
}

/** The quarantine reason of one DuckDB CSV reject. */
function csvReasonSql(e: string): string {
  const ragged = `regexp_replace(${e}.error_message, '^Expected Number of Columns: (\\d+) Found: (\\d+).*$', 'expected \\1 fields, found \\2', 's')`;
  return `CASE ${e}.error_type
      WHEN 'CAST' THEN 'wrong type in column "' || coalesce(${e}.column_name, '?') || '": ' || regexp_replace(${e}.error_message, '^Error when converting column "[^"]*"\\. ', '')
      WHEN 'MISSING COLUMNS' THEN 'ragged row: ' || ${ragged}
      WHEN 'TOO MANY COLUMNS' THEN 'ragged row: ' || ${ragged}
      WHEN 'UNQUOTED VALUE' THEN 'broken quoting: a quoted value is never closed'
      WHEN 'INVALID ENCODING' THEN 'invalid UTF-8' || coalesce(' in column "' || ${e}.column_name || '"', '')
      ELSE ${e}.error_type || ': ' || ${e}.error_message END`;
}

/** A row of DuckDB's reject table, with the broken column named even when DuckDB leaves it out. */
export function rejectRow(r: Record<string, unknown>, columns: readonly { name: string }[], dialect: { delimiter: string; quote: string }): RejectRow {
  // A CRLF file's raw line starts with the "\n" of the line before: line endings are not part of it.
  const raw = r['csv_line'] === null || r['csv_line'] === undefined ? null : String(r['csv_line']).replace(/^[\r\n]+|[\r\n]+$/g, '');
  const errorType = String(r['error_type'] ?? '');
  let column = r['column_name'] === null || r['column_name'] === undefined ? null : String(r['column_name']);
  if (errorType === 'UNQUOTED VALUE' && raw !== null) {
    const i = brokenField(raw.split('\n')[0] ?? raw, dialect.delimiter, dialect.quote);
    if (i >= 0 && columns[i]) column = columns[i]!.name;
  }
  if (errorType === 'TOO MANY COLUMNS') column = null;
  return {
    file: String(r['file_path'] ?? ''), line: r['line'] === null || r['line'] === undefined ? null : Number(r['line']),
    column, errorType, message: String(r['error_message'] ?? ''), raw,
  };
}




/**
 * Casts declared columns to their types, failing with the first row whose value does not convert
 * (row number in source order) and naming a declared column the source lacks.
 */
function castDeclared(sql: string, schema: ColumnSchema[], declared: Record<string, string>, where: string): string {
  const have = new Map(schema.map((c) => [c.name, c.type]));
  for (const [name, type] of Object.entries(declared)) {
    checkSqlType(type, `column "${name}" of ${where}`);
    if (!have.has(name)) {
      throw new DataError(`${where} has no column "${name}" (it has: ${schema.map((c) => JSON.stringify(c.name)).join(', ')})`, {
        code: 'MISSING_COLUMN', context: { column: name }, hint: 'Fix the export, or correct or drop the column in the source options.',
      });
    }
  }
  const cols = schema.map((c) => (declared[c.name] && declared[c.name]!.toUpperCase() !== c.type.toUpperCase()
    ? `CAST(${quoteIdent(c.name)} AS ${declared[c.name]!}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)));
  return `(SELECT ${cols.join(', ')} FROM ${sql})`;
}

function applyFilter(sql: string, schema: ColumnSchema[], filter: BatchFilter | undefined): string {
  if (!filter || filter.kind === 'all') return sql;
  if (filter.kind === 'partition') {
    const expr = partitionExpr(filter.key, schema);
    return `(SELECT * FROM ${sql} WHERE CAST(${expr} AS VARCHAR) IN (${filter.values.map(quoteLiteral).join(', ')}))`;
  }
  if (filter.kind === 'partition-null') return `(SELECT * FROM ${sql} WHERE ${partitionExpr(filter.key, schema)} IS NULL)`;
  const type = schema.find((c) => c.name === filter.column)?.type;
  if (!type) throw missingColumn(filter.column, schema, 'watermark');
  const col = quoteIdent(filter.column);
  const lo = filter.after === null ? 'TRUE' : `${col} > CAST(${quoteLiteral(filter.after)} AS ${type})`;
  return `(SELECT * FROM ${sql} WHERE ${lo} AND ${col} <= CAST(${quoteLiteral(filter.upTo)} AS ${type}))`;
}

/** The SQL expression of a partition key over the source's columns. */
export function partitionExpr(key: PartitionKey, schema: readonly ColumnSchema[]): string {
  if (key.sql) return `(${key.sql})`;
  if (!schema.some((c) => c.name === key.name)) throw missingColumn(key.name, schema, 'partition');
  return quoteIdent(key.name);
}

function missingColumn(name: string, schema: readonly ColumnSchema[], what: string): DataError {
  return new DataError(`The ${what} column "${name}" is not in the source (it has: ${schema.map((c) => JSON.stringify(c.name)).join(', ')})`, {
    code: 'MISSING_COLUMN', context: { column: name }, hint: `Name an existing column, or give the ${what} key as { name, sql } with a SQL expression.`,
  });
}

class PostgresReader implements SourceReader {
  readonly description: string;

  constructor(readonly source: PostgresSource) {
    this.description = describeSource(source);
  }

  async files(): Promise<SourceFile[]> { return []; }
  async fingerprint(): Promise<null> { return null; }
  async rejected(): Promise<number> { return 0; }

  async scan(engine: Engine, options: ScanOptions = {}): Promise<SourceScan> {
    const { text, params } = this.#filtered(options.filter);
    const q = await openPostgresQuery({ url: this.source.url, query: text, params, batchSize: this.source.batchSize, ...(options.signal ? { signal: options.signal } : {}) });
    const raw = `${INTERNAL_PREFIX}pg_${newId('t').slice(2)}`;
    try {
      await engine.appendBatches(raw, q.columns.map((c) => ({ name: c.name, type: 'VARCHAR' })), textBatches(q.batches()), (rows) => {
        if (options.signal?.aborted) throw new CancelledError(`Reading from ${this.description} was cancelled`);
        options.onProgress?.(rows);
      });
    } catch (err) {
      await q.close();
      if (err instanceof SluiceError) throw err;
      throw new DataError(`Reading from ${this.description} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const declared = this.source.columns ?? {};
    const cols = q.columns.map((c) => {
      const type = declared[c.name] ? checkSqlType(declared[c.name]!, `column "${c.name}"`) : c.sqlType;
      const x = quoteIdent(c.name);
      return c.convert === 'unhex' ? `unhex(substr(${x}, 3)) AS ${x}` : `CAST(${x} AS ${type}) AS ${x}`;
    });
    const table = `${INTERNAL_PREFIX}pgt_${newId('t').slice(2)}`;
    try {
      await engine.run(`CREATE TEMP TABLE ${quoteIdent(table)} AS SELECT ${cols.join(', ')} FROM ${quoteIdent(raw)}`);
    } catch (err) {
      throw new DataError(`${this.description}: a value did not convert to its column type: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, {
        code: 'BAD_VALUE', cause: err, hint: 'Declare the column type in postgres({ columns }) or cast it in the query.',
      });
    } finally {
      await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(raw)}`);
    }
    const sql = quoteIdent(table);
    return {
      sql, schema: await engine.describe(`SELECT * FROM ${sql}`), files: [], rejects: null,
      explain: async (err) => (err instanceof SluiceError ? err : new DataError(String(err), { cause: err })),
      cleanup: async () => { await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`); },
      rowNumber: null, fileColumn: null, isTable: true,
    };
  }

  async schema(): Promise<ColumnSchema[]> {
    const q = await openPostgresQuery({ url: this.source.url, query: `SELECT * FROM (${this.source.query}) AS q LIMIT 0`, params: [...this.source.params], applicationName: 'sluice-discovery' });
    await q.close();
    const declared = this.source.columns ?? {};
    return q.columns.map((c) => ({ name: c.name, type: declared[c.name] ?? c.sqlType }));
  }

  async query(_engine: Engine, _select: (table: string) => string, pgSelect?: (from: string, param: (value: unknown) => string) => string): Promise<Record<string, unknown>[]> {
    if (!pgSelect) throw new SluiceError(`${this.description}: this operation is not available for a database source`);
    // The source's own parameters come first ($1..$n); the discovery query's are numbered after them.
    const params = [...this.source.params];
    const text = pgSelect(`(${this.source.query}) AS q`, (v) => { params.push(v); return `$${params.length}`; });
    const q = await openPostgresQuery({ url: this.source.url, query: text, params, applicationName: 'sluice-discovery' });
    const out: Record<string, unknown>[] = [];
    for await (const b of q.batches()) {
      for (let i = 0; i < b.rows; i++) out.push(Object.fromEntries(q.columns.map((c, ci) => [c.name, b.columns[ci]![i]])));
    }
    return out;
  }

  #filtered(filter: BatchFilter | undefined): { text: string; params: unknown[] } {
    const params = [...this.source.params];
    const base = `SELECT * FROM (${this.source.query}) AS q`;
    if (!filter || filter.kind === 'all') return { text: this.source.query, params };
    const p = (v: unknown): string => { params.push(v); return `$${params.length}`; };
    if (filter.kind === 'partition' || filter.kind === 'partition-null') {
      const expr = filter.key.sql ? `(${filter.key.sql})` : `q.${pgIdent(filter.key.name)}`;
      if (filter.kind === 'partition-null') return { text: `${base} WHERE ${expr} IS NULL`, params };
      return { text: `${base} WHERE CAST(${expr} AS text) = ANY(${p([...filter.values])}::text[])`, params };
    }
    const col = `q.${pgIdent(filter.column)}`;
    const lo = filter.after === null ? 'TRUE' : `${col} > ${p(filter.after)}`;
    return { text: `${base} WHERE ${lo} AND ${col} <= ${p(filter.upTo)}`, params };
  }

  async close(): Promise<void> {}
}

async function* textBatches(batches: AsyncIterable<PostgresBatch>): AsyncGenerator<{ length: number; columns: { kind: 'values'; values: (string | null)[] }[] }> {
  for await (const b of batches) yield { length: b.rows, columns: b.columns.map((values) => ({ kind: 'values' as const, values })) };
}

export function pgIdent(name: string): string {
  if (name.includes('\0')) throw new DataError(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}
