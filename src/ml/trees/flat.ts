/**
 * The flattened trees of both tree learners (gbdt and random forest) and their one predictor.
 *
 * Every node is four Int32 words, children side by side, so a step touches one cache line:
 *
 *   [feature, left, t, m]     right child = left + 1
 *
 * - Numeric split on codes (byte bins, or 16-bit fine codes of exact splits): a row goes right
 *   when code > t, flipped when code > m; m sits just below the feature's missing code when missing
 *   values go left, above every code otherwise. Byte bins put missing last (numBins), fine codes
 *   at FINE_MISSING, so one pair of comparisons covers thresholds and missing values.
 * - Categorical split: t = ~b, the node's 256-bit set of codes that go right is bitset b (8 words
 *   in `bits`); bitset 0 is empty, read (and ignored) by numeric steps, so a step has no branch.
 * - Leaf: feature has the sign bit set (low bits 0, so its code read stays in bounds), left is
 *   itself and t = m = INT32_MAX: stepping past a leaf stays on it. `width` values per node.
 *
 * Each tree adds its leaf's `width` values to a row's outputs from slot treeOutput[t] (gbdt: one
 * value to the tree's class; forest: K class shares to slots 0..K-1). Rows walk in blocks, tree by
 * tree, eight at a time so the CPU overlaps their chains of dependent loads.
 *
 * The arrays sit on SharedArrayBuffers: worker threads predict with them without a copy.
 *
 * @example
 * const flat = flattenTrees(trees.map((tree) => ({ tree, values: tree.value })), { width: 1, outputs: K, treeOutput: (t) => t % K, numBins });
 * accumulate(flat, bins, F, out, 0, n); // out[r * K + k] += sum of the trees' leaves
 */
import type { Tree } from './tree.ts';
import { FINE_MISSING, lastFineOfBin } from './fine.ts';

const LEAF = -0x80000000;
const NEVER = 0x7fffffff;

export interface FlatTrees {
  readonly numTrees: number;
  /** Outputs per row. */
  readonly outputs: number;
  /** Values per node (1, or K class shares). */
  readonly width: number;
  readonly roots: Int32Array;
  readonly treeOutput: Int32Array;
  /** 4 words per node (see above). */
  readonly nodes: Int32Array;
  /** 8 words per bitset; bitset 0 is empty. */
  readonly bits: Uint32Array;
  /** `width` per node (leaves' outputs). */
  readonly value: Float64Array;
  /** Whether some node splits on 16-bit fine codes: rows must then be coded as Uint16 (codesFor). */
  readonly wide: boolean;
}

export interface FlatInput {
  readonly tree: Tree;
  /** numNodes x width node outputs. */
  readonly values: Float64Array;
}

function shared<T extends Int32Array | Uint32Array | Float64Array>(make: new (b: SharedArrayBuffer) => T, bytes: number, length: number): T {
  return new make(new SharedArrayBuffer(Math.max(8, bytes * length))).subarray(0, length) as T;
}

/**
 * Flattens trees. `numBins[f]` is feature f's missing bin (byte bins); `treeOutput(t)` the first
 * output slot tree t adds to.
 */
