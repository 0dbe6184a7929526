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
 * Trees no deeper than COMPLETE_MAX_DEPTH (and dense enough) are also laid out complete, as a
 * binary heap (`FlatTrees.complete`): the children of slot h are 2h + 1 and 2h + 2, a leaf above
 * the last level is padded below with splits that always go left, and every row takes exactly D
 * steps of two words each, with no child index to load and no leaf test:
 *
 *   [t << 16 | feature, s << 3]   right when code > t (t = 0xffff for a set: never), or when the
 *                                 code's bit is set in bitset s (0 for a threshold: the empty set)
 *
 * Categorical splits are bitsets there (missing and unseen categories included); numeric splits,
 * on byte bins or fine codes, are thresholds without the missing flip, so a row block holding a
 * missing code that some threshold split sends left walks the general layout instead. On the
 * flights forest (50 trees of depth 12) the walk on this layout costs about two thirds of the
 * general one's CPU time (bench/README.md, models).
 *
 * The arrays sit on SharedArrayBuffers: worker threads predict with them without a copy.
 *
 * @example
 * const flat = flattenTrees(trees.map((tree) => ({ tree, values: tree.value })), { width: 1, outputs: K, treeOutput: (t) => t % K, numBins });
 * accumulate(flat, bins, F, out, 0, n); // out[r * K + k] += sum of the trees' leaves
 */
import { treeDepth, type Tree } from './tree.ts';
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
  /** The complete layout of the trees that have one (see above); null when none has. */
  readonly complete?: CompleteTrees | null;
}

/** Trees laid out as complete binary trees (heaps), two Int32 words per internal slot. */
export interface CompleteTrees {
  /** Per tree: its depth D (2^D - 1 internal slots, 2^D leaves), or -1 when it has no such layout. */
  readonly depth: Int32Array;
  /** Per tree: its first internal slot in `nodes`. */
  readonly slot: Int32Array;
  /** Per tree: its first leaf in `value` (`width` values per leaf). */
  readonly leaf: Int32Array;
  /** [threshold << 16 | feature, bitset << 3] per internal slot; bitsets as in `FlatTrees.bits`. */
  readonly nodes: Int32Array;
  readonly value: Float64Array;
  /**
   * Features that some threshold split sends left when missing, and their missing codes: a row
   * block holding one walks the general layout (the comparison would send it right).
   */
  readonly missingFeatures: Int32Array;
  readonly missingCodes: Int32Array;
}

/** Deepest tree laid out complete: 2^14 leaves, 128 KB of internal slots. */
export const COMPLETE_MAX_DEPTH = 14;
/**
 * A tree is laid out complete only when its 2^D leaf slots are at most this many times its nodes:
 * every row walks D steps there, where in a sparse tree (gbdt's leaf-wise trees of 31 leaves, often
 * 9 to 15 deep) most stop much sooner; on flights' gbdt a limit of 16 made the walk 1.4x slower.
 */
const COMPLETE_MAX_SPARSITY = 2;
/** Code of a threshold that no code is above (bitset slots and padding). */
const NO_THRESHOLD = 0xffff;

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
    /** Deepest tree given the complete layout (default COMPLETE_MAX_DEPTH; -1: none). */
    completeMaxDepth?: number;
    /** Most leaf slots per node of a tree given the complete layout (default COMPLETE_MAX_SPARSITY). */
    completeMaxSparsity?: number;
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
  const flat = { numTrees: trees.length, outputs: o.outputs, width: W, roots, treeOutput, nodes, bits, value, wide };
  return { ...flat, complete: completeLayout(trees, flat, o.completeMaxDepth ?? COMPLETE_MAX_DEPTH, o.completeMaxSparsity ?? COMPLETE_MAX_SPARSITY, o.numBins, lastFine) };
}

/**
 * The complete layout (see the top of this file) of the trees no deeper than `maxDepth` whose 2^D
 * leaf slots are at most `maxSparsity` times their nodes; null when no tree qualifies.
 */
