/**
 * Batch prediction from flattened tree arrays. All trees' nodes live in one set of arrays (split
 * feature, two children, a 256-byte bin -> direction table), so walking a tree is a few array
 * loads per level with no branch on the split kind: numeric thresholds, categorical sets and
 * missing values are all the same table lookup. Rows are processed in blocks, tree by tree, so a
 * tree's tables stay in cache while a block of rows walks it.
 *
 * @example
 * const forest = flattenForest(booster.trees, booster.outputs);
 * const raw = predictRawBinned(forest, bins, numRows, booster.baseScore);
 */
import type { Tree } from './tree.ts';

export interface FlatForest {
  readonly numTrees: number;
  readonly outputs: number;
  /** Internal nodes of all trees come first (0..numInternal-1), then all leaves. */
  readonly numInternal: number;
  /** Per tree: its root node. */
  readonly roots: Int32Array;
  /** Per tree: the output (class) it adds to. */
  readonly treeOutput: Int32Array;
  /** Per node: split feature (0 for leaves). */
  readonly feature: Int32Array;
  /** Per node, [left, right]; a leaf's children are itself, so stepping past a leaf stays there. */
  readonly child: Int32Array;
  /** Per node, 256 entries: 1 when a row with that bin goes right (all 0 for leaves). */
  readonly right: Uint8Array;
  /** Per node: leaf output (0 for internal nodes). */
  readonly value: Float64Array;
}

function sharedArray<T extends Int32Array | Uint8Array | Float64Array>(make: new (b: SharedArrayBuffer) => T, bytesPer: number, length: number): T {
  return new make(new SharedArrayBuffer(Math.max(8, bytesPer * length)));
}

/**
 * Flattens trees for prediction. The arrays sit on SharedArrayBuffers so that worker threads can
 * predict with them without a copy.
 */
export function flattenForest(trees: readonly Tree[], outputs: number): FlatForest {
  let internal = 0;
  let leaves = 0;
  for (const t of trees) {
    for (let i = 0; i < t.numNodes; i++) {
      if (t.left[i]! >= 0) internal++;
      else leaves++;
    }
  }
  const total = internal + leaves;
  const feature = sharedArray(Int32Array, 4, total).subarray(0, total);
  const child = sharedArray(Int32Array, 4, 2 * total).subarray(0, 2 * total);
  const right = sharedArray(Uint8Array, 1, 256 * total).subarray(0, 256 * total);
  const value = sharedArray(Float64Array, 8, total).subarray(0, total);
  const roots = sharedArray(Int32Array, 4, trees.length).subarray(0, trees.length);
  const treeOutput = sharedArray(Int32Array, 4, trees.length).subarray(0, trees.length);
  let ni = 0;
  let nl = internal;
  trees.forEach((t, ti) => {
    treeOutput[ti] = ti % outputs;
    // Tree-local node -> flat node.
    const code = new Int32Array(t.numNodes);
    for (let i = 0; i < t.numNodes; i++) code[i] = t.left[i]! >= 0 ? ni++ : nl++;
    roots[ti] = code[0]!;
    for (let i = 0; i < t.numNodes; i++) {
      const c = code[i]!;
      if (t.left[i]! < 0) {
        value[c] = t.value[i]!;
        child[2 * c] = c;
        child[2 * c + 1] = c;
        continue;
      }
      feature[c] = t.feature[i]!;
      child[2 * c] = code[t.left[i]!]!;
      child[2 * c + 1] = code[t.right[i]!]!;
      for (let b = 0; b < 256; b++) right[256 * c + b] = 1 - ((t.leftBits[8 * i + (b >> 5)]! >>> (b & 31)) & 1);
    }
  });
  return { numTrees: trees.length, outputs, numInternal: internal, roots, treeOutput, feature, child, right, value };
}

const ROW_BLOCK = 256;

/**
 * Adds the trees' outputs for rows [from, to) of a row-major bin matrix (F bytes per row) into
 * `out` (row-major, `outputs` per row), which the caller fills with base scores first.
 *
 * Eight rows walk a tree together: their steps are independent, so the CPU overlaps the chains
 * of dependent loads (node -> bin -> table -> child) instead of waiting on each in turn. Rows that
 * reach a leaf early keep stepping on the leaf, which points to itself.
 */
