/**
 * The forest artifact: a small JSON header plus typed arrays, in one byte string (the same framing
 * as gbdt's artifact, with its own magic so neither loads the other by mistake).
 *
 * Layout (little-endian):
 *   0  "SLRF"                       magic
 *   4  uint32 format version (1)
 *   8  uint32 header length h
 *   12 header: UTF-8 JSON           task, classes, options, OOB score, features, array table
 *   .. zero padding to a multiple of 8
 *   .. arrays, each 8-byte aligned, located by the header's table as [type, byteOffset, length]
 *
 * Arrays: per-tree node counts; per node feature, left, right, threshold bin (Int32), flags (bit 0
 * categorical split, bit 1 default left), cover and gain (Float64); node outputs (outputs per
 * node, Float64); the left-set bitsets of categorical splits only (numeric ones are rebuilt from
 * threshold and default direction); numeric bin edges and numeric category codes. Doubles are
 * stored bit for bit, so a loaded forest predicts exactly what the fitted one did.
 *
 * @example
 * const bytes = forestToBytes(model);
 * const again = forestFromBytes(bytes);
 */
import { DataError } from '../../core/errors.ts';
import { numBins, type BinMapper } from '../gbdt/binning.ts';
import { numericLeftBits, type Tree } from '../gbdt/tree.ts';
import type { Task } from '../estimator.ts';
import type { ForestTree } from './grow.ts';
import type { ForestModel } from './model.ts';

const MAGIC = 'SLRF';
const VERSION = 1;
const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

type ArrayType = 'i32' | 'u8' | 'u32' | 'f64';
type Typed = Int32Array | Uint8Array | Uint32Array | Float64Array;
const SIZES: Record<ArrayType, number> = { i32: 4, u8: 1, u32: 4, f64: 8 };

interface FeatureHeader {
  name: string;
  kind: 'numeric' | 'categorical';
  source?: 'string' | 'number';
  /** numeric: [offset, length] into `edges`; number categories: into `categoryCodes`. */
  range?: [number, number];
  categories?: string[];
}

interface Header {
  task: Task;
  numClasses: number;
  outputs: number;
  options: ForestModel['options'];
  oobScore: number | null;
  features: FeatureHeader[];
  arrays: Record<string, [ArrayType, number, number]>;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function typeOf(a: Typed): ArrayType {
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint32Array) return 'u32';
  return 'f64';
}

export function forestToBytes(model: ForestModel): Uint8Array {
  if (!littleEndian()) throw new DataError('random forest serialization needs a little-endian platform');
  const K = model.outputs;
  const trees = model.trees;
  const total = trees.reduce((s, t) => s + t.tree.numNodes, 0);
  const nodeCounts = Int32Array.from(trees, (t) => t.tree.numNodes);
  const feature = new Int32Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const threshold = new Int32Array(total);
  const flags = new Uint8Array(total);
  const cover = new Float64Array(total);
  const gain = new Float64Array(total);
  const values = new Float64Array(total * K);
  const catWords: number[] = [];
  let at = 0;
  for (const { tree: t, values: v } of trees) {
    feature.set(t.feature, at);
    left.set(t.left, at);
    right.set(t.right, at);
    threshold.set(t.threshold, at);
    cover.set(t.cover, at);
    gain.set(t.gain, at);
    values.set(v, at * K);
    for (let i = 0; i < t.numNodes; i++) {
      flags[at + i] = (t.categorical[i] ? 1 : 0) | (t.defaultLeft[i] ? 2 : 0);
      if (t.categorical[i] && t.left[i]! >= 0) for (let w = 0; w < 8; w++) catWords.push(t.leftBits[8 * i + w]!);
    }
    at += t.numNodes;
  }
  const edges: number[] = [];
  const codes: number[] = [];
  const features: FeatureHeader[] = model.mappers.map((m) => {
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
  const arrays: [string, Typed][] = [
    ['nodeCounts', nodeCounts], ['feature', feature], ['left', left], ['right', right], ['threshold', threshold],
    ['flags', flags], ['cover', cover], ['gain', gain], ['values', values], ['catBits', Uint32Array.from(catWords)],
    ['edges', Float64Array.from(edges)], ['categoryCodes', Float64Array.from(codes)],
  ];
  const table: Header['arrays'] = {};
  let off = 0;
  for (const [name, a] of arrays) {
    table[name] = [typeOf(a), off, a.length];
    off += Math.ceil(a.byteLength / 8) * 8;
  }
  const header: Header = { task: model.task, numClasses: model.numClasses, outputs: K, options: model.options, oobScore: model.oobScore, features, arrays: table };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(bodyStart + off);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  for (const [name, a] of arrays) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), bodyStart + table[name]![1]);
  return out;
}

