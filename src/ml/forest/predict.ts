/**
 * Batch prediction of a forest from flattened tree arrays on binned rows.
 *
 * gbdt's flattened forest gives each internal node a 256-byte bin -> direction table, which suits
 * its small trees; forest trees are deep (thousands to millions of nodes), so here each internal
 * node keeps its 256-bit set of bins that go right (32 bytes) and a step is one bit test. Internal
 * nodes of all trees come first, then leaves; a leaf's children are itself, so stepping past a leaf
 * stays there. Eight rows walk a tree together, which lets the CPU overlap their chains of
 * dependent loads; rows are processed in blocks, tree by tree, so a tree stays in cache.
 *
 * The arrays sit on SharedArrayBuffers so worker threads can read them without a copy.
 *
 * @example
 * const flat = flattenTrees(trees, 1);
 * const sums = new Float64Array(n);
 * accumulateTrees(flat, bins, F, sums, 0, n); // sum over trees; divide by flat.numTrees
 */
import type { ForestTree } from './grow.ts';

export interface FlatTrees {
  readonly numTrees: number;
  /** Values per leaf: 1, or the number of classes. */
  readonly outputs: number;
  /** Nodes 0..numInternal-1 are internal; the rest are leaves. */
  readonly numInternal: number;
  readonly roots: Int32Array;
  /** Per node: split feature (0 for leaves). */
  readonly feature: Int32Array;
  /** Per node [left, right]; a leaf's are itself. */
  readonly child: Int32Array;
  /** Per node, 8 words: bit b set when bin b goes right (all 0 for leaves, whose children are themselves). */
  readonly rightBits: Uint32Array;
  /** Per node, `outputs` values (meaningful for leaves). */
  readonly value: Float64Array;
}

function shared<T extends Int32Array | Uint32Array | Float64Array>(make: new (b: SharedArrayBuffer) => T, bytes: number, length: number): T {
  return new make(new SharedArrayBuffer(Math.max(8, bytes * length))).subarray(0, length) as T;
}

export function flattenTrees(trees: readonly ForestTree[], outputs: number): FlatTrees {
  let internal = 0;
  let total = 0;
  for (const { tree } of trees) {
    total += tree.numNodes;
    for (let i = 0; i < tree.numNodes; i++) if (tree.left[i]! >= 0) internal++;
  }
  const roots = shared(Int32Array, 4, trees.length);
  const feature = shared(Int32Array, 4, total);
  const child = shared(Int32Array, 4, 2 * total);
  const rightBits = shared(Uint32Array, 4, 8 * total);
  const value = shared(Float64Array, 8, total * outputs);
  let ni = 0;
  let nl = internal;
  trees.forEach(({ tree: t, values }, ti) => {
    const code = new Int32Array(t.numNodes);
    for (let i = 0; i < t.numNodes; i++) code[i] = t.left[i]! >= 0 ? ni++ : nl++;
    roots[ti] = code[0]!;
    for (let i = 0; i < t.numNodes; i++) {
      const c = code[i]!;
      if (t.left[i]! < 0) {
        child[2 * c] = c;
        child[2 * c + 1] = c;
        for (let k = 0; k < outputs; k++) value[c * outputs + k] = values[i * outputs + k]!;
        continue;
      }
      feature[c] = t.feature[i]!;
      child[2 * c] = code[t.left[i]!]!;
      child[2 * c + 1] = code[t.right[i]!]!;
      for (let w = 0; w < 8; w++) rightBits[8 * c + w] = ~t.leftBits[8 * i + w]! >>> 0;
    }
  });
  return { numTrees: trees.length, outputs, numInternal: internal, roots, feature, child, rightBits, value };
}

const ROW_BLOCK = 256;

/**
 * Adds the sum over trees of their leaf values for rows [from, to) of a row-major bin matrix
 * (F bytes per row) to `out` (row-major, `outputs` per row).
 */
