/**
 * The framing shared by the tree-ensemble artifacts (gbdt "SLGB", random forest "SLRF"): a small
 * JSON header plus typed arrays, in one byte string. Each format keeps its own magic, version,
 * header fields and error wording; only the mechanics live here, so both stay byte-for-byte what
 * they were.
 *
 * Layout (little-endian):
 *   0  magic                        4 ASCII bytes
 *   4  uint32 format version
 *   8  uint32 header length h
 *   12 header: UTF-8 JSON           the format's fields, then `arrays`, the array table
 *   .. zero padding to a multiple of 8
 *   .. arrays, each 8-byte aligned, located by the table as [type, byteOffset, length]
 *
 * Also here: packing trees into per-node arrays (flags: bit 0 categorical split, bit 1 default
 * left; only categorical splits store their left-set bitsets, numeric ones are rebuilt from
 * threshold and default direction) and bin mappers into header entries plus two Float64 arrays.
 *
 * @example
 * const bytes = writeArtifact(format, { task }, [['nodeCounts', counts]]);
 * const { header, array } = readArtifact<{ task: string }>(bytes, format);
 * const counts = array<Int32Array>('nodeCounts');
 */
import { DataError } from '../../core/errors.ts';
import type { BinMapper } from './binning.ts';
import { numericLeftBits, type Tree } from './tree.ts';

type ArrayType = 'i32' | 'u8' | 'u32' | 'f64';
export type Typed = Int32Array | Uint8Array | Uint32Array | Float64Array;
type ArrayTable = Record<string, [ArrayType, number, number]>;

const SIZES: Record<ArrayType, number> = { i32: 4, u8: 1, u32: 4, f64: 8 };

/** What tells one artifact kind from another, and how its errors read. */
export interface ArtifactFormat {
  magic: string;
  /** The version written. */
  version: number;
  /** Older versions this code still reads (default none). */
  reads?: readonly number[];
  /** Names the model in the platform error, e.g. 'gbdt' or 'random forest'. */
  label: string;
  /** Builds the format's "not a valid artifact" error (its own wording and code). */
  bad: (why: string) => DataError;
}

function requireLittleEndian(format: ArtifactFormat): void {
  // Typed arrays are written and read in platform byte order; the format is little-endian.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new DataError(`${format.label} serialization needs a little-endian platform`);
  }
}

function typeOf(a: Typed): ArrayType {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint32Array) return 'u32';
  return 'f64';
}

/**
 * Frames `header` and `arrays` (laid out in the order given; the table goes into the header as
 * its last field, `arrays`).
 */
export function writeArtifact(format: ArtifactFormat, header: object, arrays: readonly (readonly [string, Typed])[], version = format.version): Uint8Array {
  requireLittleEndian(format);
  const table: ArrayTable = {};
  let off = 0;
  for (const [name, a] of arrays) {
    table[name] = [typeOf(a), off, a.length];
    off += Math.ceil(a.byteLength / 8) * 8;
  }
  const json = new TextEncoder().encode(JSON.stringify({ ...header, arrays: table }));
  const bodyStart = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(bodyStart + off);
  out.set(new TextEncoder().encode(format.magic), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, version, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  for (const [name, a] of arrays) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), bodyStart + table[name]![1]);
  return out;
}

export interface Artifact<H> {
  header: H;
  /** The format version of these bytes. */
  version: number;
  /** Whether the named array is present. */
  has: (name: string) => boolean;
  /** The named array, copied out; a format error when missing, mistyped or past the end. */
  array: <T extends Typed>(name: string) => T;
}

/**
 * Checks the framing and parses the header. Arrays are read on demand, so the caller can
 * validate its header fields first.
 */
export function readArtifact<H>(bytes: Uint8Array, format: ArtifactFormat): Artifact<H> {
  requireLittleEndian(format);
  const { bad } = format;
  if (!(bytes instanceof Uint8Array) || bytes.length < 12) throw bad('too short');
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== format.magic) throw bad('wrong magic bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  const readable = [...(format.reads ?? []), format.version];
  if (!readable.includes(version)) throw bad(`format version ${version}, this Sluice reads version ${readable.join(' and ')}`);
  const hlen = view.getUint32(8, true);
  if (12 + hlen > bytes.length) throw bad('truncated header');
  let header: H & { arrays: ArrayTable };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as H & { arrays: ArrayTable };
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  const bodyStart = Math.ceil((12 + hlen) / 8) * 8;
  const array = <T extends Typed>(name: string): T => {
    const entry = header.arrays[name];
    if (!entry) throw bad(`array ${name} missing`);
    const [type, off, len] = entry;
    const size = SIZES[type];
    if (size === undefined) throw bad(`array ${name} has unknown type ${type}`);
    const start = bodyStart + off;
    if (start + len * size > bytes.length) throw bad(`array ${name} runs past the end`);
    // Copied into its own buffer: the input may sit at any alignment.
    const copy = bytes.slice(start, start + len * size).buffer;
    if (type === 'i32') return new Int32Array(copy) as T;
    if (type === 'u8') return new Uint8Array(copy) as T;
    if (type === 'u32') return new Uint32Array(copy) as T;
    return new Float64Array(copy) as T;
  };
  return { header, version, has: (name) => header.arrays[name] !== undefined, array };
}

/** Trees as concatenated per-node arrays; `nodeCounts` splits them back into trees. */
export interface PackedTrees {
  nodeCounts: Int32Array;
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  threshold: Int32Array;
  flags: Uint8Array;
  value: Float64Array;
  cover: Float64Array;
  gain: Float64Array;
  catBits: Uint32Array;
}