function completeLayout(
  trees: readonly FlatInput[], flat: FlatTrees, maxDepth: number, maxSparsity: number, numBins: ArrayLike<number>, lastFine: readonly (Int32Array | null)[],
): CompleteTrees | null {
  const F = numBins.length;
  // The feature index shares a word with a 16-bit threshold.
  if (maxDepth < 0 || F > 0xffff) return null;
  const W = flat.width;
  const T = trees.length;
  const depth = new Int32Array(T).fill(-1);
  const slot = new Int32Array(T);
  const leaf = new Int32Array(T);
  let slots = 0;
  let leaves = 0;
  trees.forEach(({ tree }, t) => {
    const D = treeDepth(tree);
    if (D > maxDepth || 2 ** D > maxSparsity * tree.numNodes) return;
    depth[t] = D;
    slot[t] = slots;
    leaf[t] = leaves;
    slots += 2 ** D - 1;
    leaves += 2 ** D;
  });
  if (leaves === 0) return null;
  const nodes = shared(Int32Array, 4, 2 * slots);
  const value = shared(Float64Array, 8, leaves * W);
  // Codes that a threshold split sends the wrong way: the missing code of a feature some split
  // sends left when missing (above every threshold, so the comparison sends it right).
  const missing = new Int32Array(F).fill(-1);
  // Categorical sets: the general layout's bitset of the same node (numbered in the same order).
  let set = 1;
  trees.forEach(({ tree: t, values }, ti) => {
    const D = depth[ti]!;
    const base = slot[ti]!;
    const firstLeaf = 2 ** D - 1;
    const sets = new Int32Array(t.numNodes);
    for (let i = 0; i < t.numNodes; i++) if (t.left[i]! >= 0 && (t.categorical[i] || !flat.wide)) sets[i] = set++;
    if (D < 0) return;
    // Tree node i sits at heap slot h, depth d.
    const stack: number[] = [0, 0, 0];
    let fits = true;
    while (stack.length > 0) {
      const d = stack.pop()!;
      const h = stack.pop()!;
      const i = stack.pop()!;
      if (t.left[i]! < 0) {
        // Padding below a shallow leaf goes left: its values sit in the leftmost leaf slot.
        let g = h;
        for (let e = d; e < D; e++) {
          nodes[2 * (base + g)] = NO_THRESHOLD << 16;
          g = 2 * g + 1;
        }
        for (let k = 0; k < W; k++) value[(leaf[ti]! + g - firstLeaf) * W + k] = values[i * W + k]!;
        continue;
      }
      const f = t.feature[i]!;
      const at = 2 * (base + h);
      const fine = t.fine ? t.fine[i]! : -1;
      if (t.categorical[i]) {
        nodes[at] = (NO_THRESHOLD << 16) | f;
        nodes[at + 1] = sets[i]! << 3;
      } else {
        const last = lastFine[f];
        // Fine codes (exact splits, or a byte bin's last fine code), else byte bins.
        const th = fine >= 0 ? fine : last ? last[t.threshold[i]!]! : t.threshold[i]!;
        if (th < 0 || th >= NO_THRESHOLD) fits = false;
        nodes[at] = (th << 16) | f;
        if (t.defaultLeft[i]) missing[f] = last ? FINE_MISSING : numBins[f]!;
      }
      stack.push(t.left[i]!, 2 * h + 1, d + 1, t.right[i]!, 2 * h + 2, d + 1);
    }
    // A threshold the 16 bits cannot hold (none that binning makes): the general layout only.
    if (!fits) depth[ti] = -1;
  });
  const checked = Int32Array.from({ length: F }, (_, f) => f).filter((f) => missing[f]! >= 0);
  return { depth, slot, leaf, nodes, value, missingFeatures: checked, missingCodes: Int32Array.from(checked, (f) => missing[f]!) };
}

const ROW_BLOCK = 256;

/**
 * Adds, for rows [from, to) of a row-major code matrix (F codes per row: bytes, or Uint16 when
 * `flat.wide`), the leaf values of trees [0, treeLimit) to `out` (outputs per row). Rows go in
 * blocks of ROW_BLOCK, tree by tree (the tree's nodes stay in cache for the block); a tree walks
 * its complete layout when it has one (and the block no missing fine code), else the general one.
 * Either way a row adds the same leaf values in the same order.
 */
export function accumulate(
  flat: FlatTrees, codes: Uint8Array | Uint16Array, F: number, out: Float64Array, from: number, to: number, treeLimit = flat.numTrees,
): void {
  if (flat.wide !== (codes instanceof Uint16Array)) throw new Error(`accumulate: ${flat.wide ? '16-bit codes' : 'byte bins'} expected`);
  const c = flat.complete ?? null;
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    const complete = c !== null && !hasMissing(c, codes, F, r0, r1);
    if (codes instanceof Uint16Array) {
      if (complete) walkCompleteWide(flat, c, codes, F, out, r0, r1, treeLimit);
      else for (let t = 0; t < treeLimit; t++) walkMixed(flat, codes, F, out, r0, r1, t);
    } else if (complete) {
      walkCompleteBytes(flat, c, codes, F, out, r0, r1, treeLimit);
    } else {
      for (let t = 0; t < treeLimit; t++) walkBits(flat, codes, F, out, r0, r1, t);
    }
  }
}