export function flattenTrees(
  trees: readonly FlatInput[],
  o: {
    width: number; outputs: number; treeOutput: (t: number) => number; numBins: ArrayLike<number>;
    /**
     * Per feature, the byte bin of each fine code (../trees/fine.ts) or null. When any is given,
     * rows are coded 16 bits wide, those features by fine codes, and their byte-bin splits are
     * turned into fine thresholds (the last fine code of the bin).
     */
    fine?: readonly (Uint8Array | null)[];
  },
): FlatTrees {
  let total = 0;
  let cats = 1;
  const wide = o.fine?.some((c) => c !== null) ?? false;
  const lastFine = wide ? o.fine!.map((c, f) => (c ? lastFineOfBin(c, o.numBins[f]!) : null)) : [];
  for (const { tree: t } of trees) {
    total += t.numNodes;
    // Byte codes only: every split is a bitset (the walk then has a single, shorter step).
    for (let i = 0; i < t.numNodes; i++) if (t.left[i]! >= 0 && (t.categorical[i] || !wide)) cats++;
    if (t.fine && !wide) throw new Error('flattenTrees: exact splits on fine codes need the fine code maps');
  }
  const W = o.width;
  const roots = shared(Int32Array, 4, trees.length);
  const treeOutput = shared(Int32Array, 4, trees.length);
  const nodes = shared(Int32Array, 4, 4 * total);
  const bits = shared(Uint32Array, 4, 8 * cats);
  const value = shared(Float64Array, 8, total * W);
  let next = 0;
  let cat = 1;
  trees.forEach(({ tree: t, values }, ti) => {
    treeOutput[ti] = o.treeOutput(ti);
    // Tree node -> flat node: the root first, then each internal node's children as a pair.
    const code = new Int32Array(t.numNodes);
    code[0] = next++;
    roots[ti] = code[0]!;
    for (let i = 0; i < t.numNodes; i++) {
      if (t.left[i]! < 0) continue;
      code[t.left[i]!] = next++;
      code[t.right[i]!] = next++;
    }
    for (let i = 0; i < t.numNodes; i++) {
      const c = code[i]!;
      const q = 4 * c;
      for (let k = 0; k < W; k++) value[c * W + k] = values[i * W + k]!;
      if (t.left[i]! < 0) {
        nodes[q] = LEAF;
        nodes[q + 1] = c;
        // Wide: thresholds never crossed; bytes: the empty bitset 0.
        nodes[q + 2] = wide ? NEVER : ~0;
        nodes[q + 3] = NEVER;
        continue;
      }
      const f = t.feature[i]!;
      nodes[q] = f;
      nodes[q + 1] = code[t.left[i]!]!;
      const last = wide ? lastFine[f] : null;
      const fine = t.fine ? t.fine[i]! : -1;
      if (fine >= 0 || (last && !t.categorical[i])) {
        nodes[q + 2] = fine >= 0 ? fine : last![t.threshold[i]!]!;
        nodes[q + 3] = t.defaultLeft[i] ? FINE_MISSING - 1 : NEVER;
      } else if (t.categorical[i] || !wide) {
        nodes[q + 2] = ~cat;
        for (let w = 0; w < 8; w++) bits[8 * cat + w] = ~t.leftBits[8 * i + w]! >>> 0;
        nodes[q + 3] = NEVER;
        cat++;
      } else {
        // Byte bins: the missing bin is numBins[f], above every value bin.
        nodes[q + 2] = t.threshold[i]!;
        nodes[q + 3] = t.defaultLeft[i] ? o.numBins[f]! - 1 : NEVER;
      }
    }
  });
  return { numTrees: trees.length, outputs: o.outputs, width: W, roots, treeOutput, nodes, bits, value, wide };
}

const ROW_BLOCK = 256;

/**
 * Adds, for rows [from, to) of a row-major code matrix (F codes per row: bytes, or Uint16 when
 * `flat.wide`), the leaf values of trees [0, treeLimit) to `out` (outputs per row).
 */
export function accumulate(
  flat: FlatTrees, codes: Uint8Array | Uint16Array, F: number, out: Float64Array, from: number, to: number, treeLimit = flat.numTrees,
): void {
  if (flat.wide !== (codes instanceof Uint16Array)) throw new Error(`accumulate: ${flat.wide ? '16-bit codes' : 'byte bins'} expected`);
  if (codes instanceof Uint16Array) accumulateMixed(flat, codes, F, out, from, to, treeLimit);
  else accumulateBits(flat, codes, F, out, from, to, treeLimit);
}

