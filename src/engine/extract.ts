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
import type { DuckDBConnection } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { Worker } from 'node:worker_threads';
import { DataError } from '../core/errors.ts';
import { workerEntry } from '../core/worker-entry.ts';
import { Frame, type Column, type NumberLogical } from '../frame/frame.ts';
import { BlockedArray } from './blocked-array.ts';
import { TextColumnEncoder, type LongString } from './text-encoder.ts';
import { longKey, type EncodedColumn, type TextWorkerReply, type TextWorkerRequest } from './text-worker-protocol.ts';
import type { ColumnSchema } from './types.ts';

/** The native result handle inside node-api's result object (the bindings read it without wrappers). */
interface NativeResult {
  result: duckdb.Result;
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
  const encoded = new Map<number, EncodedColumn>();
  const textColumns = plans.flatMap((p, c) => (p.kind === 'string' ? [c] : []));
  // A big result's text is encoded on the worker thread while this one fetches and copies numbers.
  const worker = textColumns.length > 0 && (estimate ?? 0) >= WORKER_ROWS ? await TextWorker.obtain() : null;
  const job = worker?.begin(textColumns, expected) ?? null;
  const texts = plans.map((p) => (p.kind === 'string' && !job ? new TextColumnEncoder(expected) : null));
  let finished = false;
  try {
    const result = ((await conn.stream(select)) as unknown as NativeResult).result;
    // The loop reads each chunk through the bindings themselves: node-api's vector objects (a logical type,
    // a DataView and a validity object per column per chunk) cost more than the copying they wrap. One
    // fetch is always in flight: the round trip through the native thread pool overlaps with the copying
    // and encoding of the chunk before it.
    let next = duckdb.fetch_chunk(result);
    try {
      while (true) {
        const chunk = await next;
        const n = chunk ? duckdb.data_chunk_get_size(chunk) : 0;
        if (!chunk || n === 0) break;
        next = duckdb.fetch_chunk(result);
        const validityBytes = Math.ceil(n / 64) * 8;
        const toWorker: { records: Uint8Array; validity: Uint8Array | null }[] = [];
        for (let c = 0; c < plans.length; c++) {
          const vector = duckdb.data_chunk_get_vector(chunk, c);
          const validity = duckdb.vector_get_validity(vector, validityBytes) as Uint8Array | null;
          if (plans[c]!.kind === 'number') {
            appendNumbers(duckdb.vector_get_data(vector, n * 8), validity, n, numbers[c]!);
            continue;
          }
          const records = duckdb.vector_get_data(vector, n * 16);
          if (job) toWorker.push({ records, validity });
          else texts[c]!.append(records, validity, n, readLong(records));
        }
        if (job) worker!.chunk(job.id, n, toWorker);
      }
    } finally {
      // After a failure while encoding, the fetch in flight settles before the connection is used again.
      await next.catch(() => null);
    }
    if (job) {
      for (const c of await worker!.finish(job)) encoded.set(c.column, c);
    }
    finished = true;
  } finally {
    if (job && !finished) worker!.abort(job);
  }
  const columns: [string, Column][] = plans.map((p, i) => {
    if (p.kind === 'number') return [p.name, { kind: 'number', values: numbers[i]!.finish(), logical: p.logical }];
    const { codes, dictionary } = encoded.get(i) ?? texts[i]!.finish();
    return [p.name, { kind: 'string', codes, dictionary }];
  });
  return new Frame(columns);
}

/** Rows (DuckDB's estimate) from which text columns are encoded on the worker thread. */
const WORKER_ROWS = 100_000;
const decoder = new TextDecoder();

/** Reads a long string of `records` by following its pointer into the chunk's memory (this thread only). */
function readLong(records: Uint8Array): LongString {
  return (offset, len) => decoder.decode(duckdb.get_data_from_pointer(records.buffer as ArrayBuffer, records.byteOffset + offset + 8, len));
}

/** The texts of the long strings (over 12 bytes) of `n` records, by `longKey`, read here for the worker. */
function longTexts(records: Uint8Array, validity: Uint8Array | null, n: number): Map<string, string> | null {
  const words = records.byteOffset % 4 === 0 ? new Int32Array(records.buffer, records.byteOffset, n * 4) : new Int32Array(records.slice(0, n * 16).buffer);
  const valid = validity === null ? null : new Int32Array(validity.slice().buffer);
  const read = readLong(records);
  let out: Map<string, string> | null = null;
  for (let i = 0; i < n; i++) {
    const len = words[i << 2]!;
    if (len <= 12 || (valid !== null && ((valid[i >>> 5]! >>> (i & 31)) & 1) === 0)) continue;
    const key = longKey(words, i << 2, len);
    out ??= new Map();
    if (!out.has(key)) out.set(key, read(i << 4, len));
  }
  return out;
}

interface TextJob { id: number; done: Promise<EncodedColumn[]> }

/**
 * The client of the process's text-encoding worker (`text-worker.ts`): one thread shared by every
 * extraction, started on first use, and holding the process open only while an extraction uses it.
 * Chunks go to it in order on one port; their record buffers are transferred, not copied. A worker that
 * fails or exits fails the extractions in progress and is replaced on the next use.
 */
