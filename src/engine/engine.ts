/**
 * The engine: the one module that imports DuckDB. SQL, Parquet/CSV/JSON reads and writes, and
 * columns moved between DuckDB and Frames.
 *
 * @example
 * const engine = await openEngine();
 * const frame = await engine.toFrame(`SELECT * FROM ${readParquetSql('flights.parquet')}`);
 * await engine.copyToParquet('SELECT 1 AS x', '/tmp/x.parquet');
 * await engine.close();
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DataError, SluiceError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import { appendBatches, type AppendSchema, type ColumnBatch } from './append.ts';
import { describe, extractFrame } from './extract.ts';
import { loadFrame } from './load.ts';
import { quoteLiteral } from './sql.ts';
import type { ColumnSchema } from './types.ts';

export interface EngineOptions {
  /** Database file; default in-memory. */
  path?: string;
  threads?: number;
  memoryLimit?: string;
  /** Where DuckDB spills; default its own. */
  tempDirectory?: string;
}

export type RowValue = number | string | boolean | null | Date | bigint | unknown[] | Record<string, unknown>;
export type Row = Record<string, RowValue>;

export class Engine {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #ownsInstance: boolean;
  #closed = false;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, ownsInstance: boolean) {
    this.#instance = instance;
    this.#conn = conn;
    this.#ownsInstance = ownsInstance;
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    const config: Record<string, string> = {};
    if (options.threads) config['threads'] = String(options.threads);
    if (options.memoryLimit) config['memory_limit'] = options.memoryLimit;
    if (options.tempDirectory) config['temp_directory'] = options.tempDirectory;
    const instance = await DuckDBInstance.create(options.path ?? ':memory:', config);
    return new Engine(instance, await connect(instance), true);
  }

  /** A second connection on the same database: its own temp tables, runs concurrently with this one. */
  async fork(): Promise<Engine> {
    return new Engine(this.#instance, await connect(this.#instance), false);
  }

  /** Runs statements; returns nothing. */
  async run(sql: string): Promise<void> {
    await this.#guard(sql, () => this.#conn.run(sql));
  }

  /** Small results as plain rows (BIGINT within 2^53 becomes number). Not for large data: use toFrame. */
  async rows(sql: string): Promise<Row[]> {
    const reader = await this.#guard(sql, () => this.#conn.runAndReadAll(sql));
    return reader.getRowObjectsJS().map((r) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(r)) out[k] = normalize(v);
      return out;
    });
  }

  /** The first column of the first row. */
  async scalar(sql: string): Promise<RowValue> {
    const rows = await this.rows(sql);
    const first = rows[0];
    return first ? (Object.values(first)[0] ?? null) : null;
  }

  async describe(sql: string): Promise<ColumnSchema[]> {
    return this.#guard(sql, () => describe(this.#conn, sql));
  }

  /** Runs a query and returns its result as a Frame (typed arrays, dictionary-encoded strings). */
  async toFrame(sql: string): Promise<Frame> {
    return this.#guard(sql, () => extractFrame(this.#conn, sql));
  }

  /** Creates table `name` from a Frame, rows in order. */
  async fromFrame(frame: Frame, name: string, options: { temp?: boolean } = {}): Promise<void> {
    await this.#guard(`load ${name}`, () => loadFrame(this.#conn, frame, name, options));
  }

  /**
   * Creates temp table `name` from columnar batches (Arrow IPC, PostgreSQL cursors) through the appender.
   * Returns the row count. `onBatch` may throw to stop (cancellation).
   */
  async appendBatches(name: string, schema: readonly AppendSchema[], batches: AsyncIterable<ColumnBatch> | Iterable<ColumnBatch>, onBatch?: (rows: number) => void): Promise<number> {
    return this.#guard(`load ${name}`, () => appendBatches(this.#conn, name, schema, batches, onBatch));
  }

  /** Writes a query's result to one Parquet file (zstd). */
  async copyToParquet(sql: string, path: string): Promise<void> {
    await this.run(`COPY (${sql}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`);
  }

  /** Aborts the query running on this connection (for cancellation). */
  interrupt(): void {
    this.#conn.interrupt();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.closeSync();
    if (this.#ownsInstance) this.#instance.closeSync();
  }

  async #guard<T>(sql: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new SluiceError('The engine is closed', { code: 'ENGINE_CLOSED' });
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw translateError(err, sql);
    }
  }
}

async function connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const conn = await instance.connect();
  // DuckDB's threads may run up to 16 MB ahead of a streamed result's reader (toFrame) instead of 1 MB:
  // they stall and restart less often while JavaScript encodes the chunks already fetched.
  await conn.run(`SET streaming_buffer_size = '16MB'`);
  return conn;
}

function normalize(v: unknown): RowValue {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  return v as RowValue;
}

/** DuckDB's messages are good; we add the statement (shortened) and classify data problems. */
function translateError(err: unknown, sql: string): SluiceError {
  const message = err instanceof Error ? err.message : String(err);
  const short = sql.length > 300 ? `${sql.slice(0, 300)}...` : sql;
  const isData = /^(Conversion|Invalid Input|Binder|Parser|IO|Catalog) Error/.test(message) || /No files found|could not convert|Could not convert/i.test(message);
  const Cls = isData ? DataError : SluiceError;
  return new Cls(`${message}\n  in SQL: ${short}`, { code: isData ? 'DATA' : 'ENGINE', cause: err });
}

export async function openEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.open(options);
}
