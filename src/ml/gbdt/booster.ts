/**
 * Gradient boosting on pre-binned data: the training loop (gradients, one tree per output per
 * iteration, raw-score updates), column sampling, validation loss and early stopping. The
 * estimator in estimator.ts wraps this with binning from Frames; other tree ensembles can call it
 * directly on a bin matrix.
 *
 * @example
 * const booster = await trainBooster(
 *   { bins, numBins, categorical, label },
 *   { objective: 'binary', numTrees: 100, threads: 2 },
 * );
 * const raw = predictRawBinned(booster, bins, bins.length / numBins.length);
 */
import { CancelledError, DataError } from '../../core/errors.ts';
import { Checkpoint } from '../trees/cancel.ts';
import { lossFor, type Objective } from './losses.ts';
import { resolveBoosterOptions, type BoosterOptions, type ResolvedOptions } from './options.ts';
import { LocalExecutor, TaskPool, sharedTaskPool, type Executor } from './pool.ts';
import { NUM_ARGS, OP_GRAD } from './kernels.ts';
import { PARALLEL_MIN_ROWS, TreeGrower } from './grower.ts';
import { rng, sampleIndices } from '../trees/sampling.ts';
import type { Tree } from '../trees/tree.ts';
import { Workspace, blockCount, fusable } from './workspace.ts';
import type { FeatureBins } from '../trees/histogram.ts';

export interface BinnedData {
  /**
   * Bins per feature, missing values in bin numBins[f]: a row-major matrix (row r, feature f at
   * r * numFeatures + f) or one Uint8Array per feature.
   */
  bins: FeatureBins;
  /** Value bins per feature (<= 255). */
  numBins: ArrayLike<number>;
  /** 1 for categorical features. */
  categorical: Uint8Array;
}

export interface TrainInput extends BinnedData {
  label: Float64Array;
  weight?: Float64Array | null;
  /** Validation rows binned with the same mappers, for early stopping and the loss history. */
  valid?: { bins: FeatureBins; label: Float64Array; weight?: Float64Array | null } | null;
}

/** A trained ensemble in bin space. */
export interface Booster {
  readonly objective: Objective;
  /** Classes for multiclass; 1 for the other objectives. */
  readonly numClasses: number;
  /** Raw scores per row: numClasses for multiclass, 1 otherwise. */
  readonly outputs: number;
  readonly baseScore: Float64Array;
  /** Trees in iteration order; tree t belongs to output t % outputs. */
  readonly trees: Tree[];
  readonly numBins: Int32Array;
  readonly categorical: Uint8Array;
  /** Iterations kept (the best one with early stopping). */
  readonly iterations: number;
  /** Validation loss after each iteration (empty without validation data). */
  readonly validLoss: number[];
  /** Iteration (0-based) with the lowest validation loss, or the last one. */
  readonly bestIteration: number;
  readonly options: ResolvedOptions;
}

function checkLabels(objective: Objective, label: Float64Array, numClasses: number, where: string): number {
  const n = label.length;
  for (let i = 0; i < n; i++) {
    const y = label[i]!;
    if (!Number.isFinite(y)) throw new DataError(`gbdt ${where} label at row ${i} is ${y}; labels must be finite`, { context: { row: i } });
  }
  if (objective === 'binary') {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const y = label[i]!;
      if (y !== 0 && y !== 1) throw new DataError(`gbdt binary ${where} label at row ${i} is ${y}; expected 0 or 1`, { context: { row: i } });
      pos += y;
    }
    if (where === 'training' && (pos === 0 || pos === n)) {
      throw new DataError(`gbdt binary training labels are all ${pos === 0 ? 0 : 1}: both classes are needed`, { hint: 'Check the label column and any filter applied before training.' });
    }
    return 1;
  }
  if (objective === 'multiclass') {
    let max = 0;
    for (let i = 0; i < n; i++) {
      const y = label[i]!;
      if (!Number.isInteger(y) || y < 0) throw new DataError(`gbdt multiclass ${where} label at row ${i} is ${y}; expected a class index 0, 1, 2...`, { context: { row: i } });
      if (y > max) max = y;
    }
    const k = numClasses > 0 ? numClasses : max + 1;
    if (max >= k) throw new DataError(`gbdt multiclass ${where} label ${max} is not below numClasses ${k}`);
    if (where === 'training') {
      const seen = new Set<number>();
      for (let i = 0; i < n && seen.size < 2; i++) seen.add(label[i]!);
      if (seen.size < 2) throw new DataError(`gbdt multiclass training labels hold one class only (${[...seen][0]})`);
      if (k < 2) throw new DataError('gbdt multiclass needs at least 2 classes');
    }
    return k;
  }
  return 1;
}

