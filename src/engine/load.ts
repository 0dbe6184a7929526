/**
 * Frame -> DuckDB without a per-value JavaScript object for numeric columns.
 *
 * Numbers are copied into DOUBLE vectors of appender chunks (NaN becomes NULL); string columns travel as
 * their integer codes plus a small dictionary table, and a final SQL join restores the text.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import { DOUBLE, INTEGER, DuckDBDataChunk, VARCHAR } from '@duckdb/node-api';
import type { Frame } from '../frame/frame.ts';
import { quoteIdent } from './sql.ts';

const CHUNK = 2048;
let counter = 0;

interface RawVector {
  items: Float64Array | Int32Array;
  validity: { setItemValid(i: number, valid: boolean): void };
  flush(): void;
}

/** Creates (or replaces) table `name` holding the frame's rows in order. */
export async function loadFrame(conn: DuckDBConnection, frame: Frame, name: string, options: { temp?: boolean } = {}): Promise<void> {
  const staging = `__sluice_load_${process.pid}_${++counter}`;
  const cols = frame.names.map((n) => frame.column(n));
  const colDefs = cols.map((c, i) => `c${i} ${c.kind === 'number' ? 'DOUBLE' : 'INTEGER'}`);
  await conn.run(`CREATE TEMP TABLE ${staging} (__row BIGINT, ${colDefs.join(', ')})`.replace('(__row BIGINT, )', '(__row BIGINT)'));
  const dictTables: string[] = [];
  try {
    const appender = await conn.createAppender(staging, 'main', 'temp');
    const types = [DOUBLE, ...cols.map((c) => (c.kind === 'number' ? DOUBLE : INTEGER))];
    for (let start = 0; start < frame.numRows; start += CHUNK) {
      const n = Math.min(CHUNK, frame.numRows - start);
      const chunk = DuckDBDataChunk.create(types, n);
      const rowVec = chunk.getColumnVector(0) as unknown as RawVector;
      for (let i = 0; i < n; i++) rowVec.items[i] = start + i;
      rowVec.flush();
      cols.forEach((c, ci) => {
        const vec = chunk.getColumnVector(ci + 1) as DuckDBVector as unknown as RawVector;
        if (c.kind === 'number') {
          const src = c.values.subarray(start, start + n);
          vec.items.set(src);
          for (let i = 0; i < n; i++) if (Number.isNaN(src[i]!)) vec.validity.setItemValid(i, false);
        } else {
          const src = c.codes.subarray(start, start + n);
          vec.items.set(src);
          for (let i = 0; i < n; i++) if (src[i]! < 0) vec.validity.setItemValid(i, false);
        }
        vec.flush();
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();

    const selects: string[] = [];
    const joins: string[] = [];
    for (let ci = 0; ci < cols.length; ci++) {
      const c = cols[ci]!;
      const out = quoteIdent(frame.names[ci]!);
      if (c.kind === 'number') {
        const e = `s.c${ci}`;
        selects.push(
          c.logical === 'int' ? `CAST(${e} AS BIGINT) AS ${out}`
          : c.logical === 'bool' ? `CAST(${e} AS BOOLEAN) AS ${out}`
          : c.logical === 'timestamp' ? `make_timestamp(CAST(${e} * 1000 AS BIGINT)) AS ${out}`
          : c.logical === 'date' ? `CAST(make_timestamp(CAST(${e} * 1000 AS BIGINT)) AS DATE) AS ${out}`
          : `${e} AS ${out}`,
        );
      } else {
        const dict = `${staging}_d${ci}`;
        dictTables.push(dict);
        await conn.run(`CREATE TEMP TABLE ${dict} (code INTEGER, value VARCHAR)`);
        const dApp = await conn.createAppender(dict, 'main', 'temp');
        for (let start = 0; start < c.dictionary.length; start += CHUNK) {
          const n = Math.min(CHUNK, c.dictionary.length - start);
          const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], n);
          const codes: number[] = [];
          for (let i = 0; i < n; i++) codes.push(start + i);
          chunk.setColumnValues(0, codes);
          chunk.setColumnValues(1, c.dictionary.slice(start, start + n));
          dApp.appendDataChunk(chunk);
        }
        dApp.flushSync();
        dApp.closeSync();
        joins.push(`LEFT JOIN ${dict} d${ci} ON s.c${ci} = d${ci}.code`);
        selects.push(`d${ci}.value AS ${out}`);
      }
    }
    const kind = options.temp ? 'TEMP TABLE' : 'TABLE';
    const select = selects.length > 0 ? selects.join(', ') : '*';
    await conn.run(`CREATE OR REPLACE ${kind} ${quoteIdent(name)} AS SELECT ${select} FROM ${staging} s ${joins.join(' ')} ORDER BY s.__row`);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${staging}`);
    for (const d of dictTables) await conn.run(`DROP TABLE IF EXISTS ${d}`);
  }
}
