/**
 * A small Arrow IPC *stream* writer for tests: a flatbuffer serializer for the handful of tables the
 * format needs (Message, Schema, Field, types, RecordBatch, DictionaryBatch), so the reader can be tested
 * on text, nulls, booleans, timestamps, dates, decimals and dictionaries without pyarrow.
 */
type Scalar = { k: 'u8' | 'bool'; v: number } | { k: 'i16'; v: number } | { k: 'i32'; v: number } | { k: 'i64'; v: bigint };
type Ref = { k: 'ref'; v: Obj };
type Field = Scalar | Ref | null;
type Obj = { t: 'table'; fields: Field[] } | { t: 'string'; s: string } | { t: 'tables'; items: Obj[] } | { t: 'structs'; bytes: Uint8Array };

const SIZE = { u8: 1, bool: 1, i16: 2, i32: 4, i64: 8, ref: 4 } as const;

class Out {
  buf = new Uint8Array(1 << 16);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  pad(align: number, rem = 0): void { while (this.len % align !== rem) { this.ensure(1); this.buf[this.len++] = 0; } }
  dv(): DataView { return new DataView(this.buf.buffer); }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length; }
}

function serialize(root: Obj): Uint8Array {
  const out = new Out();
  out.bytes(new Uint8Array(8));
  const pending: { at: number; obj: Obj }[] = [];
  const patch = (at: number, target: number): void => { out.dv().setUint32(at, target - at, true); };
  pending.push({ at: 0, obj: root });
  while (pending.length) {
    const { at, obj } = pending.shift()!;
    patch(at, write(obj));
  }
  return out.buf.slice(0, out.len);

  function write(obj: Obj): number {
    if (obj.t === 'string') {
      out.pad(4);
      const pos = out.len;
      const b = new TextEncoder().encode(obj.s);
      out.ensure(4); out.dv().setUint32(out.len, b.length, true); out.len += 4;
      out.bytes(b); out.bytes(new Uint8Array([0]));
      return pos;
    }
    if (obj.t === 'structs') {
      out.pad(8, 4);
      const pos = out.len;
      out.ensure(4); out.dv().setUint32(out.len, obj.bytes.length / 16, true); out.len += 4;
      out.bytes(obj.bytes);
      return pos;
    }
    if (obj.t === 'tables') {
      out.pad(4);
      const pos = out.len;
      out.ensure(4 + 4 * obj.items.length);
      out.dv().setUint32(out.len, obj.items.length, true); out.len += 4;
      for (const item of obj.items) { pending.push({ at: out.len, obj: item }); out.len += 4; }
      return pos;
    }
    // Table: vtable first, then the table (8-aligned), fields laid out by decreasing size.
    const slots = obj.fields.map((f, i) => ({ f, i })).filter((x): x is { f: Scalar | Ref; i: number } => x.f !== null);
    slots.sort((a, b) => SIZE[b.f.k] - SIZE[a.f.k]);
    const offsets = new Map<number, number>();
    let o = 4;
    for (const { f, i } of slots) { const s = SIZE[f.k]; o = Math.ceil(o / s) * s; offsets.set(i, o); o += s; }
    const tableSize = Math.ceil(o / 4) * 4;
    out.pad(2);
    const vt = out.len;
    const vtSize = 4 + 2 * obj.fields.length;
    out.ensure(vtSize);
    out.dv().setUint16(vt, vtSize, true); out.dv().setUint16(vt + 2, tableSize, true);
    obj.fields.forEach((_, i) => out.dv().setUint16(vt + 4 + 2 * i, offsets.get(i) ?? 0, true));
    out.len += vtSize;
    out.pad(8);
    const pos = out.len;
    out.ensure(tableSize);
    out.buf.fill(0, pos, pos + tableSize);
    out.dv().setInt32(pos, pos - vt, true);
    for (const { f, i } of slots) {
      const at = pos + offsets.get(i)!;
      switch (f.k) {
        case 'u8': case 'bool': out.dv().setUint8(at, f.v); break;
        case 'i16': out.dv().setInt16(at, f.v, true); break;
        case 'i32': out.dv().setInt32(at, f.v, true); break;
        case 'i64': out.dv().setBigInt64(at, f.v, true); break;
        case 'ref': pending.push({ at, obj: f.v }); break;
      }
    }
    out.len += tableSize;
    return pos;
  }
}

