/**
 * Columnar batches -> a DuckDB table through the appender, for sources DuckDB cannot read itself
 * (Arrow IPC files, PostgreSQL queries). Fixed-width columns are copied as whole typed arrays into the
 * vectors of appender chunks; only text travels value by value.
 */
import type { DuckDBConnection, DuckDBType, DuckDBVector } from '@duckdb/node-api';
import {
  BIGINT, BLOB, BOOLEAN, DATE, DOUBLE, DuckDBDataChunk, FLOAT, INTEGER, SMALLINT, TIMESTAMP, TIMESTAMP_MS, TIMESTAMP_NS, TIMESTAMP_S,
  TIMESTAMPTZ, TINYINT, UBIGINT, UINTEGER, USMALLINT, UTINYINT, VARCHAR,
} from '@duckdb/node-api';
import { DataError } from '../core/errors.ts';
import { quoteIdent } from './sql.ts';

/** DuckDB storage types a batch column can carry. */
export type AppendType =
  | 'BOOLEAN' | 'TINYINT' | 'SMALLINT' | 'INTEGER' | 'BIGINT' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'UBIGINT'
  | 'FLOAT' | 'DOUBLE' | 'DATE' | 'TIMESTAMP' | 'TIMESTAMP_MS' | 'TIMESTAMP_S' | 'TIMESTAMP_NS' | 'TIMESTAMPTZ' | 'VARCHAR' | 'BLOB';

export type FixedArray = Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Float32Array | Float64Array;

/**
 * One column of a batch. `validity` is an Arrow-style bitmap (bit i of byte i>>3, LSB first; 1 = valid),
 * starting at bit `validityOffset`; absent means no nulls.
 */
export type BatchColumn =
  | { kind: 'fixed'; values: FixedArray; validity?: Uint8Array | null; validityOffset?: number }
  | { kind: 'bits'; bits: Uint8Array; bitOffset: number; validity?: Uint8Array | null; validityOffset?: number }
  | { kind: 'values'; values: readonly (string | Uint8Array | boolean | null)[] };

export interface ColumnBatch {
  length: number;
  columns: BatchColumn[];
}

export interface AppendSchema {
  name: string;
  type: AppendType;
}

const DUCK_TYPES: Record<AppendType, DuckDBType> = {
  BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, UTINYINT, USMALLINT, UINTEGER, UBIGINT, FLOAT, DOUBLE, DATE,
  TIMESTAMP, TIMESTAMP_MS, TIMESTAMP_S, TIMESTAMP_NS, TIMESTAMPTZ, VARCHAR, BLOB,
};

const CHUNK = 2048;

interface RawVector {
  items: FixedArray;
  validity: { setItemValid(i: number, valid: boolean): void };
  setItem(i: number, v: unknown): void;
  flush(): void;
}

/**
 * Creates temp table `table` with `schema` and appends every batch. Returns the number of rows.
 * `onBatch` runs after each batch (progress, cancellation checks that throw).
 */
export async function appendBatches(
  conn: DuckDBConnection, table: string, schema: readonly AppendSchema[], batches: AsyncIterable<ColumnBatch> | Iterable<ColumnBatch>,
  onBatch?: (rowsSoFar: number) => void,
): Promise<number> {
  if (schema.length === 0) throw new DataError(`Cannot load "${table}": the source has no columns`, { code: 'NO_COLUMNS' });
  const cols = schema.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (${cols})`);
  const types = schema.map((c) => DUCK_TYPES[c.type]);
  const appender = await conn.createAppender(table, 'main', 'temp');
  let rows = 0;
  try {
    for await (const batch of batches) {
      if (batch.columns.length !== schema.length) {
        throw new DataError(`A batch for "${table}" has ${batch.columns.length} columns, the schema ${schema.length}`, { code: 'BATCH_SHAPE' });
      }
      for (let start = 0; start < batch.length; start += CHUNK) {
        const n = Math.min(CHUNK, batch.length - start);
        const chunk = DuckDBDataChunk.create(types, n);
        for (let ci = 0; ci < schema.length; ci++) fillVector(chunk, ci, batch.columns[ci]!, start, n);
        appender.appendDataChunk(chunk);
      }
      rows += batch.length;
      onBatch?.(rows);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows;
}

function fillVector(chunk: DuckDBDataChunk, ci: number, col: BatchColumn, start: number, n: number): void {
  if (col.kind === 'values') {
    chunk.setColumnValues(ci, col.values.slice(start, start + n) as never);
    return;
  }
  const vec = chunk.getColumnVector(ci) as DuckDBVector as unknown as RawVector;
  if (col.kind === 'fixed') {
    (vec.items as unknown as { set(a: ArrayLike<unknown>): void }).set(col.values.subarray(start, start + n) as ArrayLike<unknown>);
  } else {
    for (let i = 0; i < n; i++) {
      const bit = col.bitOffset + start + i;
      vec.setItem(i, ((col.bits[bit >> 3]! >> (bit & 7)) & 1) === 1);
    }
  }
  if (col.validity) {
    const off = col.validityOffset ?? 0;
    for (let i = 0; i < n; i++) {
      const bit = off + start + i;
      if (((col.validity[bit >> 3]! >> (bit & 7)) & 1) === 0) vec.validity.setItemValid(i, false);
    }
  }
  vec.flush();
}