/** accumulate() over byte codes, where every split is a bitset: one bit test a step. */
function accumulateBits(
  flat: FlatTrees, codes: Uint8Array, F: number, out: Float64Array, from: number, to: number, treeLimit = flat.numTrees,
): void {
  const { roots, treeOutput, nodes, bits, value } = flat;
  const K = flat.outputs;
  const W = flat.width;
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    for (let t = 0; t < treeLimit; t++) {
      const root = roots[t]!;
      const o = treeOutput[t]!;
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
        let f0 = nodes[n0 << 2]!; let f1 = f0; let f2 = f0; let f3 = f0;
        let f4 = f0; let f5 = f0; let f6 = f0; let f7 = f0;
        let x = 0;
        // Until all eight stand on leaves (their feature words all have the sign bit). The step
        // (see step() below) is written out per row: V8 does not inline eight calls of it.
        while ((f0 & f1 & f2 & f3 & f4 & f5 & f6 & f7) >= 0) {
          x = codes[b0 + (f0 & 0x7fffffff)]!;
          n0 = nodes[(n0 << 2) + 1]! + ((bits[(~nodes[(n0 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f0 = nodes[n0 << 2]!;
          x = codes[b1 + (f1 & 0x7fffffff)]!;
          n1 = nodes[(n1 << 2) + 1]! + ((bits[(~nodes[(n1 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f1 = nodes[n1 << 2]!;
          x = codes[b2 + (f2 & 0x7fffffff)]!;
          n2 = nodes[(n2 << 2) + 1]! + ((bits[(~nodes[(n2 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f2 = nodes[n2 << 2]!;
          x = codes[b3 + (f3 & 0x7fffffff)]!;
          n3 = nodes[(n3 << 2) + 1]! + ((bits[(~nodes[(n3 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f3 = nodes[n3 << 2]!;
          x = codes[b4 + (f4 & 0x7fffffff)]!;
          n4 = nodes[(n4 << 2) + 1]! + ((bits[(~nodes[(n4 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f4 = nodes[n4 << 2]!;
          x = codes[b5 + (f5 & 0x7fffffff)]!;
          n5 = nodes[(n5 << 2) + 1]! + ((bits[(~nodes[(n5 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f5 = nodes[n5 << 2]!;
          x = codes[b6 + (f6 & 0x7fffffff)]!;
          n6 = nodes[(n6 << 2) + 1]! + ((bits[(~nodes[(n6 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f6 = nodes[n6 << 2]!;
          x = codes[b7 + (f7 & 0x7fffffff)]!;
          n7 = nodes[(n7 << 2) + 1]! + ((bits[(~nodes[(n7 << 2) + 2]! << 3) | (x >>> 5)]! >>> x) & 1);
          f7 = nodes[n7 << 2]!;
        }
        if (W === 1) {
          const q = r * K + o;
          out[q]! += value[n0]!; out[q + K]! += value[n1]!; out[q + 2 * K]! += value[n2]!; out[q + 3 * K]! += value[n3]!;
          out[q + 4 * K]! += value[n4]!; out[q + 5 * K]! += value[n5]!; out[q + 6 * K]! += value[n6]!; out[q + 7 * K]! += value[n7]!;
        } else {
          addLeaf(value, W, n0, out, r * K + o); addLeaf(value, W, n1, out, (r + 1) * K + o);
          addLeaf(value, W, n2, out, (r + 2) * K + o); addLeaf(value, W, n3, out, (r + 3) * K + o);
          addLeaf(value, W, n4, out, (r + 4) * K + o); addLeaf(value, W, n5, out, (r + 5) * K + o);
          addLeaf(value, W, n6, out, (r + 6) * K + o); addLeaf(value, W, n7, out, (r + 7) * K + o);
        }
      }
      for (; r < r1; r++) {
        const n = leafOf(flat, codes, r * F, t);
        addLeaf(value, W, n, out, r * K + o);
      }
    }
  }
}

/** accumulate() over 16-bit codes: numeric thresholds and categorical bitsets. */
function accumulateMixed(
  flat: FlatTrees, codes: Uint16Array, F: number, out: Float64Array, from: number, to: number, treeLimit = flat.numTrees,
): void {
  const { roots, treeOutput, nodes, bits, value } = flat;
  const K = flat.outputs;
  const W = flat.width;
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    for (let t = 0; t < treeLimit; t++) {
      const root = roots[t]!;
      const o = treeOutput[t]!;
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
        let f0 = nodes[n0 << 2]!; let f1 = f0; let f2 = f0; let f3 = f0;
        let f4 = f0; let f5 = f0; let f6 = f0; let f7 = f0;
        let q = 0; let x = 0; let th = 0; let c = 0;
        // Until all eight stand on leaves (their feature words all have the sign bit). The step
        // (see step() below) is written out per row: V8 does not inline eight calls of it.
        while ((f0 & f1 & f2 & f3 & f4 & f5 & f6 & f7) >= 0) {
          q = n0 << 2; x = codes[b0 + (f0 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n0 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f0 = nodes[n0 << 2]!;
          q = n1 << 2; x = codes[b1 + (f1 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n1 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f1 = nodes[n1 << 2]!;
          q = n2 << 2; x = codes[b2 + (f2 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n2 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f2 = nodes[n2 << 2]!;
          q = n3 << 2; x = codes[b3 + (f3 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n3 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f3 = nodes[n3 << 2]!;
          q = n4 << 2; x = codes[b4 + (f4 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n4 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f4 = nodes[n4 << 2]!;
          q = n5 << 2; x = codes[b5 + (f5 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n5 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f5 = nodes[n5 << 2]!;
          q = n6 << 2; x = codes[b6 + (f6 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n6 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f6 = nodes[n6 << 2]!;
          q = n7 << 2; x = codes[b7 + (f7 & 0x7fffffff)]!; th = nodes[q + 2]!; c = th >>> 31;
          n7 = nodes[q + 1]! + (((c & (bits[((~th & -c) << 3) | ((x >>> 5) & 7)]! >>> x)) | (~c & (((th - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31)))) & 1);
          f7 = nodes[n7 << 2]!;
        }
        if (W === 1) {
          const q = r * K + o;
          out[q]! += value[n0]!; out[q + K]! += value[n1]!; out[q + 2 * K]! += value[n2]!; out[q + 3 * K]! += value[n3]!;
          out[q + 4 * K]! += value[n4]!; out[q + 5 * K]! += value[n5]!; out[q + 6 * K]! += value[n6]!; out[q + 7 * K]! += value[n7]!;
        } else {
          addLeaf(value, W, n0, out, r * K + o); addLeaf(value, W, n1, out, (r + 1) * K + o);
          addLeaf(value, W, n2, out, (r + 2) * K + o); addLeaf(value, W, n3, out, (r + 3) * K + o);
          addLeaf(value, W, n4, out, (r + 4) * K + o); addLeaf(value, W, n5, out, (r + 5) * K + o);
          addLeaf(value, W, n6, out, (r + 6) * K + o); addLeaf(value, W, n7, out, (r + 7) * K + o);
        }
      }
      for (; r < r1; r++) {
        const n = leafOf(flat, codes, r * F, t);
        addLeaf(value, W, n, out, r * K + o);
      }
    }
  }
}

function addLeaf(value: Float64Array, W: number, n: number, out: Float64Array, at: number): void {
  for (let k = 0; k < W; k++) out[at + k]! += value[n * W + k]!;
}

/** One step from internal or leaf node n (feature word f) of the row whose codes start at b. */
function step(nodes: Int32Array, bits: Uint32Array, codes: Uint8Array | Uint16Array, b: number, n: number, f: number): number {
  const q = n << 2;
  const x = codes[b + (f & 0x7fffffff)]!;
  const t = nodes[q + 2]!;
  const cat = t >>> 31;
  // Numeric: above t, flipped above m. Categorical: the bit of bitset ~t (bitset 0 otherwise).
  const num = ((t - x) >>> 31) ^ ((nodes[q + 3]! - x) >>> 31);
  const set = (bits[((~t & -cat) << 3) | ((x >>> 5) & 7)]! >>> x) & 1;
  return nodes[q + 1]! + ((cat & set) | (~cat & num & 1));
}

/** The leaf (flat node) reached by the row whose codes start at `at`, in tree t. */
export function leafOf(flat: FlatTrees, codes: Uint8Array | Uint16Array, at: number, t: number): number {
  let n = flat.roots[t]!;
  let f = flat.nodes[n << 2]!;
  while (f >= 0) {
    n = step(flat.nodes, flat.bits, codes, at, n, f);
    f = flat.nodes[n << 2]!;
  }
  return n;
}