function checkBins(bins: FeatureBins, n: number, F: number, where: string): void {
  if (bins instanceof Uint8Array) {
    if (bins.length !== n * F) throw new DataError(`gbdt ${where} bin matrix holds ${bins.length} bytes; ${n} rows x ${F} features need ${n * F}`);
    return;
  }
  if (bins.length !== F) throw new DataError(`gbdt ${where} bins have ${bins.length} columns for ${F} features`);
  bins.forEach((c, f) => {
    if (c.length !== n) throw new DataError(`gbdt ${where} bins of feature ${f} hold ${c.length} rows, expected ${n}`);
  });
}

function checkWeights(weight: Float64Array | null | undefined, n: number, where: string): Float64Array | null {
  if (!weight) return null;
  if (weight.length !== n) throw new DataError(`gbdt ${where} sample weights have ${weight.length} entries for ${n} rows`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weight[i]!;
    if (!Number.isFinite(w) || w < 0) throw new DataError(`gbdt ${where} sample weight at row ${i} is ${w}; weights must be finite and >= 0`, { context: { row: i } });
    sum += w;
  }
  if (!(sum > 0)) throw new DataError(`gbdt ${where} sample weights sum to 0`);
  return weight;
}

/**
 * The executor for `threads` threads over n rows: the process's shared worker pool (see pool.ts)
 * when threads can help, else the main thread alone. close() it when done.
 */
export async function startExecutor(threads: number, n: number): Promise<Executor> {
  if (threads <= 1 || blockCount(n) <= 1 || n < PARALLEL_MIN_ROWS) return new LocalExecutor();
  return sharedTaskPool(Math.min(threads, blockCount(n)));
}

/**
 * Trains a booster. `executor` lets a caller start worker threads early (e.g. while binning) and
 * keeps it open; otherwise one is started for `threads` and closed at the end.
 */
