/**
 * Dictionary-encodes DuckDB VARCHAR vectors as they stream in, without a JavaScript string per row.
 *
 * A VARCHAR vector is an array of 16-byte records: a 4-byte length, then either the bytes themselves
 * (up to 12, zero-padded: "inlined") or a 4-byte prefix and a pointer to the bytes. Short strings are
 * looked up by their record in an open-addressing hash table, so a string is decoded only the first time
 * its value is seen; strings of at most 3 bytes (codes, flags, abbreviations: the commonest categories)
 * fit length and bytes in one 32-bit key and have a table of their own, one comparison a row. Long strings are read once per distinct pointer in each chunk (values from a
 * dictionary-encoded Parquet column or a join share one pointer per value) and looked up by text.
 *
 * `finish` returns the dictionary in code-point order (UTF-8 byte order, DuckDB's own VARCHAR order)
 * with codes renumbered to match, and -1 for null.
 */
import { BlockedArray } from './blocked-array.ts';

/**
 * The text of the long string (over 12 bytes, `len` of them) whose record starts at byte `offset` of the
 * records given to `append`: the record points into DuckDB's memory, which only the thread holding the
 * chunk can read (see `extract.ts`).
 */
export type LongString = (offset: number, len: number) => string;

const INLINE_BYTES = 12;
const decoder = new TextDecoder();

export class TextColumnEncoder {
  readonly #codes: BlockedArray<Int32Array>;
  /** Distinct values in first-seen order; a value's code is its index. */
  readonly #values: string[] = [];
  /** UTF-8 byte length of each code's value (to trust a cached pointer only for the same length). */
  readonly #byteLengths: number[] = [];
  /** Short strings: slot -> code + 1 (0 is empty), and each slot's record (length, 3 inline words; the hash is in `append`). */
  #slots = new Int32Array(1024);
  #slotKeys = new Int32Array(4 * 1024);
  #shortCount = 0;
  /** Strings of 0-3 bytes: slot -> code + 1 (0 is empty), and each slot's key (bytes | length << 24). */
  #tinySlots = new Int32Array(256);
  #tinyKeys = new Int32Array(256);
  #tinyCount = 0;
  readonly #long = new Map<string, number>();

  /** `expected`: the row count when known in advance (the codes are then written in place). */
  constructor(expected?: number) {
    this.#codes = new BlockedArray((n) => new Int32Array(n), expected);
  }

  /**
   * Encodes `n` values of a VARCHAR vector: `data` is its `n` 16-byte records and `validity` its validity
   * words (null when no value is null), both as the bindings copy them out; `long` reads a long string.
   */
  append(data: Uint8Array, validity: Uint8Array | null, n: number, long: LongString): void {
    // Int32 words keep the loop in small integers (a Uint32 view yields doubles above 2^31).
    const records = data.byteOffset % 4 === 0
      ? new Int32Array(data.buffer, data.byteOffset, n * 4)
      : new Int32Array(data.slice(0, n * 16).buffer);
    const valid = validity === null ? null : new Int32Array(validity.slice().buffer);
    const at = this.#codes.reserve(n);
    const out = this.#codes.block;
    let slots = this.#slots;
    let keys = this.#slotKeys;
    let mask = slots.length - 1;
    let tinySlots = this.#tinySlots;
    let tinyKeys = this.#tinyKeys;
    let tinyMask = tinySlots.length - 1;
    // Pointer -> code for this chunk only: DuckDB may reuse the memory of a chunk's strings in the next.
    let pointers: Map<number, number> | null = null;
    for (let i = 0; i < n; i++) {
      if (valid !== null && ((valid[i >>> 5]! >>> (i & 31)) & 1) === 0) {
        out[at + i] = -1;
        continue;
      }
      const r = i << 2;
      const len = records[r]!;
      if (len <= 3) {
        const key = (records[r + 1]! & ~(-1 << (len << 3))) | (len << 24);
        let h = Math.imul(key, 0x9e3779b1);
        h ^= h >>> 16;
        let s = h & tinyMask;
        while (true) {
          const entry = tinySlots[s]!;
          if (entry === 0) {
            out[at + i] = this.#insertTiny(s, key, records, r + 1, len);
            tinySlots = this.#tinySlots;
            tinyKeys = this.#tinyKeys;
            tinyMask = tinySlots.length - 1;
            break;
          }
          if (tinyKeys[s] === key) {
            out[at + i] = entry - 1;
            break;
          }
          s = (s + 1) & tinyMask;
        }
      } else if (len <= INLINE_BYTES) {
        // The inline bytes are zero-padded by DuckDB; masking by length makes the key exact regardless.
        const w1 = records[r + 1]!;
        const w2 = len <= 4 ? 0 : records[r + 2]! & (len >= 8 ? -1 : ~(-1 << ((len - 4) << 3)));
        const w3 = len <= 8 ? 0 : records[r + 3]! & (len >= 12 ? -1 : ~(-1 << ((len - 8) << 3)));
        let h = Math.imul(len ^ w1, 0x9e3779b1);
        h = Math.imul(h ^ (h >>> 15) ^ w2, 0x85ebca77);
        h = Math.imul(h ^ (h >>> 13) ^ w3, 0xc2b2ae3d);
        h ^= h >>> 16;
        let s = h & mask;
        while (true) {
          const entry = slots[s]!;
          const k = s << 2;
          if (entry === 0) {
            out[at + i] = this.#insertShort(s, len, w1, w2, w3, records, r + 1);
            slots = this.#slots;
            keys = this.#slotKeys;
            mask = slots.length - 1;
            break;
          }
          if (keys[k] === len && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
            out[at + i] = entry - 1;
            break;
          }
          s = (s + 1) & mask;
        }
      } else {
        pointers ??= new Map();
        const pointer = (records[r + 3]! >>> 0) * 4294967296 + (records[r + 2]! >>> 0);
        const cached = pointers.get(pointer);
        if (cached !== undefined && this.#byteLengths[cached] === len) {
          out[at + i] = cached;
        } else {
          const code = this.#longCode(long(r << 2, len), len);
          pointers.set(pointer, code);
          out[at + i] = code;
        }
      }
    }
    this.#codes.commit(n);
  }

