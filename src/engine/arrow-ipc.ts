/**
 * A reader for Arrow IPC files (the "file" format with the ARROW1 footer, and the "stream" format),
 * record batch by record batch, without a JavaScript object per value for fixed-width columns: each
 * batch's buffers are viewed as typed arrays and handed to the appender (append.ts).
 *
 * DuckDB has no Arrow IPC reader without an extension download, so this reads the flatbuffer metadata
 * itself. Supported: integers, floats (32/64), booleans, UTF-8 and binary (32- and 64-bit offsets),
 * dates, timestamps (any unit, with or without time zone), decimals (through text), null columns and
 * dictionary-encoded text. Nested types and compressed bodies are refused with a message naming the
 * column and a way out.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DataError } from '../core/errors.ts';
import type { AppendSchema, AppendType, BatchColumn, ColumnBatch } from './append.ts';

/** A column of an Arrow file: how it is appended and, when that differs, the SQL type it is cast to. */
export interface ArrowColumn extends AppendSchema {
  /** Final SQL type when the appended type is an intermediate (decimals travel as text). */
  castTo?: string;
}

export interface ArrowFile {
  readonly path: string;
  readonly columns: ArrowColumn[];
  /** Record batches in order; the file stays open until the iteration ends. */
  batches(): AsyncIterable<ColumnBatch>;
}

const MAGIC = 'ARROW1';
const CONTINUATION = 0xffffffff;
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Flatbuffer type ids used below (Schema.fbs / Message.fbs).
const HEADER_SCHEMA = 1, HEADER_DICTIONARY = 2, HEADER_RECORD_BATCH = 3;
const T = { Null: 1, Int: 2, FloatingPoint: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Time: 9, Timestamp: 10, LargeBinary: 19, LargeUtf8: 20 } as const;
const TYPE_NAMES: Record<number, string> = {
  1: 'Null', 2: 'Int', 3: 'FloatingPoint', 4: 'Binary', 5: 'Utf8', 6: 'Bool', 7: 'Decimal', 8: 'Date', 9: 'Time', 10: 'Timestamp', 11: 'Interval',
  12: 'List', 13: 'Struct', 14: 'Union', 15: 'FixedSizeBinary', 16: 'FixedSizeList', 17: 'Map', 18: 'Duration', 19: 'LargeBinary', 20: 'LargeUtf8',
  21: 'LargeList', 22: 'RunEndEncoded', 23: 'BinaryView', 24: 'Utf8View', 25: 'ListView', 26: 'LargeListView',
};

/** A flatbuffer table: position of its start within `dv`. */
class Table {
  constructor(readonly dv: DataView, readonly pos: number) {}