export function packTrees(trees: readonly Tree[]): PackedTrees {
  const total = trees.reduce((s, t) => s + t.numNodes, 0);
  const p: PackedTrees = {
    nodeCounts: Int32Array.from(trees, (t) => t.numNodes),
    feature: new Int32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    threshold: new Int32Array(total),
    flags: new Uint8Array(total),
    value: new Float64Array(total),
    cover: new Float64Array(total),
    gain: new Float64Array(total),
    catBits: new Uint32Array(0),
  };
  const catWords: number[] = [];
  let at = 0;
  for (const t of trees) {
    p.feature.set(t.feature, at);
    p.left.set(t.left, at);
    p.right.set(t.right, at);
    p.threshold.set(t.threshold, at);
    p.value.set(t.value, at);
    p.cover.set(t.cover, at);
    p.gain.set(t.gain, at);
    for (let i = 0; i < t.numNodes; i++) {
      p.flags[at + i] = (t.categorical[i] ? 1 : 0) | (t.defaultLeft[i] ? 2 : 0);
      if (t.categorical[i] && t.left[i]! >= 0) for (let w = 0; w < 8; w++) catWords.push(t.leftBits[8 * i + w]!);
    }
    at += t.numNodes;
  }
  p.catBits = Uint32Array.from(catWords);
  return p;
}

/** Reads the packed node arrays except `value`, which each format stores its own way. */
export function readPackedTrees(art: Artifact<unknown>): Omit<PackedTrees, 'value'> {
  return {
    nodeCounts: art.array('nodeCounts'),
    feature: art.array('feature'),
    left: art.array('left'),
    right: art.array('right'),
    threshold: art.array('threshold'),
    flags: art.array('flags'),
    cover: art.array('cover'),
    gain: art.array('gain'),
    catBits: art.array('catBits'),
  };
}

export interface UnpackOptions {
  /** Node values of the tree whose nodes start at `at`. */
  value: (at: number, count: number) => Float64Array;
  /** Also require every child to lie after its parent and inside its tree. */
  checkChildren?: boolean;
}

/** Rebuilds trees, validating feature indices and bitset counts against `numBins` (one per feature). */
export function unpackTrees(p: Omit<PackedTrees, 'value'>, nb: Int32Array, bad: (why: string) => DataError, opts: UnpackOptions): Tree[] {
  const trees: Tree[] = [];
  let at = 0;
  let cat = 0;
  for (const count of p.nodeCounts) {
    if (at + count > p.feature.length) throw bad('node counts exceed the node arrays');
    const t: Tree = {
      numNodes: count,
      feature: p.feature.slice(at, at + count),
      left: p.left.slice(at, at + count),
      right: p.right.slice(at, at + count),
      threshold: p.threshold.slice(at, at + count),
      categorical: new Uint8Array(count),
      defaultLeft: new Uint8Array(count),
      leftBits: new Uint32Array(8 * count),
      value: opts.value(at, count),
      cover: p.cover.slice(at, at + count),
      gain: p.gain.slice(at, at + count),
    };
    for (let i = 0; i < count; i++) {
      const fl = p.flags[at + i]!;
      t.categorical[i] = fl & 1;
      t.defaultLeft[i] = (fl >> 1) & 1;
      if (t.left[i]! < 0) continue;
      const f = t.feature[i]!;
      if (f < 0 || f >= nb.length) throw bad(`node splits on feature ${f} of ${nb.length}`);
      if (opts.checkChildren && (t.left[i]! >= count || t.right[i]! >= count || t.left[i]! <= i || t.right[i]! <= i)) {
        throw bad(`node ${i} has children outside its tree`);
      }
      if (fl & 1) {
        if (cat + 8 > p.catBits.length) throw bad('categorical bitsets run short');
        t.leftBits.set(p.catBits.subarray(cat, cat + 8), 8 * i);
        cat += 8;
      } else {
        numericLeftBits(t.threshold[i]!, (fl & 2) !== 0, nb[f]!, t.leftBits, 8 * i);
      }
    }
    trees.push(t);
    at += count;
  }
  return trees;
}

export interface FeatureHeader {
  name: string;
  kind: 'numeric' | 'categorical';
  source?: 'string' | 'number';
  /** numeric: [offset, length] into `edges`; number categories: into `categoryCodes`. */
  range?: [number, number];
  categories?: string[];
}

/** Header entries for the mappers; numeric edges and number category codes go to two arrays. */
export function mapperHeaders(mappers: readonly BinMapper[]): { features: FeatureHeader[]; edges: Float64Array; categoryCodes: Float64Array } {
  const edges: number[] = [];
  const codes: number[] = [];
  const features = mappers.map((m): FeatureHeader => {
    if (m.kind === 'numeric') {
      const h: FeatureHeader = { name: m.name, kind: 'numeric', range: [edges.length, m.edges.length] };
      edges.push(...m.edges);
      return h;
    }
    if (m.source === 'string') return { name: m.name, kind: 'categorical', source: 'string', categories: [...(m.categories as readonly string[])] };
    const h: FeatureHeader = { name: m.name, kind: 'categorical', source: 'number', range: [codes.length, m.categories.length] };
    codes.push(...(m.categories as Float64Array));
    return h;
  });
  return { features, edges: Float64Array.from(edges), categoryCodes: Float64Array.from(codes) };
}

export function mappersFromHeaders(features: readonly FeatureHeader[], edges: Float64Array, codes: Float64Array): BinMapper[] {
  return features.map((f): BinMapper => {
    if (f.kind === 'numeric') return { kind: 'numeric', name: f.name, edges: edges.slice(f.range![0], f.range![0] + f.range![1]) };
    if (f.source === 'string') return { kind: 'categorical', name: f.name, source: 'string', categories: f.categories ?? [] };
    return { kind: 'categorical', name: f.name, source: 'number', categories: codes.slice(f.range![0], f.range![0] + f.range![1]) };
  });
}

