/**
 * DuckDB -> Frame without a per-value JavaScript object.
 *
 * The query is materialized once into a temporary table; each VARCHAR column is dictionary-encoded
 * inside DuckDB (an ENUM type built from its distinct values, then `enum_code`), every other column is
 * cast to DOUBLE, so that each result chunk arrives as flat numeric vectors that are copied into
 * preallocated typed arrays.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import { DataError } from '../core/errors.ts';
import { Frame, type Column, type NumberLogical } from '../frame/frame.ts';
import { quoteIdent } from './sql.ts';
import type { ColumnSchema } from './types.ts';

interface RawVector {
  items: Float64Array | Int32Array;
  validity: { data: BigUint64Array | null };
}

type Plan =
  | { kind: 'number'; name: string; expr: string; logical: NumberLogical }
  | { kind: 'string'; name: string; expr: string; enumType: string; dictionary: string[] };

let tempCounter = 0;

function planNumber(name: string, type: string): Plan {
  const q = quoteIdent(name);
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return { kind: 'number', name, expr: `CAST(${q} AS DOUBLE)`, logical: 'bool' };
  if (t.startsWith('TIMESTAMP')) return { kind: 'number', name, expr: `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE)`, logical: 'timestamp' };
  if (t === 'DATE') return { kind: 'number', name, expr: `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE)`, logical: 'date' };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) {
    return { kind: 'number', name, expr: `CAST(${q} AS DOUBLE)`, logical: 'int' };
  }
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return { kind: 'number', name, expr: `CAST(${q} AS DOUBLE)`, logical: 'float' };
  throw new DataError(`Column "${name}" has type ${type}, which a Frame cannot hold`, {
    code: 'UNSUPPORTED_TYPE',
    context: { column: name, type },
    hint: 'Cast it in SQL to a number or VARCHAR (for example CAST(col AS VARCHAR)) before converting to a Frame.',
  });
}

export async function describe(conn: DuckDBConnection, sql: string): Promise<ColumnSchema[]> {
  const reader = await conn.runAndReadAll(`DESCRIBE ${sql}`);
  return reader.getRowObjects().map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
}

export async function extractFrame(conn: DuckDBConnection, sql: string): Promise<Frame> {
  const table = `__sluice_extract_${process.pid}_${++tempCounter}`;
  const types: string[] = [];
  await conn.run(`CREATE TEMP TABLE ${table} AS ${sql}`);
  try {
    const schema = await describe(conn, `SELECT * FROM ${table}`);
    const plans: Plan[] = [];
    for (const { name, type } of schema) {
      if (type.toUpperCase() === 'VARCHAR' || type.toUpperCase().startsWith('ENUM')) {
        const enumType = `${table}_e${plans.length}`;
        const q = quoteIdent(name);
        // Dictionary in sorted order, built by DuckDB; rows then carry only an integer code.
        await conn.run(`CREATE TYPE ${enumType} AS ENUM (SELECT DISTINCT CAST(${q} AS VARCHAR) FROM ${table} WHERE ${q} IS NOT NULL ORDER BY 1)`);
        types.push(enumType);
        const dictRows = await conn.runAndReadAll(`SELECT CAST(unnest(enum_range(NULL::${enumType})) AS VARCHAR)`);
        const dictionary = (dictRows.getColumns()[0] ?? []).map((v) => String(v));
        const expr = dictionary.length > 0 ? `CAST(enum_code(CAST(CAST(${q} AS VARCHAR) AS ${enumType})) AS INTEGER)` : `CAST(NULL AS INTEGER)`;
        plans.push({ kind: 'string', name, expr, enumType, dictionary });
      } else {
        plans.push(planNumber(name, type));
      }
    }
    const countReader = await conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
    const rows = Number(countReader.getColumns()[0]?.[0] ?? 0);
    const outputs: (Float64Array | Int32Array)[] = plans.map((p) => (p.kind === 'number' ? new Float64Array(rows) : new Int32Array(rows)));
    if (plans.length > 0 && rows > 0) {
      const select = plans.map((p, i) => `${p.expr} AS c${i}`).join(', ');
      const result = await conn.stream(`SELECT ${select} FROM ${table}`);
      let offset = 0;
      while (true) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        for (let c = 0; c < plans.length; c++) {
          copyVector(chunk.getColumnVector(c), outputs[c]!, offset, n);
        }
        offset += n;
      }
      if (offset !== rows) throw new Error(`extracted ${offset} rows where ${rows} were counted`);
    }
    const columns: [string, Column][] = plans.map((p, i) =>
      p.kind === 'number'
        ? [p.name, { kind: 'number', values: outputs[i] as Float64Array, logical: p.logical }]
        : [p.name, { kind: 'string', codes: outputs[i] as Int32Array, dictionary: p.dictionary }],
    );
    return new Frame(columns);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
    for (const t of types) await conn.run(`DROP TYPE IF EXISTS ${t}`);
  }
}

/** Copies one DOUBLE or INTEGER vector into `out` at `offset`; nulls become NaN (numbers) or -1 (codes). */
function copyVector(vector: DuckDBVector, out: Float64Array | Int32Array, offset: number, n: number): void {
  // The node-api vectors keep their typed-array view and validity words private; reading them directly
  // is what makes extraction a memcpy instead of n boxed values.
  const raw = vector as unknown as RawVector;
  out.set(raw.items.subarray(0, n), offset);
  const validity = raw.validity.data;
  if (!validity) return;
  const nullValue = out instanceof Float64Array ? NaN : -1;
  const words = new Uint32Array(validity.buffer, validity.byteOffset, validity.length * 2);
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    if (word === 0xffffffff) continue;
    const base = w * 32;
    for (let b = 0; b < 32; b++) {
      const i = base + b;
      if (i >= n) break;
      if (((word >>> b) & 1) === 0) out[offset + i] = nullValue;
    }
  }
}