  #field(slot: number): number {
    const vt = this.pos - this.dv.getInt32(this.pos, true);
    const size = this.dv.getUint16(vt, true);
    const o = 4 + slot * 2;
    return o < size ? this.dv.getUint16(vt + o, true) : 0;
  }
  int8(slot: number, dflt = 0): number { const o = this.#field(slot); return o ? this.dv.getInt8(this.pos + o) : dflt; }
  uint8(slot: number, dflt = 0): number { const o = this.#field(slot); return o ? this.dv.getUint8(this.pos + o) : dflt; }
  int16(slot: number, dflt = 0): number { const o = this.#field(slot); return o ? this.dv.getInt16(this.pos + o, true) : dflt; }
  int32(slot: number, dflt = 0): number { const o = this.#field(slot); return o ? this.dv.getInt32(this.pos + o, true) : dflt; }
  int64(slot: number, dflt = 0): number { const o = this.#field(slot); return o ? Number(this.dv.getBigInt64(this.pos + o, true)) : dflt; }
  bool(slot: number, dflt = false): boolean { const o = this.#field(slot); return o ? this.dv.getUint8(this.pos + o) !== 0 : dflt; }
  table(slot: number): Table | null {
    const o = this.#field(slot);
    if (!o) return null;
    const p = this.pos + o;
    return new Table(this.dv, p + this.dv.getUint32(p, true));
  }
  /** Start (of the first element) and length of a vector field. */
  vector(slot: number): { start: number; length: number } {
    const o = this.#field(slot);
    if (!o) return { start: 0, length: 0 };
    const p = this.pos + o;
    const v = p + this.dv.getUint32(p, true);
    return { start: v + 4, length: this.dv.getUint32(v, true) };
  }
  tables(slot: number): Table[] {
    const { start, length } = this.vector(slot);
    const out: Table[] = [];
    for (let i = 0; i < length; i++) { const p = start + 4 * i; out.push(new Table(this.dv, p + this.dv.getUint32(p, true))); }
    return out;
  }
  string(slot: number): string | null {
    const o = this.#field(slot);
    if (!o) return null;
    const p = this.pos + o;
    const s = p + this.dv.getUint32(p, true);
    const len = this.dv.getUint32(s, true);
    return utf8.decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + s + 4, len));
  }
}

function root(bytes: Uint8Array): Table {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Table(dv, dv.getUint32(0, true));
}

/** A field of the schema, with the Arrow type it carries on the wire. */
interface FieldInfo {
  name: string;
  typeId: number;
  type: Table | null;
  dictionary: { id: number; indexBits: number; signed: boolean } | null;
  children: number;
}

interface Plan {
  column: ArrowColumn;
  field: FieldInfo;
  /** Buffers this field consumes in a record batch (validity included). */
  buffers: number;
  decode: (ctx: BatchContext, node: { length: number; nullCount: number }, bufs: Uint8Array[]) => BatchColumn;
}

interface BatchContext {
  dictionaries: Map<number, (string | null)[]>;
}

/**
 * Opens an Arrow IPC file (file or stream format) and reads its schema.
 *
 * @example
 * const file = await openArrowFile('flights.arrow');
 * for await (const batch of file.batches()) console.log(batch.length);
 */
export async function openArrowFile(path: string): Promise<ArrowFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw new DataError(`Arrow file ${path} is empty`, { code: 'EMPTY_FILE', context: { file: path }, hint: 'Check that the file was written completely.' });
    const head = await readAt(fh, path, 0, Math.min(8, size));
    const isFile = ascii(head.subarray(0, 6)) === MAGIC;
    const reader = isFile ? await fileLayout(fh, path, size) : await streamLayout(fh, path, size);
    const plans = reader.fields.map((f) => planField(f, path));
    await fh.close();
    return {
      path,
      columns: plans.map((p) => p.column),
      batches: () => readBatches(path, plans, reader.blocks, reader.streamStart, isFile),
    };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

interface Layout {
  fields: FieldInfo[];
  /** File format: message blocks (dictionaries first) from the footer. */
  blocks: { offset: number; metaLength: number; bodyLength: number }[];
  /** Stream format: where the first message after the schema starts. */
  streamStart: number;
}

async function fileLayout(fh: FileHandle, path: string, size: number): Promise<Layout> {
  if (size < 18) throw corrupt(path, 'is too short to be an Arrow file');
  const tail = await readAt(fh, path, size - 10, 10);
  if (ascii(tail.subarray(4, 10)) !== MAGIC) throw corrupt(path, 'has the ARROW1 magic at its start but not at its end (truncated?)');
  const footerLen = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
  if (footerLen <= 0 || footerLen > size - 18) throw corrupt(path, `has an invalid footer length ${footerLen}`);
  const footer = root(await readAt(fh, path, size - 10 - footerLen, footerLen));
  const schema = footer.table(1);
  if (!schema) throw corrupt(path, 'has no schema in its footer');
  const blocks = (slot: number): Layout['blocks'] => {
    const { start, length } = footer.vector(slot);
    const out: Layout['blocks'] = [];
    for (let i = 0; i < length; i++) {
      const p = start + 24 * i;
      out.push({ offset: Number(footer.dv.getBigInt64(p, true)), metaLength: footer.dv.getInt32(p + 8, true), bodyLength: Number(footer.dv.getBigInt64(p + 16, true)) });
    }
    return out;
  };
  return { fields: readFields(schema, path), blocks: [...blocks(2), ...blocks(3)], streamStart: 0 };
}

async function streamLayout(fh: FileHandle, path: string, size: number): Promise<Layout> {
  const first = await readMessage(fh, path, 0, size);
  if (!first) throw corrupt(path, 'is neither an Arrow IPC file (no ARROW1 magic) nor a stream (no schema message)');
  if (first.headerType !== HEADER_SCHEMA || !first.header) throw corrupt(path, 'does not start with a schema message');
  return { fields: readFields(first.header, path), blocks: [], streamStart: first.next };
}

interface Message {
  headerType: number;
  header: Table | null;
  bodyOffset: number;
  bodyLength: number;
  next: number;
}

/** Reads the encapsulated message at `offset` (continuation marker optional); null at end of stream. */
async function readMessage(fh: FileHandle, path: string, offset: number, size: number): Promise<Message | null> {
  if (offset + 4 > size) return null;
  const pre = await readAt(fh, path, offset, Math.min(8, size - offset));
  const dv = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  let metaLen = dv.getUint32(0, true);
  let at = offset + 4;
  if (metaLen === CONTINUATION) {
    if (pre.byteLength < 8) return null;
    metaLen = dv.getUint32(4, true);
    at = offset + 8;
  }
  if (metaLen === 0) return null;
  if (at + metaLen > size) throw corrupt(path, `has a message at byte ${offset} that runs past the end of the file (truncated?)`);
  const meta = root(await readAt(fh, path, at, metaLen));
  const bodyOffset = at + metaLen;
  const bodyLength = meta.int64(3);
  if (bodyOffset + bodyLength > size) throw corrupt(path, `has a message body at byte ${bodyOffset} that runs past the end of the file (truncated?)`);
  return { headerType: meta.uint8(1), header: meta.table(2), bodyOffset, bodyLength, next: bodyOffset + bodyLength };
}

function readFields(schema: Table, path: string): FieldInfo[] {
  if (schema.int16(0) !== 0) throw corrupt(path, 'is big-endian, which Sluice does not read');
  return schema.tables(1).map((f, i) => {
    const dict = f.table(4);
    const indexType = dict?.table(1);
    return {
      name: f.string(0) ?? `column${i}`,
      typeId: f.uint8(2),
      type: f.table(3),
      dictionary: dict ? { id: dict.int64(0), indexBits: indexType?.int32(0, 32) ?? 32, signed: indexType?.bool(1, true) ?? true } : null,
      children: f.vector(5).length,
    };
  });
}

function planField(field: FieldInfo, path: string): Plan {
  const name = field.name;
  const unsupported = (what: string): never => {
    throw new DataError(`Column "${name}" of Arrow file ${path} has type ${what}, which Sluice's Arrow reader does not support`, {
      code: 'UNSUPPORTED_TYPE', context: { file: path, column: name },
      hint: 'Write the file as Parquet (which keeps every type), or convert this column to a number, text or timestamp.',
    });
  };
  if (field.children > 0) unsupported(TYPE_NAMES[field.typeId] ?? `#${field.typeId}`);
  const fixed = (type: AppendType, make: (b: Uint8Array, n: number) => BatchColumn): Plan => ({
    column: { name, type }, field, buffers: 2,
    decode: (_ctx, node, bufs) => withValidity(make(bufs[1]!, node.length), bufs[0]!, node.nullCount),
  });
  if (field.dictionary) {
    if (field.typeId !== T.Utf8 && field.typeId !== T.LargeUtf8) unsupported(`dictionary of ${TYPE_NAMES[field.typeId] ?? field.typeId}`);
    const { id, indexBits, signed } = field.dictionary;
    return {
      column: { name, type: 'VARCHAR' }, field, buffers: 2,
      decode: (ctx, node, bufs) => {
        const dict = ctx.dictionaries.get(id);
        if (!dict) throw corrupt(path, `uses dictionary ${id} for column "${name}" before defining it`);
        const idx = intView(bufs[1]!, indexBits, signed, node.length);
        const valid = node.nullCount > 0 ? bufs[0]! : null;
        const out: (string | null)[] = new Array(node.length);
        for (let i = 0; i < node.length; i++) {
          out[i] = valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0 ? null : (dict[Number(idx[i])] ?? null);
        }
        return { kind: 'values', values: out };
      },
    };
  }
  const t = field.type;
  switch (field.typeId) {
    case T.Null:
      return { column: { name, type: 'VARCHAR' }, field, buffers: 0, decode: (_c, node) => ({ kind: 'values', values: new Array<null>(node.length).fill(null) }) };
    case T.Int: {
      const bits = t?.int32(0) ?? 32;
      const signed = t?.bool(1) ?? true;
      const type = (signed ? { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' } : { 8: 'UTINYINT', 16: 'USMALLINT', 32: 'UINTEGER', 64: 'UBIGINT' })[bits as 8] as AppendType | undefined;
      if (!type) return unsupported(`Int(${bits})`);
      return fixed(type, (b, n) => ({ kind: 'fixed', values: intView(b, bits, signed, n) }));
    }
    case T.FloatingPoint: {
      const precision = t?.int16(0) ?? 2;
      if (precision === 1) return fixed('FLOAT', (b, n) => ({ kind: 'fixed', values: view(b, Float32Array, n) }));
      if (precision === 2) return fixed('DOUBLE', (b, n) => ({ kind: 'fixed', values: view(b, Float64Array, n) }));
      return unsupported('FloatingPoint(HALF)');
    }
    case T.Bool:
      return { column: { name, type: 'BOOLEAN' }, field, buffers: 2, decode: (_c, node, bufs) => withValidity({ kind: 'bits', bits: bufs[1]!, bitOffset: 0 }, bufs[0]!, node.nullCount) };
    case T.Utf8: case T.LargeUtf8: case T.Binary: case T.LargeBinary: {
      const large = field.typeId === T.LargeUtf8 || field.typeId === T.LargeBinary;
      const text = field.typeId === T.Utf8 || field.typeId === T.LargeUtf8;
      return {
        column: { name, type: text ? 'VARCHAR' : 'BLOB' }, field, buffers: 3,
        decode: (_c, node, bufs) => ({ kind: 'values', values: decodeVarBinary(bufs, node, large, text, name, path) }),
      };
    }
    case T.Date: {
      const unit = t?.int16(0, 1) ?? 1;
      if (unit === 0) return fixed('DATE', (b, n) => ({ kind: 'fixed', values: view(b, Int32Array, n) }));
      return fixed('DATE', (b, n) => {
        const ms = view(b, BigInt64Array, n);
        const days = new Int32Array(n);
        for (let i = 0; i < n; i++) days[i] = Math.floor(Number(ms[i]) / 86_400_000);
        return { kind: 'fixed', values: days };
      });
    }
    case T.Timestamp: {
      const unit = t?.int16(0) ?? 0;
      const tz = t?.string(1) ?? null;
      if (tz) {
        // TIMESTAMPTZ is stored in microseconds: scale whatever unit the file uses.
        return fixed('TIMESTAMPTZ', (b, n) => ({ kind: 'fixed', values: toMicros(view(b, BigInt64Array, n), unit) }));
      }
      const type: AppendType = (['TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMP_NS'] as const)[unit] ?? 'TIMESTAMP';
      return fixed(type, (b, n) => ({ kind: 'fixed', values: view(b, BigInt64Array, n) }));
    }
    case T.Decimal: {
      const precision = t?.int32(0) ?? 38;
      const scale = t?.int32(1) ?? 0;
      const bitWidth = t?.int32(2, 128) ?? 128;
      if (bitWidth !== 128) return unsupported(`Decimal${bitWidth}`);
      return {
        column: { name, type: 'VARCHAR', castTo: `DECIMAL(${Math.min(precision, 38)}, ${scale})` }, field, buffers: 2,
        decode: (_c, node, bufs) => ({ kind: 'values', values: decodeDecimals(bufs[1]!, bufs[0]!, node, scale) }),
      };
    }
    default:
      return unsupported(TYPE_NAMES[field.typeId] ?? `#${field.typeId}`);
  }
}

async function* readBatches(path: string, plans: Plan[], blocks: Layout['blocks'], streamStart: number, isFile: boolean): AsyncGenerator<ColumnBatch> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  const ctx: BatchContext = { dictionaries: new Map() };
  try {
    const size = (await fh.stat()).size;
    const messages = async function* (): AsyncGenerator<Message> {
      if (isFile) {
        for (const b of blocks) {
          const m = await readMessage(fh, path, b.offset, size);
          if (m) yield m;
        }
        return;
      }
      let at = streamStart;
      while (true) {
        const m = await readMessage(fh, path, at, size);
        if (!m) return;
        yield m;
        at = m.next;
      }
    };
    let batchNo = 0;
    for await (const m of messages()) {
      if (!m.header) continue;
      if (m.headerType === HEADER_DICTIONARY) {
        const data = m.header.table(1);
        if (!data) continue;
        const id = m.header.int64(0);
        const body = await readAt(fh, path, m.bodyOffset, m.bodyLength);
        const values = decodeDictionary(data, body, path);
        if (m.header.bool(2)) ctx.dictionaries.set(id, [...(ctx.dictionaries.get(id) ?? []), ...values]);
        else ctx.dictionaries.set(id, values);
      } else if (m.headerType === HEADER_RECORD_BATCH) {
        batchNo++;
        const body = await readAt(fh, path, m.bodyOffset, m.bodyLength);
        yield decodeRecordBatch(m.header, body, plans, ctx, path, batchNo);
      }
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

function decodeRecordBatch(rb: Table, body: Uint8Array, plans: Plan[], ctx: BatchContext, path: string, batchNo: number): ColumnBatch {
  if (rb.table(3)) {
    throw new DataError(`Arrow file ${path} is compressed (record batch ${batchNo}); Sluice reads uncompressed Arrow IPC only`, {
      code: 'UNSUPPORTED_COMPRESSION', context: { file: path }, hint: 'Write the file without compression (for example compression=None in pyarrow), or as Parquet.',
    });
  }
  const length = rb.int64(0);
  const nodes = structs(rb, 1, 16).map((p) => ({ length: Number(rb.dv.getBigInt64(p, true)), nullCount: Number(rb.dv.getBigInt64(p + 8, true)) }));
  const buffers = structs(rb, 2, 16).map((p) => {
    const offset = Number(rb.dv.getBigInt64(p, true));
    const len = Number(rb.dv.getBigInt64(p + 8, true));
    if (offset + len > body.byteLength) throw corrupt(path, `has a buffer past the end of record batch ${batchNo}`);
    return body.subarray(offset, offset + len);
  });
  let b = 0;
  const columns = plans.map((plan, i) => {
    const node = nodes[i];
    if (!node) throw corrupt(path, `has fewer field nodes than columns in record batch ${batchNo}`);
    if (node.length !== length) throw corrupt(path, `column "${plan.column.name}" has ${node.length} rows in record batch ${batchNo}, the batch ${length}`);
    const bufs = buffers.slice(b, b + plan.buffers);
    b += plan.buffers;
    return plan.decode(ctx, node, bufs);
  });
  return { length, columns };
}

function decodeDictionary(rb: Table, body: Uint8Array, path: string): (string | null)[] {
  const nodes = structs(rb, 1, 16).map((p) => ({ length: Number(rb.dv.getBigInt64(p, true)), nullCount: Number(rb.dv.getBigInt64(p + 8, true)) }));
  const bufs = structs(rb, 2, 16).map((p) => body.subarray(Number(rb.dv.getBigInt64(p, true)), Number(rb.dv.getBigInt64(p, true)) + Number(rb.dv.getBigInt64(p + 8, true))));
  const node = nodes[0];
  if (!node || bufs.length < 3) throw corrupt(path, 'has a dictionary batch without text values');
  // Large offsets are 8 bytes per value: tell the two apart by the offsets buffer's size.
  const large = bufs[1]!.byteLength >= (node.length + 1) * 8 && bufs[1]!.byteLength !== (node.length + 1) * 4;
  return decodeVarBinary(bufs, node, large, true, 'dictionary', path) as (string | null)[];
}

function decodeVarBinary(bufs: Uint8Array[], node: { length: number; nullCount: number }, large: boolean, text: boolean, column: string, path: string): (string | Uint8Array | null)[] {
  const valid = node.nullCount > 0 ? bufs[0]! : null;
  const offsets = large ? view(bufs[1]!, BigInt64Array, node.length + 1) : view(bufs[1]!, Int32Array, node.length + 1);
  const data = bufs[2]!;
  const out: (string | Uint8Array | null)[] = new Array(node.length);
  for (let i = 0; i < node.length; i++) {
    if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) { out[i] = null; continue; }
    const bytes = data.subarray(Number(offsets[i]), Number(offsets[i + 1]));
    if (!text) { out[i] = bytes.slice(); continue; }
    try {
      out[i] = utf8.decode(bytes);
    } catch (err) {
      throw new DataError(`Column "${column}" of Arrow file ${path} has invalid UTF-8 at row ${i + 1} of a record batch`, {
        code: 'INVALID_UTF8', cause: err, context: { file: path, column }, hint: 'Declare the column as binary in the writer, or fix its encoding.',
      });
    }
  }
  return out;
}

function decodeDecimals(data: Uint8Array, validity: Uint8Array, node: { length: number; nullCount: number }, scale: number): (string | null)[] {
  const words = view(data, BigUint64Array, node.length * 2);
  const out: (string | null)[] = new Array(node.length);
  for (let i = 0; i < node.length; i++) {
    if (node.nullCount > 0 && ((validity[i >> 3]! >> (i & 7)) & 1) === 0) { out[i] = null; continue; }
    const v = BigInt.asIntN(128, (words[2 * i + 1]! << 64n) | words[2 * i]!);
    const neg = v < 0n;
    let digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
    if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    out[i] = neg ? `-${digits}` : digits;
  }
  return out;
}

function withValidity(col: BatchColumn, validity: Uint8Array, nullCount: number): BatchColumn {
  if (nullCount === 0 || col.kind === 'values') return col;
  return { ...col, validity, validityOffset: 0 };
}

function structs(t: Table, slot: number, size: number): number[] {
  const { start, length } = t.vector(slot);
  return Array.from({ length }, (_, i) => start + i * size);
}

type ViewCtor<A> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): A; BYTES_PER_ELEMENT: number };

/** A typed view of `n` elements; copies when the buffer is not aligned for the element size. */
function view<A>(b: Uint8Array, Ctor: ViewCtor<A>, n: number): A {
  const need = n * Ctor.BYTES_PER_ELEMENT;
  if (b.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 && b.byteLength >= need) return new Ctor(b.buffer, b.byteOffset, n);
  const copy = new Uint8Array(need);
  copy.set(b.subarray(0, Math.min(need, b.byteLength)));
  return new Ctor(copy.buffer, 0, n);
}

function intView(b: Uint8Array, bits: number, signed: boolean, n: number): Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
  switch (bits) {
    case 8: return signed ? view(b, Int8Array, n) : view(b, Uint8Array, n);
    case 16: return signed ? view(b, Int16Array, n) : view(b, Uint16Array, n);
    case 32: return signed ? view(b, Int32Array, n) : view(b, Uint32Array, n);
    default: return signed ? view(b, BigInt64Array, n) : view(b, BigUint64Array, n);
  }
}

function toMicros(v: BigInt64Array, unit: number): BigInt64Array {
  if (unit === 2) return v;
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = unit === 0 ? v[i]! * 1_000_000n : unit === 1 ? v[i]! * 1000n : v[i]! / 1000n;
  return out;
}

async function readAt(fh: FileHandle, path: string, offset: number, length: number): Promise<Uint8Array> {
  // A fresh ArrayBuffer keeps buffers 8-byte aligned (Arrow aligns within the body), so views need no copy.
  const out = new Uint8Array(new ArrayBuffer(length));
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await fh.read(out, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (err) {
    throw fileError(path, err);
  }
  if (got < length) throw corrupt(path, `ended at byte ${offset + got} while ${length} bytes were expected at ${offset} (truncated, or changed while reading?)`);
  return out;
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

function corrupt(path: string, what: string): DataError {
  return new DataError(`Arrow file ${path} ${what}`, { code: 'CORRUPT_FILE', context: { file: path }, hint: 'Check that the file is a complete Arrow IPC file or stream (not Feather v1, not Parquet).' });
}

function fileError(path: string, err: unknown): DataError {
  const code = (err as { code?: string }).code;
  const message = code === 'ENOENT' ? `Arrow file ${path} does not exist (or disappeared while reading)` : `Could not read Arrow file ${path}: ${err instanceof Error ? err.message : String(err)}`;
  return new DataError(message, { code: code === 'ENOENT' ? 'FILE_GONE' : 'IO', cause: err, context: { file: path }, hint: 'Check the path; if the file is being replaced, retry once it is complete.' });
}