export async function trainBooster(
  input: TrainInput, options: BoosterOptions = {}, executor?: Executor | Promise<Executor>, signal?: AbortSignal,
): Promise<Booster> {
  const F = input.numBins.length;
  const n = input.label.length;
  if (n === 0) throw new DataError('gbdt cannot train on 0 rows');
  if (F === 0) throw new DataError('gbdt needs at least one feature');
  checkBins(input.bins, n, F, 'training');
  if (input.categorical.length !== F) throw new DataError(`gbdt categorical flags have ${input.categorical.length} entries for ${F} features`);
  for (let f = 0; f < F; f++) {
    const nb = input.numBins[f]!;
    if (!Number.isInteger(nb) || nb < 1 || nb > 255) throw new DataError(`gbdt feature ${f} has ${nb} bins; expected 1..255`);
  }
  const opts = resolveBoosterOptions(options, n);
  const K = checkLabels(opts.objective, input.label, opts.numClasses, 'training');
  opts.numClasses = opts.objective === 'multiclass' ? K : 1;
  const weight = checkWeights(input.weight, n, 'training');
  const valid = input.valid ?? null;
  let validWeight: Float64Array | null = null;
  if (valid) {
    const vn = valid.label.length;
    if (vn === 0) throw new DataError('gbdt validation data has 0 rows');
    checkBins(valid.bins, vn, F, 'validation');
    checkLabels(opts.objective, valid.label, K, 'validation');
    validWeight = checkWeights(valid.weight, vn, 'validation');
  }
  if (opts.earlyStoppingRounds > 0 && !valid) throw new DataError('gbdt earlyStoppingRounds needs validation data');

  const loss = lossFor(opts.objective);
  const base = loss.initScores(input.label, weight, K);
  if (opts.objective === 'huber' && Number.isNaN(opts.huberDelta)) {
    const dev = new Float64Array(n);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(input.label[i]! - base[0]!);
    const sorted = dev.sort();
    opts.huberDelta = Math.max(sorted[Math.min(n - 1, Math.floor(0.9 * n))]!, 1e-12);
  }
  const raw = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = base[k]!;
  let vraw: Float64Array | null = null;
  if (valid) {
    vraw = new Float64Array(valid.label.length * K);
    for (let i = 0; i < valid.label.length; i++) for (let k = 0; k < K; k++) vraw[i * K + k] = base[k]!;
  }

  const ws = Workspace.create({
    bins: input.bins, numBins: input.numBins, label: input.label, weight, outputs: K, maxLeaves: opts.maxLeaves,
    objective: opts.objective, huberDelta: opts.huberDelta, subsample: opts.subsample, seed: opts.seed, raw,
    valid: valid && vraw ? { bins: valid.bins, raw: vraw } : null,
  });
  const own = executor === undefined;
  const exec = await (executor ?? startExecutor(opts.threads, n));
  const checkpoint = new Checkpoint(signal, 'gbdt fit');
  let cancelled = false;
  try {
    exec.setup(ws);
    const grower = new TreeGrower(ws, exec, opts, input.categorical);
    const trees: Tree[] = [];
    const validLoss: number[] = [];
    let bestIteration = -1;
    let bestLoss = Infinity;
    const random = rng(opts.seed ^ 0x2545f491);
    const nCols = Math.max(1, Math.round(opts.colsample * F));
    const args = new Int32Array(NUM_ARGS);
    // Single output without row sampling: each tree's update pass also computes the next
    // gradients (rows are visited once instead of twice).
    const fuse = fusable({ outputs: K, subsample: opts.subsample });
    // With every feature in every tree, that pass also builds the next tree's root histogram.
    const fuseRoot = fuse && nCols === F;
    if (nCols === F) grower.setFeatures(Int32Array.from({ length: F }, (_, i) => i));
    let vWeightSum = 0;
    if (valid) for (let i = 0; i < valid.label.length; i++) vWeightSum += validWeight ? validWeight[i]! : 1;

    for (let iter = 0; iter < opts.numTrees; iter++) {
      await checkpoint.next(() => `after ${iter} of ${opts.numTrees} rounds`);
      if (iter === 0 || !fuse) exec.run(OP_GRAD, args, ws.B, n >= PARALLEL_MIN_ROWS);
      for (let k = 0; k < K; k++) {
        if (nCols < F) grower.setFeatures(sampleIndices(F, nCols, random));
        trees.push(grower.grow(k, iter, fuse, fuseRoot && iter > 0, fuseRoot && iter + 1 < opts.numTrees));
      }
      if (valid && ws.valid) {
        const l = loss.lossSum(ws.valid.raw, valid.label, validWeight, 0, valid.label.length, K, opts.huberDelta) / vWeightSum;
        validLoss.push(l);
        if (l < bestLoss) { bestLoss = l; bestIteration = iter; }
        if (opts.earlyStoppingRounds > 0 && iter - bestIteration >= opts.earlyStoppingRounds) break;
      }
      options.onIteration?.(iter + 1, opts.numTrees);
    }
    const iterations = opts.earlyStoppingRounds > 0 && bestIteration >= 0 ? bestIteration + 1 : trees.length / K;
    trees.length = iterations * K;
    return {
      objective: opts.objective,
      numClasses: opts.numClasses,
      outputs: K,
      baseScore: base,
      trees,
      numBins: Int32Array.from(input.numBins),
      categorical: input.categorical.slice(),
      iterations,
      validLoss,
      bestIteration: bestIteration >= 0 ? bestIteration : iterations - 1,
      options: opts,
    };
  } catch (e) {
    cancelled = e instanceof CancelledError;
    throw e;
  } finally {
    // A cancelled fit leaves no thread behind, not even the shared pool's.
    if (cancelled && exec instanceof TaskPool) await exec.shutdown();
    else if (own) await exec.close();
  }
}