/** Whether a row of [r0, r1) holds a missing code that the complete layout would misroute. */
function hasMissing(c: CompleteTrees, codes: Uint8Array | Uint16Array, F: number, r0: number, r1: number): boolean {
  const { missingFeatures, missingCodes } = c;
  for (let i = 0; i < missingFeatures.length; i++) {
    const m = missingCodes[i]!;
    for (let p = r0 * F + missingFeatures[i]!, end = r1 * F; p < end; p += F) if (codes[p] === m) return true;
  }
  return false;
}

/** Tree t of the general layout over byte codes, where every split is a bitset: one bit test a step. */
function walkBits(flat: FlatTrees, codes: Uint8Array, F: number, out: Float64Array, r0: number, r1: number, t: number): void {
  const { roots, treeOutput, nodes, bits, value } = flat;
  const K = flat.outputs;
  const W = flat.width;
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

/** Tree t of the general layout over 16-bit codes: numeric thresholds and categorical bitsets. */
function walkMixed(flat: FlatTrees, codes: Uint16Array, F: number, out: Float64Array, r0: number, r1: number, t: number): void {
  const { roots, treeOutput, nodes, bits, value } = flat;
  const K = flat.outputs;
  const W = flat.width;
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

/** Tree t of the complete layout over 16-bit codes (thresholds on fine codes or bins, and bitsets). */
function walkCompleteWide(flat: FlatTrees, c: CompleteTrees, codes: Uint16Array, F: number, out: Float64Array, r0: number, r1: number, treeLimit: number): void {
  const { nodes, value } = c;
  const bits = flat.bits;
  const K = flat.outputs;
  const W = flat.width;
  for (let t = 0; t < treeLimit; t++) {
    const D = c.depth[t]!;
    if (D < 0) { walkMixed(flat, codes, F, out, r0, r1, t); continue; }
    const o = flat.treeOutput[t]!;
    const base = c.slot[t]!;
    // Leaf slots are numbered from 2^D - 1 on.
    const v = c.leaf[t]! - ((1 << D) - 1);
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
      let h0 = 0; let h1 = 0; let h2 = 0; let h3 = 0; let h4 = 0; let h5 = 0; let h6 = 0; let h7 = 0;
      let q = 0; let w = 0; let x = 0;
      // The step (see completeStep() below) written out per row, as in walkBits.
      for (let d = 0; d < D; d++) {
        q = (base + h0) << 1; w = nodes[q]!; x = codes[b0 + (w & 0xffff)]!;
        h0 = 2 * h0 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h1) << 1; w = nodes[q]!; x = codes[b1 + (w & 0xffff)]!;
        h1 = 2 * h1 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h2) << 1; w = nodes[q]!; x = codes[b2 + (w & 0xffff)]!;
        h2 = 2 * h2 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h3) << 1; w = nodes[q]!; x = codes[b3 + (w & 0xffff)]!;
        h3 = 2 * h3 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h4) << 1; w = nodes[q]!; x = codes[b4 + (w & 0xffff)]!;
        h4 = 2 * h4 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h5) << 1; w = nodes[q]!; x = codes[b5 + (w & 0xffff)]!;
        h5 = 2 * h5 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h6) << 1; w = nodes[q]!; x = codes[b6 + (w & 0xffff)]!;
        h6 = 2 * h6 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h7) << 1; w = nodes[q]!; x = codes[b7 + (w & 0xffff)]!;
        h7 = 2 * h7 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
      }
      if (W === 1) {
        const p = r * K + o;
        out[p]! += value[v + h0]!; out[p + K]! += value[v + h1]!; out[p + 2 * K]! += value[v + h2]!; out[p + 3 * K]! += value[v + h3]!;
        out[p + 4 * K]! += value[v + h4]!; out[p + 5 * K]! += value[v + h5]!; out[p + 6 * K]! += value[v + h6]!; out[p + 7 * K]! += value[v + h7]!;
      } else {
        addLeaf(value, W, v + h0, out, r * K + o); addLeaf(value, W, v + h1, out, (r + 1) * K + o);
        addLeaf(value, W, v + h2, out, (r + 2) * K + o); addLeaf(value, W, v + h3, out, (r + 3) * K + o);
        addLeaf(value, W, v + h4, out, (r + 4) * K + o); addLeaf(value, W, v + h5, out, (r + 5) * K + o);
        addLeaf(value, W, v + h6, out, (r + 6) * K + o); addLeaf(value, W, v + h7, out, (r + 7) * K + o);
      }
    }
    for (; r < r1; r++) {
      let h = 0;
      for (let d = 0; d < D; d++) h = completeStep(nodes, bits, codes, r * F, base, h);
      addLeaf(value, W, v + h, out, r * K + o);
    }
  }
}