const table = (...fields: Field[]): Obj => ({ t: 'table', fields });
const ref = (v: Obj): Ref => ({ k: 'ref', v });
const i16 = (v: number): Scalar => ({ k: 'i16', v });
const i32 = (v: number): Scalar => ({ k: 'i32', v });
const i64 = (v: number | bigint): Scalar => ({ k: 'i64', v: BigInt(v) });
const u8 = (v: number): Scalar => ({ k: 'u8', v });
const bool = (v: boolean): Scalar => ({ k: 'bool', v: v ? 1 : 0 });
const str = (s: string): Ref => ref({ t: 'string', s });

export type ArrowTestColumn =
  | { name: string; type: 'int32' | 'int64' | 'float64'; values: (number | null)[] }
  | { name: string; type: 'bool'; values: (boolean | null)[] }
  | { name: string; type: 'utf8'; values: (string | null)[]; dictionary?: boolean }
  | { name: string; type: 'timestamp_ms'; values: (number | null)[]; timezone?: string }
  | { name: string; type: 'date32'; values: (number | null)[] }
  | { name: string; type: 'decimal'; precision: number; scale: number; values: (bigint | null)[] };

const TYPE_ID = { int32: 2, int64: 2, float64: 3, bool: 6, utf8: 5, timestamp_ms: 10, date32: 8, decimal: 7 } as const;

function typeTable(c: ArrowTestColumn): Obj {
  switch (c.type) {
    case 'int32': return table(i32(32), bool(true));
    case 'int64': return table(i32(64), bool(true));
    case 'float64': return table(i16(2));
    case 'bool': case 'utf8': return table();
    case 'timestamp_ms': return table(i16(1), c.timezone ? str(c.timezone) : null);
    case 'date32': return table(i16(0));
    case 'decimal': return table(i32(c.precision), i32(c.scale), i32(128));
  }
}

/** One message: continuation, length, flatbuffer (8-aligned), body. */
function message(headerType: number, header: Obj, body: Uint8Array): Uint8Array {
  let fb = serialize(table(i16(4), u8(headerType), ref(header), i64(body.length)));
  const padded = Math.ceil((fb.length + 8) / 8) * 8 - 8;
  const meta = new Uint8Array(padded);
  meta.set(fb);
  fb = meta;
  const out = new Uint8Array(8 + fb.length + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xffffffff, true);
  dv.setInt32(4, fb.length, true);
  out.set(fb, 8);
  out.set(body, 8 + fb.length);
  return out;
}

class Body {
  parts: Uint8Array[] = [];
  buffers: [number, number][] = [];
  len = 0;
  add(b: Uint8Array): void {
    const padded = Math.ceil(b.length / 8) * 8;
    const p = new Uint8Array(padded);
    p.set(b);
    this.buffers.push([this.len, b.length]);
    this.parts.push(p);
    this.len += padded;
  }
  bytes(): Uint8Array { const out = new Uint8Array(this.len); let o = 0; for (const p of this.parts) { out.set(p, o); o += p.length; } return out; }
  structs(): Uint8Array { const b = new Uint8Array(16 * this.buffers.length); const dv = new DataView(b.buffer); this.buffers.forEach(([o, l], i) => { dv.setBigInt64(16 * i, BigInt(o), true); dv.setBigInt64(16 * i + 8, BigInt(l), true); }); return b; }
}

function validity(values: readonly unknown[]): Uint8Array {
  const b = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v !== null) b[i >> 3]! |= 1 << (i & 7); });
  return b;
}

