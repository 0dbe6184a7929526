/**
 * RandomForest: bagged decision trees on Frames, for classification (Gini) and regression
 * (squared error), as scikit-learn's RandomForestClassifier/Regressor: bootstrap samples, a random
 * subset of features tried at each split, out-of-bag score, mean-decrease-in-impurity importance.
 *
 * Features are the frame's columns (or `features`). Numeric columns are binned into at most 255
 * quantile bins (gbdt's binning). Text columns are categorical: a split sends a set of categories
 * left (the best subset, found by ordering categories by label mean), not a threshold on codes.
 * Numeric columns of integer codes can be declared categorical too. Missing values (NaN, null
 * text) get a learned direction at every split; categories never seen in training follow it.
 *
 * @example
 * const forest = await new RandomForest({ numTrees: 100, maxDepth: 12, seed: 1 }).fit(frame, label, { oobScore: true });
 * forest.predictProba(test);       // P(label = 1) per row
 * forest.oobScore;                 // out-of-bag accuracy
 * forest.featureImportance();      // { hour: 0.31, origin: 0.22, ... }
 * const again = RandomForest.fromBytes(forest.toBytes()); // predicts the same
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import type { Task } from '../estimator.ts';
import { fitForest, type RandomForestFitOptions } from './fit.ts';
import { forestImportance } from './importance.ts';
import { codesForFrame, fineCoarseMaps, type ForestModel } from './model.ts';
import { flattenForestTrees, predictBinned, type FlatTrees } from './predict.ts';
import { numBins } from '../trees/binning.ts';
import { availableParallelism } from 'node:os';
import { jobRunner, type PredictJob } from './jobs.ts';
import { acquireForestPool, releaseForestPool } from './pool.ts';
import { checkOptionNames } from '../spec.ts';
import { Checkpoint } from '../trees/cancel.ts';
import { forestFromBytes, forestToBytes } from './serialize.ts';

export type { RandomForestFitOptions } from './fit.ts';

export interface PredictOptions {
  /** Threads, this one included (default: all cores for 20,000 rows or more, else 1). */
  threads?: number;
  signal?: AbortSignal;
}

/** Rows per prediction task. */
const PREDICT_BLOCK = 8192;

/** Every option name of RandomForestFitOptions (the compiler keeps this list complete and exact). */
const FIT_OPTIONS = {
  task: true, numClasses: true, numTrees: true, maxDepth: true, maxFeatures: true, minSamplesLeaf: true, minSamplesSplit: true,
  bootstrap: true, maxSamples: true, oobScore: true, seed: true, threads: true, maxBins: true, exactSplitRows: true,
  features: true, categoricalFeatures: true, sampleWeight: true, onProgress: true, signal: true,
} as const satisfies Record<keyof RandomForestFitOptions, true>;

export class RandomForest {
  readonly #defaults: RandomForestFitOptions;
  #model: ForestModel | null = null;
  #flat: FlatTrees | null = null;
  #oobPrediction: Float64Array | null = null;

  constructor(options: RandomForestFitOptions = {}) {
    checkOptionNames('RandomForest', options, FIT_OPTIONS);
    this.#defaults = options;
  }