  /** A new string of 0-3 bytes at empty tiny slot `s`: decoded once, given the next code. */
  #insertTiny(s: number, key: number, records: Int32Array, word: number, len: number): number {
    const code = this.#add(decoder.decode(inlineBytes(records, word, len)), len);
    this.#tinySlots[s] = code + 1;
    this.#tinyKeys[s] = key;
    if (++this.#tinyCount * 2 > this.#tinySlots.length) {
      const oldSlots = this.#tinySlots;
      const oldKeys = this.#tinyKeys;
      const slots = new Int32Array(oldSlots.length * 2);
      const keys = new Int32Array(slots.length);
      const mask = slots.length - 1;
      for (let o = 0; o < oldSlots.length; o++) {
        if (oldSlots[o] === 0) continue;
        let h = Math.imul(oldKeys[o]!, 0x9e3779b1);
        h ^= h >>> 16;
        let t = h & mask;
        while (slots[t] !== 0) t = (t + 1) & mask;
        slots[t] = oldSlots[o]!;
        keys[t] = oldKeys[o]!;
      }
      this.#tinySlots = slots;
      this.#tinyKeys = keys;
    }
    return code;
  }

  /** A new short string at empty slot `s`: decoded once, given the next code. */
  #insertShort(s: number, len: number, w1: number, w2: number, w3: number, records: Int32Array, word: number): number {
    const code = this.#add(decoder.decode(inlineBytes(records, word, len)), len);
    this.#slots[s] = code + 1;
    this.#slotKeys.set([len, w1, w2, w3], s << 2);
    if (++this.#shortCount * 2 > this.#slots.length) this.#grow();
    return code;
  }

  #longCode(value: string, len: number): number {
    const known = this.#long.get(value);
    if (known !== undefined) return known;
    const code = this.#add(value, len);
    this.#long.set(value, code);
    return code;
  }

  #add(value: string, byteLength: number): number {
    this.#values.push(value);
    this.#byteLengths.push(byteLength);
    return this.#values.length - 1;
  }

  /** Doubles the short-string table, re-inserting every record. */
  #grow(): void {
    const oldSlots = this.#slots;
    const oldKeys = this.#slotKeys;
    const slots = new Int32Array(oldSlots.length * 2);
    const keys = new Int32Array(slots.length * 4);
    const mask = slots.length - 1;
    for (let o = 0; o < oldSlots.length; o++) {
      if (oldSlots[o] === 0) continue;
      const ok = o << 2;
      let h = Math.imul(oldKeys[ok]! ^ oldKeys[ok + 1]!, 0x9e3779b1);
      h = Math.imul(h ^ (h >>> 15) ^ oldKeys[ok + 2]!, 0x85ebca77);
      h = Math.imul(h ^ (h >>> 13) ^ oldKeys[ok + 3]!, 0xc2b2ae3d);
      h ^= h >>> 16;
      let s = h & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = oldSlots[o]!;
      keys.set(oldKeys.subarray(ok, ok + 4), s << 2);
    }
    this.#slots = slots;
    this.#slotKeys = keys;
  }

  /** The codes of all rows appended and the sorted dictionary they index. */
  finish(): { codes: Int32Array; dictionary: string[] } {
    const values = this.#values;
    const order = values.map((_, i) => i);
    order.sort((a, b) => compareCodePoints(values[a]!, values[b]!));
    if (order.every((code, rank) => code === rank)) return { codes: this.#codes.finish(), dictionary: values };
    // remap[code + 1] is the code's rank in the sorted dictionary; remap[0] keeps null at -1.
    const remap = new Int32Array(values.length + 1);
    remap[0] = -1;
    order.forEach((code, rank) => { remap[code + 1] = rank; });
    const codes = this.#codes.finish((block, out, at) => {
      for (let i = 0; i < block.length; i++) out[at + i] = remap[block[i]! + 1]!;
    });
    return { codes, dictionary: order.map((code) => values[code]!) };
  }
}

/** The `len` inline bytes of a record whose bytes start at Int32 index `word` of `records`. */
function inlineBytes(records: Int32Array, word: number, len: number): Uint8Array {
  return new Uint8Array(records.buffer, records.byteOffset + (word << 2), len);
}

/**
 * Orders strings by code point, as UTF-8 bytes order (JavaScript's `<` compares UTF-16 units, which
 * puts U+E000..U+FFFF after the surrogate pairs of U+10000 and above).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
