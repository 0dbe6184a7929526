/**
 * DuckDB -> Frame in one streamed pass, without a per-value JavaScript object.
 *
 * The query runs once, wrapped in a projection that casts every numeric, boolean and temporal column to
 * DOUBLE inside DuckDB (in parallel, on its threads); text columns arrive as DuckDB's own 16-byte string
 * records. While DuckDB produces the next chunks, each chunk's DOUBLE vectors are copied into typed
 * arrays and each text vector is dictionary-encoded by `TextColumnEncoder` (a hash table over the string
 * records themselves: a JavaScript string is made once per distinct value, not per row). Nothing is
 * materialized in a temporary table, and there is no second scan for the distinct values.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import { DataError } from '../core/errors.ts';
import { Frame, type Column, type NumberLogical } from '../frame/frame.ts';
import { BlockedArray } from './blocked-array.ts';
import { TextColumnEncoder } from './text-encoder.ts';
import type { ColumnSchema } from './types.ts';

interface RawNumberVector {
  items: Float64Array;
  validity: { data: BigUint64Array | null };
}

type Plan =
  | { kind: 'number'; name: string; expr: string; logical: NumberLogical }
  | { kind: 'string'; name: string; expr: string };

function planColumn(name: string, type: string, position: number): Plan {
  // Positional references (#1, #2, ...) reach every column of the wrapped query, whatever its name.
  const q = `#${position}`;
  const t = type.toUpperCase();
  if (t === 'VARCHAR' || t.startsWith('ENUM')) return { kind: 'string', name, expr: t === 'VARCHAR' ? q : `CAST(${q} AS VARCHAR)` };
  if (t === 'BOOLEAN') return { kind: 'number', name, expr: `CAST(${q} AS DOUBLE)`, logical: 'bool' };
  if (t.startsWith('TIMESTAMP')) return { kind: 'number', name, expr: `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE)`, logical: 'timestamp' };
  if (t === 'DATE') return { kind: 'number', name, expr: `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE)`, logical: 'date' };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) {
    return { kind: 'number', name, expr: `CAST(${q} AS DOUBLE)`, logical: 'int' };
  }
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return { kind: 'number', name, expr: t === 'DOUBLE' ? q : `CAST(${q} AS DOUBLE)`, logical: 'float' };
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
  // The wrapped query names its columns as a table would (a duplicate name gets a suffix). A closing
  // semicolon (with comments after it) would end the statement inside the parentheses: it goes.
  const wrapped = `(${sql.replace(/;(\s|--[^\n]*)*$/, '')}\n) AS __sluice_q`;
  const schema = await describe(conn, `SELECT * FROM ${wrapped}`);
  const plans = schema.map(({ name, type }, i) => planColumn(name, type, i + 1));
  if (plans.length === 0) return new Frame([]);

  const select = `SELECT ${plans.map((p) => p.expr).join(', ')} FROM ${wrapped}`;
  const bytesPerRow = plans.reduce((sum, p) => sum + (p.kind === 'number' ? 8 : 4), 0);
  const estimate = await estimateRows(conn, select);
  // An estimate far above the truth (a selective filter on a big table) must not reserve gigabytes.
  const expected = estimate === undefined ? undefined : Math.min(estimate, Math.floor(MAX_UPFRONT_BYTES / bytesPerRow));
  const numbers = plans.map((p) => (p.kind === 'number' ? new BlockedArray((k) => new Float64Array(k), expected) : null));
  const texts = plans.map((p) => (p.kind === 'string' ? new TextColumnEncoder(expected) : null));
  const result = await conn.stream(select);
  // One fetch always in flight: the round trip through the native thread pool overlaps with the
  // copying and encoding of the chunk before it.
  let next = result.fetchChunk();
  try {
    while (true) {
      const chunk = await next;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      const n = chunk.rowCount;
      for (let c = 0; c < plans.length; c++) {
        const vector = chunk.getColumnVector(c);
        const text = texts[c];
        if (text) text.append(vector, n);
        else appendNumbers(vector, n, numbers[c]!);
      }
    }
  } finally {
    // After a failure while encoding, the fetch in flight settles before the connection is used again.
    await next.catch(() => null);
  }
  const columns: [string, Column][] = plans.map((p, i) =>
    p.kind === 'number'
      ? [p.name, { kind: 'number', values: numbers[i]!.finish(), logical: p.logical }]
      : [p.name, { kind: 'string', ...texts[i]!.finish() }],
  );
  return new Frame(columns);
}

/** Most bytes of columns allocated up front on the planner's word (beyond it the columns grow by blocks). */
const MAX_UPFRONT_BYTES = 1 << 28;

/**
 * DuckDB's estimate of the result's row count, exact for a plain scan of Parquet files or a table:
 * the columns are then allocated once at their final size (no block joined at the end, half the
 * memory traffic). Undefined when the plan gives none.
 */
async function estimateRows(conn: DuckDBConnection, select: string): Promise<number | undefined> {
  try {
    const reader = await conn.runAndReadAll(`EXPLAIN (FORMAT json) ${select}`);
    const plan = JSON.parse(String(reader.getColumns()[1]?.[0] ?? '[]')) as { extra_info?: Record<string, unknown> }[];
    const estimate = Number(plan[0]?.extra_info?.['Estimated Cardinality']);
    return Number.isInteger(estimate) && estimate > 0 ? estimate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Copies the first `n` values of a DOUBLE vector into `into`; nulls become NaN.
 *
 * The node-api vectors keep their typed-array view and validity words private; reading them directly is
 * what makes extraction a memcpy instead of n boxed values.
 */
function appendNumbers(vector: DuckDBVector, n: number, into: BlockedArray<Float64Array>): void {
  const raw = vector as unknown as RawNumberVector;
  const at = into.reserve(n);
  const out = into.block;
  out.set(raw.items.subarray(0, n), at);
  const validity = raw.validity.data;
  if (validity) {
    const words = new Uint32Array(validity.buffer, validity.byteOffset, validity.length * 2);
    for (let w = 0; w < words.length; w++) {
      const word = words[w]!;
      if (word === 0xffffffff) continue;
      for (let b = 0; b < 32; b++) {
        const i = w * 32 + b;
        if (i >= n) break;
        if (((word >>> b) & 1) === 0) out[at + i] = NaN;
      }
    }
  }
  into.commit(n);
}