function bad(why: string): DataError {
  return new DataError(`Not a valid Sluice random forest artifact: ${why}`, { code: 'FOREST_ARTIFACT' });
}

export function forestFromBytes(bytes: Uint8Array): ForestModel {
  if (!littleEndian()) throw new DataError('random forest serialization needs a little-endian platform');
  if (!(bytes instanceof Uint8Array) || bytes.length < 12) throw bad('too short');
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) throw bad('wrong magic bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw bad(`format version ${version}, this Sluice reads version ${VERSION}`);
  const hlen = view.getUint32(8, true);
  if (12 + hlen > bytes.length) throw bad('truncated header');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  if (!TASKS.includes(header.task)) throw bad(`unknown task ${String(header.task)}`);
  const bodyStart = Math.ceil((12 + hlen) / 8) * 8;
  const read = <T extends Typed>(name: string): T => {
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
  const nodeCounts = read<Int32Array>('nodeCounts');
  const feature = read<Int32Array>('feature');
  const left = read<Int32Array>('left');
  const right = read<Int32Array>('right');
  const threshold = read<Int32Array>('threshold');
  const flags = read<Uint8Array>('flags');
  const cover = read<Float64Array>('cover');
  const gain = read<Float64Array>('gain');
  const values = read<Float64Array>('values');
  const catBits = read<Uint32Array>('catBits');
  const edges = read<Float64Array>('edges');
  const codes = read<Float64Array>('categoryCodes');
  const K = header.outputs;
  if (values.length !== feature.length * K) throw bad(`${values.length} node values for ${feature.length} nodes x ${K} outputs`);

  const mappers: BinMapper[] = header.features.map((f) => {
    if (f.kind === 'numeric') return { kind: 'numeric', name: f.name, edges: edges.slice(f.range![0], f.range![0] + f.range![1]) };
    if (f.source === 'string') return { kind: 'categorical', name: f.name, source: 'string', categories: f.categories ?? [] };
    return { kind: 'categorical', name: f.name, source: 'number', categories: codes.slice(f.range![0], f.range![0] + f.range![1]) };
  });
  const nb = Int32Array.from(mappers, numBins);
  const trees: ForestTree[] = [];
  let at = 0;
  let cat = 0;
  for (const count of nodeCounts) {
    if (at + count > feature.length) throw bad('node counts exceed the node arrays');
    const v = values.slice(at * K, (at + count) * K);
    const t: Tree = {
      numNodes: count,
      feature: feature.slice(at, at + count),
      left: left.slice(at, at + count),
      right: right.slice(at, at + count),
      threshold: threshold.slice(at, at + count),
      categorical: new Uint8Array(count),
      defaultLeft: new Uint8Array(count),
      leftBits: new Uint32Array(8 * count),
      value: Float64Array.from({ length: count }, (_, i) => v[i * K]!),
      cover: cover.slice(at, at + count),
      gain: gain.slice(at, at + count),
    };
    for (let i = 0; i < count; i++) {
      const fl = flags[at + i]!;
      t.categorical[i] = fl & 1;
      t.defaultLeft[i] = (fl >> 1) & 1;
      if (t.left[i]! < 0) continue;
      const f = t.feature[i]!;
      if (f < 0 || f >= mappers.length) throw bad(`node splits on feature ${f} of ${mappers.length}`);
      if (t.left[i]! >= count || t.right[i]! >= count || t.left[i]! <= i || t.right[i]! <= i) throw bad(`node ${i} has children outside its tree`);
      if (fl & 1) {
        if (cat + 8 > catBits.length) throw bad('categorical bitsets run short');
        t.leftBits.set(catBits.subarray(cat, cat + 8), 8 * i);
        cat += 8;
      } else {
        numericLeftBits(t.threshold[i]!, (fl & 2) !== 0, nb[f]!, t.leftBits, 8 * i);
      }
    }
    trees.push({ tree: t, values: v });
    at += count;
  }
  return { task: header.task, numClasses: header.numClasses, outputs: K, mappers, trees, options: header.options, oobScore: header.oobScore };
}