  /** Fits on a frame's feature columns; `options` override the constructor's. Resolves to this. */
  async fit(frame: Frame, label: Float64Array, options: RandomForestFitOptions = {}): Promise<this> {
    checkOptionNames('RandomForest.fit', options, FIT_OPTIONS);
    const { model, oobPrediction } = await fitForest(frame, label, { ...this.#defaults, ...options });
    this.#model = model;
    this.#flat = null;
    this.#oobPrediction = oobPrediction;
    return this;
  }

  /** The fitted model data (mappers and trees); throws before fit. */
  get model(): ForestModel {
    if (!this.#model) throw new DataError('random forest is not fitted: call fit() or fromBytes() first');
    return this.#model;
  }

  get task(): Task { return this.model.task; }

  get featureNames(): string[] { return this.model.mappers.map((m) => m.name); }

  /** Out-of-bag accuracy (classification) or R² (regression); null unless fitted with oobScore. */
  get oobScore(): number | null { return this.model.oobScore; }

  /**
   * Out-of-bag predictions of the training rows (as predictProba / predict lay them out), NaN for
   * rows no tree left out; null unless fitted with oobScore in this process.
   */
  get oobPrediction(): Float64Array | null { return this.#oobPrediction; }

  #flatTrees(): FlatTrees {
    const m = this.model;
    this.#flat ??= flattenForestTrees(m.trees, m.outputs, Int32Array.from(m.mappers, numBins), fineCoarseMaps(m));
    return this.#flat;
  }

  /** Mean of the trees' leaf values: P(class 1), class probabilities (n x K row-major) or values. */
  #average(frame: Frame): Float64Array {
    const m = this.model;
    return predictBinned(this.#flatTrees(), codesForFrame(m, frame), frame.numRows, m.mappers.length);
  }

  /**
   * The mean of the trees as #average, computed on worker threads: row blocks shared among
   * `threads` threads, this one included (default: all cores for 20,000 rows or more). The result
   * is the same as the synchronous path's, bit for bit. Aborting `signal` rejects with
   * CancelledError and stops the workers.
   */
  async #averageAsync(frame: Frame, o: PredictOptions): Promise<Float64Array> {
    const m = this.model;
    const n = frame.numRows;
    const threads = Math.max(1, Math.min(o.threads ?? (n >= 20_000 ? availableParallelism() : 1), Math.ceil(n / PREDICT_BLOCK)));
    if (threads <= 1 && !o.signal) return this.#average(frame);
    const flat = this.#flatTrees();
    const job: PredictJob = {
      kind: 'predict', flat, codes: codesForFrame(m, frame, true), F: m.mappers.length, n,
      out: new Float64Array(new SharedArrayBuffer(Math.max(8, 8 * n * m.outputs))).subarray(0, n * m.outputs), block: PREDICT_BLOCK,
    };
    const checkpoint = new Checkpoint(o.signal, 'random forest prediction');
    const pool = threads > 1 ? acquireForestPool(threads) : null;
    let ok = false;
    try {
      const run = jobRunner(job);
      const tasks = Math.ceil(n / PREDICT_BLOCK);
      if (pool) await pool.run(job, tasks, run, undefined, checkpoint);
      else for (let b = 0; b < tasks; b++) { await checkpoint.next(); run(b); }
      ok = true;
    } finally {
      if (pool) await releaseForestPool(pool, ok);
    }
    const out = job.out.slice();
    const T = flat.numTrees;
    for (let i = 0; i < out.length; i++) out[i]! /= T;
    return out;
  }

  /** predictProba on worker threads (see #averageAsync): for large batches. */
  async predictProbaAsync(frame: Frame, options: PredictOptions = {}): Promise<Float64Array> {
    if (this.model.task === 'regression') throw new DataError('random forest predictProba needs a classifier; this forest is a regressor', { hint: 'Use predict().' });
    return this.#averageAsync(frame, options);
  }

  /** Regression: predict() on worker threads (see #averageAsync). */
  async predictValuesAsync(frame: Frame, options: PredictOptions = {}): Promise<Float64Array> {
    if (this.model.task !== 'regression') throw new DataError('random forest predictValuesAsync needs a regressor; this forest is a classifier', { hint: 'Use predictProbaAsync().' });
    return this.#averageAsync(frame, options);
  }

  /**
   * Classification probabilities: binary P(class 1) per row; multiclass n x numClasses row-major
   * (the mean over trees of the leaves' class shares, as scikit-learn's predict_proba).
   */
  predictProba(frame: Frame): Float64Array {
    if (this.model.task === 'regression') throw new DataError('random forest predictProba needs a classifier; this forest is a regressor', { hint: 'Use predict().' });
    return this.#average(frame);
  }

  /** Regression: the mean of the trees. Classification: the most probable class per row. */
  predict(frame: Frame): Float64Array {
    const m = this.model;
    const p = this.#average(frame);
    if (m.task === 'regression') return p;
    if (m.task === 'binary') return p.map((x) => (x > 0.5 ? 1 : 0));
    const K = m.outputs;
    const out = new Float64Array(frame.numRows);
    for (let r = 0; r < out.length; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (p[r * K + k]! > p[r * K + best]!) best = k;
      out[r] = best;
    }
    return out;
  }

  /** Mean decrease in impurity per feature name, normalized to sum 1 (scikit-learn's feature_importances_). */
  featureImportance(): Record<string, number> {
    const m = this.model;
    const imp = forestImportance(m.trees, m.mappers.length);
    const out: Record<string, number> = {};
    m.mappers.forEach((mp, f) => { out[mp.name] = imp[f]!; });
    return out;
  }

  /** Compact binary artifact (see serialize.ts); fromBytes gives back identical predictions. */
  toBytes(): Uint8Array {
    return forestToBytes(this.model);
  }

  static fromBytes(bytes: Uint8Array): RandomForest {
    const f = new RandomForest();
    f.#model = forestFromBytes(bytes);
    return f;
  }
}