function utf8Buffers(body: Body, values: readonly (string | null)[]): void {
  body.add(validity(values));
  const enc = values.map((v) => new TextEncoder().encode(v ?? ''));
  const offsets = new Int32Array(values.length + 1);
  enc.forEach((e, i) => { offsets[i + 1] = offsets[i]! + e.length; });
  body.add(new Uint8Array(offsets.buffer));
  const data = new Uint8Array(offsets[values.length]!);
  enc.forEach((e, i) => data.set(e, offsets[i]!));
  body.add(data);
}

function nodes(list: [number, number][]): Obj {
  const b = new Uint8Array(16 * list.length);
  const dv = new DataView(b.buffer);
  list.forEach(([len, nulls], i) => { dv.setBigInt64(16 * i, BigInt(len), true); dv.setBigInt64(16 * i + 8, BigInt(nulls), true); });
  return { t: 'structs', bytes: b };
}

/** An Arrow IPC stream with one record batch (and a dictionary batch per dictionary column). */
export function arrowStream(columns: ArrowTestColumn[]): Uint8Array {
  const fields = columns.map((c, i) => table(
    str(c.name), bool(true), u8(TYPE_ID[c.type]), ref(typeTable(c)),
    c.type === 'utf8' && c.dictionary ? ref(table(i64(i), ref(table(i32(32), bool(true))), bool(false))) : null,
    ref({ t: 'tables', items: [] }),
  ));
  const messages: Uint8Array[] = [message(1, table(i16(0), ref({ t: 'tables', items: fields })), new Uint8Array(0))];
  const n = columns[0]?.values.length ?? 0;
  const body = new Body();
  const nodeList: [number, number][] = [];
  columns.forEach((c, ci) => {
    const nulls = c.values.filter((v) => v === null).length;
    nodeList.push([n, nulls]);
    if (c.type === 'utf8' && c.dictionary) {
      const dict = [...new Set(c.values.filter((v): v is string => v !== null))];
      const dbody = new Body();
      utf8Buffers(dbody, dict);
      const batch = table(i64(dict.length), ref(nodes([[dict.length, 0]])), ref({ t: 'structs', bytes: dbody.structs() }));
      messages.push(message(2, table(i64(ci), ref(batch), bool(false)), dbody.bytes()));
      body.add(validity(c.values));
      body.add(new Uint8Array(Int32Array.from(c.values.map((v) => (v === null ? 0 : dict.indexOf(v)))).buffer));
      return;
    }
    switch (c.type) {
      case 'utf8': utf8Buffers(body, c.values); break;
      case 'int32': case 'date32': body.add(validity(c.values)); body.add(new Uint8Array(Int32Array.from(c.values.map((v) => v ?? 0)).buffer)); break;
      case 'int64': case 'timestamp_ms': body.add(validity(c.values)); body.add(new Uint8Array(BigInt64Array.from(c.values.map((v) => BigInt(v ?? 0))).buffer)); break;
      case 'float64': body.add(validity(c.values)); body.add(new Uint8Array(Float64Array.from(c.values.map((v) => v ?? 0)).buffer)); break;
      case 'bool': {
        body.add(validity(c.values));
        const bits = new Uint8Array(Math.ceil(n / 8));
        c.values.forEach((v, i) => { if (v) bits[i >> 3]! |= 1 << (i & 7); });
        body.add(bits);
        break;
      }
      case 'decimal': {
        body.add(validity(c.values));
        const words = new BigUint64Array(2 * n);
        c.values.forEach((v, i) => { const x = BigInt.asUintN(128, v ?? 0n); words[2 * i] = x & 0xffffffffffffffffn; words[2 * i + 1] = x >> 64n; });
        body.add(new Uint8Array(words.buffer));
        break;
      }
    }
  });
  const rb = table(i64(n), ref(nodes(nodeList)), ref({ t: 'structs', bytes: body.structs() }));
  messages.push(message(3, rb, body.bytes()));
  const eos = new Uint8Array(8);
  new DataView(eos.buffer).setUint32(0, 0xffffffff, true);
  messages.push(eos);
  const total = messages.reduce((a, m) => a + m.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const m of messages) { out.set(m, o); o += m.length; }
  return out;
}