class TextWorker {
  static #current: TextWorker | null = null;
  /** Set when a worker could not start: text is then encoded on this thread for the rest of the process. */
  static #unavailable = false;

  /** The running worker, started (and waited for) on first use; null when none can start. */
  static async obtain(): Promise<TextWorker | null> {
    if (TextWorker.#unavailable) return null;
    TextWorker.#current ??= new TextWorker();
    const current = TextWorker.#current;
    return (await current.#ready) ? current : null;
  }

  readonly #worker: Worker;
  readonly #ready: Promise<boolean>;
  readonly #pending = new Map<number, { resolve: (c: EncodedColumn[]) => void; reject: (e: Error) => void }>();
  #next = 1;
  #started = false;

  private constructor() {
    const entry = workerEntry(import.meta.url, 'text-worker');
    this.#worker = new Worker(entry.script, { eval: entry.eval, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
    // Held open while it starts (an extraction waits for it), then only while extractions use it. Started
    // means its module loaded and said so ('online' comes before the module is even read).
    let ready = (_ok: boolean): void => {};
    this.#ready = new Promise<boolean>((resolve) => { ready = resolve; });
    this.#worker.once('error', () => ready(false));
    this.#worker.once('exit', () => ready(false));
    this.#worker.on('message', (m: TextWorkerReply) => {
      if (m.type === 'ready') {
        this.#started = true;
        if (this.#pending.size === 0) this.#worker.unref();
        ready(true);
        return;
      }
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#settle(m.id);
      if (m.type === 'done') p.resolve(m.columns);
      else p.reject(new Error(`Encoding the text columns failed on the worker thread: ${m.message}`));
    });
    const lost = (why: string): void => {
      if (TextWorker.#current === this) TextWorker.#current = null;
      if (!this.#started) TextWorker.#unavailable = true;
      for (const [id, p] of [...this.#pending]) { this.#settle(id); p.reject(new Error(`The text-encoding worker thread ${why}`)); }
    };
    this.#worker.on('error', (err) => lost(`failed: ${err.message}`));
    this.#worker.on('exit', (code) => lost(`exited (code ${code})`));
  }

  begin(columns: number[], expected: number | undefined): TextJob {
    const id = this.#next++;
    const done = new Promise<EncodedColumn[]>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    // Rejected before it is awaited (a failed extraction aborts): not an unhandled rejection.
    done.catch(() => {});
    if (this.#pending.size === 1) this.#worker.ref();
    this.#post({ type: 'begin', id, columns, expected });
    return { id, done };
  }

  /** One chunk's text columns, in `begin`'s order; their long strings are read here, where their memory is. */
  chunk(id: number, n: number, columns: { records: Uint8Array; validity: Uint8Array | null }[]): void {
    const transfer: ArrayBuffer[] = [];
    const out = columns.map(({ records, validity }) => {
      const long = longTexts(records, validity, n);
      // The bindings' copy of a vector has an ArrayBuffer of its own, which moves to the worker uncopied.
      const owned = records.byteOffset === 0 && records.byteLength === records.buffer.byteLength;
      const buffer = (owned ? records.buffer : records.slice(0, n * 16).buffer) as ArrayBuffer;
      transfer.push(buffer);
      return { records: buffer, validity: validity === null ? null : (validity.slice().buffer as ArrayBuffer), long };
    });
    this.#post({ type: 'chunk', id, n, columns: out }, transfer);
  }

  finish(job: TextJob): Promise<EncodedColumn[]> {
    this.#post({ type: 'finish', id: job.id });
    return job.done;
  }

  abort(job: TextJob): void {
    const p = this.#pending.get(job.id);
    if (!p) return;
    this.#settle(job.id);
    p.reject(new Error('aborted'));
    this.#post({ type: 'abort', id: job.id });
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #post(m: TextWorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(m, transfer);
  }
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
 * Copies the `n` values of a DOUBLE vector's data (`data`, as the bindings copy it out) into `into`;
 * rows whose validity bit is clear become NaN. `validity` is null when the chunk has no null.
 */
function appendNumbers(data: Uint8Array, validity: Uint8Array | null, n: number, into: BlockedArray<Float64Array>): void {
  const at = into.reserve(n);
  const out = into.block;
  // A copy of at least 16 KB gets an ArrayBuffer of its own (8-aligned); a smaller one may share Node's pool.
  const values = data.byteOffset % 8 === 0 ? new Float64Array(data.buffer, data.byteOffset, n) : new Float64Array(data.slice().buffer, 0, n);
  out.set(values, at);
  if (validity) {
    const words = validity.byteOffset % 4 === 0
      ? new Int32Array(validity.buffer, validity.byteOffset, validity.length >> 2)
      : new Int32Array(validity.slice().buffer);
    for (let w = 0; w < words.length; w++) {
      const word = words[w]!;
      if (word === -1) continue;
      for (let b = 0; b < 32; b++) {
        const i = w * 32 + b;
        if (i >= n) break;
        if (((word >>> b) & 1) === 0) out[at + i] = NaN;
      }
    }
  }
  into.commit(n);
}