export function accumulateForest(forest: FlatForest, bins: Uint8Array, F: number, out: Float64Array, from: number, to: number, treeLimit = forest.numTrees): void {
  const K = forest.outputs;
  const { roots, treeOutput, feature: feat, child, right: lut, value } = forest;
  const I = forest.numInternal;
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    for (let t = 0; t < treeLimit; t++) {
      const root = roots[t]!;
      const k = treeOutput[t]!;
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
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        let n4 = root;
        let n5 = root;
        let n6 = root;
        let n7 = root;
        // Until all eight are leaves (node - I is negative for internal nodes).
        while (((n0 - I) | (n1 - I) | (n2 - I) | (n3 - I) | (n4 - I) | (n5 - I) | (n6 - I) | (n7 - I)) < 0) {
          n0 = child[(n0 << 1) | lut[(n0 << 8) | bins[b0 + feat[n0]!]!]!]!;
          n1 = child[(n1 << 1) | lut[(n1 << 8) | bins[b1 + feat[n1]!]!]!]!;
          n2 = child[(n2 << 1) | lut[(n2 << 8) | bins[b2 + feat[n2]!]!]!]!;
          n3 = child[(n3 << 1) | lut[(n3 << 8) | bins[b3 + feat[n3]!]!]!]!;
          n4 = child[(n4 << 1) | lut[(n4 << 8) | bins[b4 + feat[n4]!]!]!]!;
          n5 = child[(n5 << 1) | lut[(n5 << 8) | bins[b5 + feat[n5]!]!]!]!;
          n6 = child[(n6 << 1) | lut[(n6 << 8) | bins[b6 + feat[n6]!]!]!]!;
          n7 = child[(n7 << 1) | lut[(n7 << 8) | bins[b7 + feat[n7]!]!]!]!;
        }
        const o = r * K + k;
        out[o]! += value[n0]!;
        out[o + K]! += value[n1]!;
        out[o + 2 * K]! += value[n2]!;
        out[o + 3 * K]! += value[n3]!;
        out[o + 4 * K]! += value[n4]!;
        out[o + 5 * K]! += value[n5]!;
        out[o + 6 * K]! += value[n6]!;
        out[o + 7 * K]! += value[n7]!;
      }
      for (; r < r1; r++) {
        const b0 = r * F;
        let n0 = root;
        while (n0 < I) n0 = child[(n0 << 1) | lut[(n0 << 8) | bins[b0 + feat[n0]!]!]!]!;
        out[r * K + k]! += value[n0]!;
      }
    }
  }
}

/** Raw scores (n * outputs, row-major) of n binned rows. */
export function predictRawBinned(forest: FlatForest, bins: Uint8Array, n: number, baseScore: Float64Array, treeLimit = forest.numTrees): Float64Array {
  const K = forest.outputs;
  const F = n > 0 ? bins.length / n : 0;
  const out = new Float64Array(n * K);
  for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) out[r * K + k] = baseScore[k]!;
  accumulateForest(forest, bins, F, out, 0, n, treeLimit);
  return out;
}

/** Rows per prediction task. */
export const PREDICT_BLOCK = 16_384;

/** Structured-cloneable description of a prediction job for worker threads. */
export interface PredictJobSpec {
  kind: 'predict';
  n: number;
  F: number;
  treeLimit: number;
  bins: SharedArrayBuffer;
  out: SharedArrayBuffer;
  forest: {
    numTrees: number; outputs: number; numInternal: number;
    roots: SharedArrayBuffer; treeOutput: SharedArrayBuffer; feature: SharedArrayBuffer;
    child: SharedArrayBuffer; right: SharedArrayBuffer; value: SharedArrayBuffer;
  };
}

/** A batch prediction split into row blocks (tasks) that any thread may run. */
export class PredictJob {
  readonly spec: PredictJobSpec;
  readonly forest: FlatForest;
  readonly bins: Uint8Array;
  readonly out: Float64Array;
  readonly tasks: number;

  private constructor(spec: PredictJobSpec) {
    this.spec = spec;
    const f = spec.forest;
    const total = f.feature.byteLength / 4;
    this.forest = {
      numTrees: f.numTrees, outputs: f.outputs, numInternal: f.numInternal,
      roots: new Int32Array(f.roots, 0, f.numTrees), treeOutput: new Int32Array(f.treeOutput, 0, f.numTrees),
      feature: new Int32Array(f.feature), child: new Int32Array(f.child), right: new Uint8Array(f.right, 0, 256 * total),
      value: new Float64Array(f.value),
    };
    this.bins = new Uint8Array(spec.bins, 0, spec.n * spec.F);
    this.out = new Float64Array(spec.out, 0, spec.n * f.outputs);
    this.tasks = Math.ceil(spec.n / PREDICT_BLOCK);
  }

  /** A job over n binned rows (on a SharedArrayBuffer); out starts at the base scores. */
  static create(forest: FlatForest, bins: Uint8Array, n: number, baseScore: Float64Array, treeLimit = forest.numTrees): PredictJob {
    const buf = (a: ArrayBufferView): SharedArrayBuffer => {
      if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0) throw new Error('gbdt: prediction arrays must start a SharedArrayBuffer');
      return a.buffer;
    };
    const K = forest.outputs;
    const out = new Float64Array(new SharedArrayBuffer(Math.max(8, 8 * n * K)));
    for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) out[r * K + k] = baseScore[k]!;
    return new PredictJob({
      kind: 'predict', n, F: n > 0 ? bins.length / n : 0, treeLimit, bins: buf(bins), out: out.buffer as SharedArrayBuffer,
      forest: {
        numTrees: forest.numTrees, outputs: K, numInternal: forest.numInternal,
        roots: buf(forest.roots), treeOutput: buf(forest.treeOutput), feature: buf(forest.feature),
        child: buf(forest.child), right: buf(forest.right), value: buf(forest.value),
      },
    });
  }

  static attach(spec: PredictJobSpec): PredictJob {
    return new PredictJob(spec);
  }

  run(task: number): void {
    const from = task * PREDICT_BLOCK;
    const to = Math.min(this.spec.n, from + PREDICT_BLOCK);
    accumulateForest(this.forest, this.bins, this.spec.F, this.out, from, to, this.spec.treeLimit);
  }

  /** The raw scores, copied off the shared buffer. */
  result(): Float64Array {
    return this.out.slice();
  }
}
