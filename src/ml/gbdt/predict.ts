/**
 * Batch prediction of a boosted ensemble: the shared flattened trees and walk of ../trees/flat.ts
 * (one value per leaf, added to the tree's class), base scores first, and a job that splits a
 * batch into row blocks for the gbdt worker threads.
 *
 * @example
 * const forest = flattenForest(booster.trees, booster.outputs, booster.numBins);
 * const raw = predictRawBinned(forest, bins, numRows, booster.baseScore);
 */
import { accumulate, flattenTrees, type CompleteTrees, type FlatTrees } from '../trees/flat.ts';
import type { Tree } from '../trees/tree.ts';

export type FlatForest = FlatTrees;

/** Flattens boosted trees: tree t adds its leaf value to output t % outputs. */
export function flattenForest(trees: readonly Tree[], outputs: number, numBins: ArrayLike<number>): FlatTrees {
  return flattenTrees(trees.map((tree) => ({ tree, values: tree.value })), { width: 1, outputs, treeOutput: (t) => t % outputs, numBins });
}

/** Adds the trees' outputs for rows [from, to) of a row-major bin matrix into `out` (base scores first). */
export function accumulateForest(forest: FlatTrees, bins: Uint8Array, F: number, out: Float64Array, from: number, to: number, treeLimit = forest.numTrees): void {
  accumulate(forest, bins, F, out, from, to, treeLimit);
}

/** Raw scores (n * outputs, row-major) of n binned rows. */
export function predictRawBinned(forest: FlatTrees, bins: Uint8Array, n: number, baseScore: Float64Array, treeLimit = forest.numTrees): Float64Array {
  const K = forest.outputs;
  const F = n > 0 ? bins.length / n : 0;
  const out = new Float64Array(n * K);
  for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) out[r * K + k] = baseScore[k]!;
  accumulate(forest, bins, F, out, 0, n, treeLimit);
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
    numTrees: number; outputs: number; width: number;
    roots: SharedArrayBuffer; treeOutput: SharedArrayBuffer; nodes: SharedArrayBuffer; bits: SharedArrayBuffer; value: SharedArrayBuffer;
    lengths: [number, number, number];
    /** The complete layout (its big arrays on SharedArrayBuffers: the clone shares them). */
    complete: CompleteTrees | null;
  };
}

/** A batch prediction split into row blocks (tasks) that any thread may run. */
export class PredictJob {
  readonly spec: PredictJobSpec;
  readonly forest: FlatTrees;
  readonly bins: Uint8Array;
  readonly out: Float64Array;
  readonly tasks: number;

  private constructor(spec: PredictJobSpec) {
    this.spec = spec;
    const f = spec.forest;
    this.forest = {
      numTrees: f.numTrees, outputs: f.outputs, width: f.width, wide: false,
      roots: new Int32Array(f.roots, 0, f.numTrees), treeOutput: new Int32Array(f.treeOutput, 0, f.numTrees),
      nodes: new Int32Array(f.nodes, 0, f.lengths[0]), bits: new Uint32Array(f.bits, 0, f.lengths[1]), value: new Float64Array(f.value, 0, f.lengths[2]),
      complete: f.complete,
    };
    this.bins = new Uint8Array(spec.bins, 0, spec.n * spec.F);
    this.out = new Float64Array(spec.out, 0, spec.n * f.outputs);
    this.tasks = Math.ceil(spec.n / PREDICT_BLOCK);
  }

  /** A job over n binned rows (on a SharedArrayBuffer); out starts at the base scores. */
  static create(forest: FlatTrees, bins: Uint8Array, n: number, baseScore: Float64Array, treeLimit = forest.numTrees): PredictJob {
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
        numTrees: forest.numTrees, outputs: K, width: forest.width,
        roots: buf(forest.roots), treeOutput: buf(forest.treeOutput), nodes: buf(forest.nodes), bits: buf(forest.bits), value: buf(forest.value),
        lengths: [forest.nodes.length, forest.bits.length, forest.value.length],
        complete: forest.complete ?? null,
      },
    });
  }

  static attach(spec: PredictJobSpec): PredictJob {
    return new PredictJob(spec);
  }

  run(task: number): void {
    const from = task * PREDICT_BLOCK;
    const to = Math.min(this.spec.n, from + PREDICT_BLOCK);
    accumulate(this.forest, this.bins, this.spec.F, this.out, from, to, this.spec.treeLimit);
  }

  /** The raw scores, copied off the shared buffer. */
  result(): Float64Array {
    return this.out.slice();
  }
}