export function accumulateTrees(flat: FlatTrees, bins: Uint8Array, F: number, out: Float64Array, from: number, to: number): void {
  const K = flat.outputs;
  const { roots, feature: feat, child, rightBits: rb, value } = flat;
  const I = flat.numInternal;
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    for (let t = 0; t < flat.numTrees; t++) {
      const root = roots[t]!;
      let r = r0;
      for (; r + 8 <= r1; r += 8) {
        const b0 = r * F;
        const b1 = b0 + F;
        const b2 = b1 + F;
        const b3 = b2 + F;
        const b4 = b3 + F;
        const b5 = b4 + F;
        const b6 = b5 + F;
        const b7 = b6 + F;
        let n0 = root; let n1 = root; let n2 = root; let n3 = root;
        let n4 = root; let n5 = root; let n6 = root; let n7 = root;
        let x = 0;
        // Until all eight are leaves (node - I is negative for internal nodes). `w >>> x` shifts by
        // x mod 32, the bin's bit within its word.
        while (((n0 - I) | (n1 - I) | (n2 - I) | (n3 - I) | (n4 - I) | (n5 - I) | (n6 - I) | (n7 - I)) < 0) {
          x = bins[b0 + feat[n0]!]!; n0 = child[(n0 << 1) | ((rb[(n0 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b1 + feat[n1]!]!; n1 = child[(n1 << 1) | ((rb[(n1 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b2 + feat[n2]!]!; n2 = child[(n2 << 1) | ((rb[(n2 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b3 + feat[n3]!]!; n3 = child[(n3 << 1) | ((rb[(n3 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b4 + feat[n4]!]!; n4 = child[(n4 << 1) | ((rb[(n4 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b5 + feat[n5]!]!; n5 = child[(n5 << 1) | ((rb[(n5 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b6 + feat[n6]!]!; n6 = child[(n6 << 1) | ((rb[(n6 << 3) | (x >>> 5)]! >>> x) & 1)]!;
          x = bins[b7 + feat[n7]!]!; n7 = child[(n7 << 1) | ((rb[(n7 << 3) | (x >>> 5)]! >>> x) & 1)]!;
        }
        if (K === 1) {
          out[r]! += value[n0]!; out[r + 1]! += value[n1]!; out[r + 2]! += value[n2]!; out[r + 3]! += value[n3]!;
          out[r + 4]! += value[n4]!; out[r + 5]! += value[n5]!; out[r + 6]! += value[n6]!; out[r + 7]! += value[n7]!;
        } else {
          const leaves = [n0, n1, n2, n3, n4, n5, n6, n7];
          for (let j = 0; j < 8; j++) for (let k = 0; k < K; k++) out[(r + j) * K + k]! += value[leaves[j]! * K + k]!;
        }
      }
      for (; r < r1; r++) {
        const b0 = r * F;
        let n0 = root;
        while (n0 < I) { const x = bins[b0 + feat[n0]!]!; n0 = child[(n0 << 1) | ((rb[(n0 << 3) | (x >>> 5)]! >>> x) & 1)]!; }
        for (let k = 0; k < K; k++) out[r * K + k]! += value[n0 * K + k]!;
      }
    }
  }
}

/** The leaf reached by one row in tree t. */
export function leafOfRow(flat: FlatTrees, bins: Uint8Array, at: number, t: number): number {
  const { feature: feat, child, rightBits: rb } = flat;
  let n = flat.roots[t]!;
  while (n < flat.numInternal) {
    const bin = bins[at + feat[n]!]!;
    n = child[(n << 1) | ((rb[(n << 3) | (bin >>> 5)]! >>> (bin & 31)) & 1)]!;
  }
  return n;
}

/** Mean over trees (per row and output) of rows [0, n). */
export function predictBinned(flat: FlatTrees, bins: Uint8Array, n: number, F: number): Float64Array {
  const out = new Float64Array(n * flat.outputs);
  accumulateTrees(flat, bins, F, out, 0, n);
  const T = flat.numTrees;
  for (let i = 0; i < out.length; i++) out[i]! /= T;
  return out;
}
