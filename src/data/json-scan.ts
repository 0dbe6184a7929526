/**
 * Reading JSON and NDJSON sources. Every value must be a record (an object): a file holding one array or
 * scalar among its objects is not silently read as a single `json` column.
 *
 * The fast path is DuckDB's reader with the detected column types, the declared ones (source `columns`,
 * or a suite's `columnType`) put in their place, so clean files are read at engine speed with the
 * declared types. When that read fails, the records are looked at one by one (slow, and only then):
 * with `onBadRows: 'fail'` the first bad record is named (file, line or record number, column, raw text,
 * reason); with 'quarantine' the bad records are set aside with those and the others are read with the
 * same types.
 */
import { DataError, type SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine } from '../engine/index.ts';
import { checkSqlType, exactPath, jsonScanSql, quoteIdent, quoteLiteral, type FileScanOptions } from '../engine/index.ts';
import type { SourceFile } from './files.ts';
import type { ScanRejects } from './rejects.ts';
import { readerError } from './source-errors.ts';
import type { JsonSource } from './sources.ts';

const PREFIX = '__sluice_';

export interface JsonScan {
  sql: string;
  rejects: ScanRejects | null;
  explain(err: unknown): Promise<SluiceError>;
  cleanup(): Promise<void>;
}

/** `soft`: types applied to the columns present (a suite's column types); `columns` must be present. */
export async function jsonScan(engine: Engine, source: JsonSource, files: SourceFile[], hive: FileScanOptions, soft: Record<string, string> = {}): Promise<JsonScan> {
  const o = source.options;
  const paths = files.map((f) => f.path);
  const where = paths.length === 1 ? paths[0]! : `${paths[0]} (+${paths.length - 1})`;
  const declared = Object.fromEntries(Object.entries(o.columns ?? {}).map(([n, t]) => [n, checkSqlType(t, `column "${n}" of ${where}`)]));
  const base = {
    format: source.format, records: true, ...hive,
    ...(o.dateFormat ? { dateFormat: o.dateFormat } : {}), ...(o.timestampFormat ? { timestampFormat: o.timestampFormat } : {}),
  } as const;
  // Columns the reader adds from the path, not from the records.
  const pathColumns = new Set([...(hive.hivePartitioning ? files.flatMap((f) => Object.keys(f.partition)) : []), ...(hive.filenameColumn ? [hive.filenameColumn] : [])]);
  const temps: string[] = [];
  const temp = (what: string): string => { const t = quoteIdent(`${PREFIX}json_${what}_${newId('j').slice(2)}`); temps.push(t); return t; };
  /** Dropping the read's tables; the set-aside records stay until the rejects are dropped. */
  const cleanup = async (): Promise<void> => { for (const t of temps.splice(0)) await engine.run(`DROP TABLE IF EXISTS ${t}`); };

  let detected: ColumnSchema[] | null = null;
  let detectError: unknown;
  try {
    detected = (await engine.describe(`SELECT * FROM ${jsonScanSql(paths, base)}`)).filter((c) => !pathColumns.has(c.name));
  } catch (err) {
    detectError = err;
  }
  const typesOf = (have: readonly ColumnSchema[]): ColumnSchema[] => {
    for (const name of Object.keys(declared)) {
      if (!have.some((c) => c.name === name)) {
        throw new DataError(`${where} has no column "${name}" (it has: ${have.map((c) => JSON.stringify(c.name)).join(', ')})`, {
          code: 'MISSING_COLUMN', context: { file: paths[0]!, column: name }, hint: 'Fix the export, or correct or drop the column in the source options.',
        });
      }
    }
    return have.map((c) => ({ name: c.name, type: declared[c.name] ?? soft[c.name] ?? c.type }));
  };
  const columns = detected ? typesOf(detected) : null;
  const typed = columns !== null && columns.some((c, i) => c.type !== detected![i]!.type);
  const fast = jsonScanSql(paths, typed ? { ...base, columns: columns! } : base);

  /** The records of every file, one row each: file, line (NDJSON), record number (arrays), raw text. */
  const records = async (): Promise<string> => {
    const t = temp('records');
    const parts = files.map((f) => (source.format === 'newline_delimited'
      ? `SELECT ${quoteLiteral(f.path)} AS file, CAST(t.line AS BIGINT) AS line, CAST(NULL AS BIGINT) AS record, regexp_replace(t.l, '\\r$', '') AS raw
           FROM read_text(${quoteLiteral(exactPath(f.path))}) r, unnest(string_split(r.content, chr(10))) WITH ORDINALITY AS t(l, line) WHERE trim(regexp_replace(t.l, '\\r$', '')) <> ''`
      : `SELECT ${quoteLiteral(f.path)} AS file, CAST(NULL AS BIGINT) AS line, CAST(ordinality AS BIGINT) AS record, CAST(json AS VARCHAR) AS raw
           FROM read_json_objects(${quoteLiteral(exactPath(f.path))}, format = ${quoteLiteral(source.format === 'array' ? 'array' : 'auto')}) WITH ORDINALITY`));
    await engine.run(`CREATE TEMP TABLE ${t} AS ${parts.join(' UNION ALL ')}`);
    return t;
  };
  /** Each record with the reasons it cannot be read with `cols` (empty: it can). */
  const classify = async (recs: string, cols: readonly ColumnSchema[]): Promise<string> => {
    const t = temp('checked');
    const j = 'TRY(CAST(raw AS JSON))';
    const checks = cols.filter((c) => !/^(VARCHAR|JSON)$/i.test(c.type)).map((c) => {
      const v = `json_extract(${j}, ${quoteLiteral(`$."${c.name.replaceAll('"', '\\"')}"`)})`;
      return `CASE WHEN ${v} IS NOT NULL AND json_type(${v}) <> 'NULL' AND TRY(json_transform_strict(${v}, ${quoteLiteral(JSON.stringify(scalarType(c.type)))})) IS NULL
        THEN ${quoteLiteral(`wrong type in column "${c.name}": `)} || left(CAST(${v} AS VARCHAR), 80) || ${quoteLiteral(` is not a ${c.type}`)} END`;
    });
    await engine.run(`CREATE TEMP TABLE ${t} AS SELECT file, line, record, raw, CASE
        WHEN NOT json_valid(raw) THEN ['malformed JSON']
        WHEN json_type(${j}) <> 'OBJECT' THEN ['not a JSON object (the record is a JSON ' || lower(json_type(${j})) || ')']
        ELSE list_filter([${checks.join(', ')}]::VARCHAR[], x -> x IS NOT NULL) END AS reasons FROM ${recs}`);
    return t;
  };
  /** Column types from the records that are objects, when DuckDB could not detect them. */
  const detectFrom = async (recs: string): Promise<ColumnSchema[]> => {
    const s = await engine.scalar(`SELECT CAST(json_group_structure(CAST(raw AS JSON)) AS VARCHAR) FROM ${recs} WHERE json_valid(raw) AND json_type(CAST(raw AS JSON)) = 'OBJECT'`);
    const shape = s === null ? {} : (JSON.parse(String(s)) as Record<string, unknown>);
    return Object.entries(shape).map(([name, t]) => ({ name, type: typeof t !== 'string' ? 'JSON' : t === 'UBIGINT' ? 'BIGINT' : t === 'NULL' ? 'VARCHAR' : t }));
  };

  const explain = async (err: unknown): Promise<SluiceError> => {
    const mark = temps.length;
    const plain = readerError(err, paths, 'JSON');
    // A broken JSON array cannot be cut into records: DuckDB's message (record and byte) is the best there is.
    // NDJSON lines are read one by one below, which gives exact line numbers (DuckDB's skip blank lines).
    if (plain.code === 'FILE_GONE' || (plain.code === 'BAD_JSON' && source.format !== 'newline_delimited')) return plain;
    try {
      const recs = await records();
      const checked = await classify(recs, columns ?? typesOf(await detectFrom(recs)));
      const r = (await engine.rows(`SELECT file, line, record, raw, reasons FROM ${checked} WHERE len(reasons) > 0 ORDER BY file, coalesce(line, record) LIMIT 1`))[0];
      if (!r) return plain;
      const at = r['line'] !== null ? `line ${String(r['line'])}` : `record ${String(r['record'])}`;
      const reason = String((r['reasons'] as unknown[])[0]);
      const column = /^wrong type in column "(.*)": /.exec(reason)?.[1];
      const raw = String(r['raw']);
      return new DataError(`${String(r['file'])}, ${at}: ${reason}\n  record: ${raw.length > 160 ? `${raw.slice(0, 160)}...` : raw}`, {
        code: reason === 'malformed JSON' ? 'BAD_JSON' : 'BAD_ROW', cause: err,
        context: { file: String(r['file']), ...(r['line'] !== null ? { line: Number(r['line']) } : { row: Number(r['record']) }), ...(column ? { column } : {}) },
        hint: column
          ? 'Fix the value, declare the column with a wider type (for example VARCHAR), or set onBadRows: "quarantine" to set such records aside.'
          : reason === 'malformed JSON' ? 'Fix the record (one JSON object per line), or set onBadRows: "quarantine" to set such records aside.'
          : 'Every record must be a JSON object: fix the file, or set onBadRows: "quarantine" to set such records aside.',
      });
    } catch {
      return plain;
    } finally {
      // Only the tables of this diagnosis: the scan's own stay until its cleanup.
      for (const t of temps.splice(mark)) await engine.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    }
  };

  if (o.onBadRows !== 'quarantine') {
    if (detectError !== undefined) throw await explain(detectError);
    return { sql: fast, rejects: null, explain, cleanup };
  }

  // Quarantine: read now, so that a failure can fall back to reading record by record.
  const table = temp('rows');
  if (detectError === undefined) {
    try {
      await engine.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${fast}`);
      return { sql: table, rejects: noRejects, explain, cleanup };
    } catch (err) {
      const plain = readerError(err, paths, 'JSON');
      if (plain.code === 'FILE_GONE') throw plain;
    }
  }
  let recs: string;
  try {
    recs = await records();
  } catch (err) {
    // A file that cannot even be cut into records (a broken array) cannot be read in part.
    throw readerError(detectError ?? err, paths, 'JSON');
  }
  const cols = columns ?? typesOf(await detectFrom(recs));
  const checked = await classify(recs, cols);
  const spec = Object.fromEntries(cols.map((c) => [c.name, scalarType(c.type)]));
  const select = cols.map((c) => (scalarType(c.type) === c.type ? `r.${quoteIdent(c.name)}` : `CAST(r.${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`));
  // In DuckDB's order: the file name, then the hive keys.
  const pathCols = [
    ...(hive.filenameColumn ? [`file AS ${quoteIdent(hive.filenameColumn)}`] : []),
    ...[...new Set(hive.hivePartitioning ? files.flatMap((f) => Object.keys(f.partition)) : [])].map((k) =>
      `CAST(CASE file ${files.map((f) => `WHEN ${quoteLiteral(f.path)} THEN ${f.partition[k] === undefined ? 'NULL' : quoteLiteral(f.partition[k]!)}`).join(' ')} END AS ${hive.hiveTypes?.[k] ?? 'VARCHAR'}) AS ${quoteIdent(k)}`),
  ];
  await engine.run(`CREATE TEMP TABLE ${table} AS SELECT ${[...select, ...pathCols].join(', ')}
    FROM (SELECT file, line, record, json_transform(CAST(raw AS JSON), ${quoteLiteral(JSON.stringify(spec))}) AS r FROM ${checked} WHERE len(reasons) = 0)
    ORDER BY file, coalesce(line, record)`);
  temps.splice(temps.indexOf(checked), 1);
  return {
    sql: table, explain, cleanup,
    rejects: { sql: () => `SELECT file, line, record, raw, reasons FROM ${checked} WHERE len(reasons) > 0`, drop: () => engine.run(`DROP TABLE IF EXISTS ${checked}`) },
  };
}

const noRejects: ScanRejects = {
  sql: () => 'SELECT CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS line, CAST(NULL AS BIGINT) AS record, CAST(NULL AS VARCHAR) AS raw, CAST([] AS VARCHAR[]) AS reasons WHERE FALSE',
  drop: async () => {},
};

/** The type json_transform reads a value as: nested types travel as JSON and are cast afterwards. */
function scalarType(type: string): string {
  return /[([]|^(STRUCT|MAP|UNION)/i.test(type) ? 'JSON' : type;
}