/** walkCompleteWide over byte codes (a copy, so that each sees one array type). */
function walkCompleteBytes(flat: FlatTrees, c: CompleteTrees, codes: Uint8Array, F: number, out: Float64Array, r0: number, r1: number, treeLimit: number): void {
  const { nodes, value } = c;
  const bits = flat.bits;
  const K = flat.outputs;
  const W = flat.width;
  for (let t = 0; t < treeLimit; t++) {
    const D = c.depth[t]!;
    if (D < 0) { walkBits(flat, codes, F, out, r0, r1, t); continue; }
    const o = flat.treeOutput[t]!;
    const base = c.slot[t]!;
    const v = c.leaf[t]! - ((1 << D) - 1);
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
      let h0 = 0; let h1 = 0; let h2 = 0; let h3 = 0; let h4 = 0; let h5 = 0; let h6 = 0; let h7 = 0;
      let q = 0; let w = 0; let x = 0;
      // The step (see completeStep() below) written out per row, as in walkBits.
      for (let d = 0; d < D; d++) {
        q = (base + h0) << 1; w = nodes[q]!; x = codes[b0 + (w & 0xffff)]!;
        h0 = 2 * h0 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h1) << 1; w = nodes[q]!; x = codes[b1 + (w & 0xffff)]!;
        h1 = 2 * h1 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h2) << 1; w = nodes[q]!; x = codes[b2 + (w & 0xffff)]!;
        h2 = 2 * h2 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h3) << 1; w = nodes[q]!; x = codes[b3 + (w & 0xffff)]!;
        h3 = 2 * h3 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h4) << 1; w = nodes[q]!; x = codes[b4 + (w & 0xffff)]!;
        h4 = 2 * h4 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h5) << 1; w = nodes[q]!; x = codes[b5 + (w & 0xffff)]!;
        h5 = 2 * h5 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h6) << 1; w = nodes[q]!; x = codes[b6 + (w & 0xffff)]!;
        h6 = 2 * h6 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
        q = (base + h7) << 1; w = nodes[q]!; x = codes[b7 + (w & 0xffff)]!;
        h7 = 2 * h7 + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
      }
      if (W === 1) {
        const p = r * K + o;
        out[p]! += value[v + h0]!; out[p + K]! += value[v + h1]!; out[p + 2 * K]! += value[v + h2]!; out[p + 3 * K]! += value[v + h3]!;
        out[p + 4 * K]! += value[v + h4]!; out[p + 5 * K]! += value[v + h5]!; out[p + 6 * K]! += value[v + h6]!; out[p + 7 * K]! += value[v + h7]!;
      } else {
        addLeaf(value, W, v + h0, out, r * K + o); addLeaf(value, W, v + h1, out, (r + 1) * K + o);
        addLeaf(value, W, v + h2, out, (r + 2) * K + o); addLeaf(value, W, v + h3, out, (r + 3) * K + o);
        addLeaf(value, W, v + h4, out, (r + 4) * K + o); addLeaf(value, W, v + h5, out, (r + 5) * K + o);
        addLeaf(value, W, v + h6, out, (r + 6) * K + o); addLeaf(value, W, v + h7, out, (r + 7) * K + o);
      }
    }
    for (; r < r1; r++) {
      let h = 0;
      for (let d = 0; d < D; d++) h = completeStep(nodes, bits, codes, r * F, base, h);
      addLeaf(value, W, v + h, out, r * K + o);
    }
  }
}

/** One step of the complete layout from slot h of the tree whose slots start at `base`. */
function completeStep(nodes: Int32Array, bits: Uint32Array, codes: Uint8Array | Uint16Array, b: number, base: number, h: number): number {
  const q = (base + h) << 1;
  const w = nodes[q]!;
  const x = codes[b + (w & 0xffff)]!;
  return 2 * h + 1 + ((((w >>> 16) - x) >>> 31) | ((bits[nodes[q + 1]! | ((x >>> 5) & 7)]! >>> x) & 1));
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
