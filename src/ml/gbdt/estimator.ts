/**
 * GradientBoostedTrees: Sluice's histogram gradient-boosted decision trees on Frames.
 *
 * Features are the frame's columns (or `features`); string columns are categorical natively and
 * numeric integer-code columns can be declared categorical by name. Missing values (NaN, null
 * strings) get a learned direction at every split.
 *
 * @example
 * const model = await new GradientBoostedTrees().fit(frame, label, {
 *   objective: 'binary', numTrees: 100, maxLeaves: 31, learningRate: 0.1, threads: 2,
 *   categoricalFeatures: ['origin_code'],
 * });
 * const p = model.predictProba(testFrame);   // P(label = 1) per row
 * const bytes = model.toBytes();             // GradientBoostedTrees.fromBytes(bytes) predicts the same
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import { checkOptionNames } from '../spec.ts';
import { binFeature, fitBinMappers, numBins, type BinningOptions } from '../trees/binning.ts';
import { startExecutor, trainBooster } from './booster.ts';
import { featureImportance, type ImportanceKind } from './importance.ts';
import { transformScores } from './losses.ts';
import { binFrame, featureColumns, type GbdtModel } from './model.ts';
import { resolveBoosterOptions, type BoosterOptions } from './options.ts';
import { flattenForest, predictRawBinned, PredictJob, type FlatForest } from './predict.ts';
import { OP_PREDICT } from './kernels.ts';
import { claimRunningTaskPool } from './pool.ts';

/** Batches at least this large predict on the running worker threads. */
const PARALLEL_PREDICT_ROWS = 50_000;
import { modelFromBytes, modelToBytes } from './serialize.ts';
import { treeShap } from './shap.ts';

export interface GbdtFitOptions extends BoosterOptions, Pick<BinningOptions, 'maxBins'> {
  /** Feature columns, in order (default: every column of the frame). */
  features?: readonly string[];
  /** Numeric columns holding integer category codes, to split on as categories. */
  categoricalFeatures?: readonly string[];
  /** Non-negative weight per training row. */
  sampleWeight?: Float64Array;
  /** Held-out rows for the validation loss and early stopping. */
  validation?: { frame: Frame; label: Float64Array; sampleWeight?: Float64Array };
  /** Aborting it stops the fit between rounds: fit rejects with CancelledError and no worker thread is left. */
  signal?: AbortSignal;
}

/** Every option name of GbdtFitOptions (the compiler keeps this list complete and exact). */
const FIT_OPTIONS = {
  objective: true, numClasses: true, numTrees: true, learningRate: true, maxLeaves: true, maxDepth: true, minSamplesLeaf: true,
  minHessianLeaf: true, minGain: true, subsample: true, colsample: true, seed: true, threads: true, huberDelta: true,
  earlyStoppingRounds: true, categorical: true, onIteration: true, maxBins: true,
  features: true, categoricalFeatures: true, sampleWeight: true, validation: true, signal: true, l2: true,
} as const satisfies Record<keyof GbdtFitOptions, true>;

export class GradientBoostedTrees {
  readonly #defaults: GbdtFitOptions;
  #model: GbdtModel | null = null;
  #forest: FlatForest | null = null;

  constructor(options: GbdtFitOptions = {}) {
    checkOptionNames('GradientBoostedTrees', options, FIT_OPTIONS);
    this.#defaults = options;
  }

  /** Fits on a frame's feature columns; `options` override the constructor's. Resolves to this. */
  async fit(frame: Frame, label: Float64Array, options: GbdtFitOptions = {}): Promise<this> {
    checkOptionNames('GradientBoostedTrees.fit', options, FIT_OPTIONS);
    const o: GbdtFitOptions = { ...this.#defaults, ...options };
    const n = frame.numRows;
    if (frame.numColumns === 0 || n === 0) throw new DataError(`gbdt cannot fit on an empty frame (${n} rows, ${frame.numColumns} columns)`);
    if (label.length !== n) throw new DataError(`gbdt label has ${label.length} entries but the frame has ${n} rows`);
    const names = [...(o.features ?? frame.names)];
    if (names.length === 0) throw new DataError('gbdt needs at least one feature column');
    if (new Set(names).size !== names.length) throw new DataError(`gbdt feature list has duplicates: ${names.join(', ')}`);
    const catSet = new Set(o.categoricalFeatures ?? []);
    for (const c of catSet) {
      if (!names.includes(c)) throw new DataError(`gbdt categorical feature "${c}" is not among the features (${names.join(', ')})`);
    }
    const columns = featureColumns(names, frame, 'training');
    const resolved = resolveBoosterOptions(o, n);
    // Workers start (about 0.1 s) while the main thread bins.
    const executor = startExecutor(resolved.threads, n);
    try {
      const mappers = fitBinMappers(
        names.map((name, i) => ({ name, column: columns[i]!, categorical: catSet.has(name) })),
        { maxBins: o.maxBins, seed: resolved.seed },
      );
      // One array per feature: binning writes each contiguously.
      const bins = mappers.map((m, f) => {
        const out = new Uint8Array(n);
        binFeature(m, columns[f]!, out, 0, 1);
        return out;
      });
      let valid = null;
      if (o.validation) {
        const v = o.validation;
        if (v.label.length !== v.frame.numRows) throw new DataError(`gbdt validation label has ${v.label.length} entries but the validation frame has ${v.frame.numRows} rows`);
        valid = { bins: binFrame({ mappers }, v.frame), label: v.label, weight: v.sampleWeight ?? null };
      }
      const booster = await trainBooster(
        {
          bins, numBins: mappers.map(numBins), categorical: Uint8Array.from(mappers, (m) => (m.kind === 'categorical' ? 1 : 0)),
          label, weight: o.sampleWeight ?? null, valid,
        },
        o,
        executor,
        o.signal,
      );
      this.#model = { ...booster, mappers };
      this.#forest = null;
    } finally {
      await (await executor).close();
    }
    return this;
  }

  /** The fitted model data (mappers and trees); throws before fit. */
  get model(): GbdtModel {
    if (!this.#model) throw new DataError('gbdt model is not fitted: call fit() or fromBytes() first');
    return this.#model;
  }

  get featureNames(): string[] { return this.model.mappers.map((m) => m.name); }

  #flat(): FlatForest {
    this.#forest ??= flattenForest(this.model.trees, this.model.outputs, this.model.numBins);
    return this.#forest;
  }

  /**
   * Raw scores (log-odds, class margins or values): n values, or n * numClasses row-major for
   * multiclass. Large batches use the gbdt worker threads when they are running (after a fit with
   * threads > 1; see closeThreads); the result is the same either way.
   */
  predictRaw(frame: Frame): Float64Array {
    const m = this.model;
    const n = frame.numRows;
    const forest = this.#flat();
    const pool = n >= PARALLEL_PREDICT_ROWS ? claimRunningTaskPool() : null;
    if (pool === null) return predictRawBinned(forest, binFrame(m, frame), n, m.baseScore);
    try {
      const F = m.mappers.length;
      const bins = binFrame(m, frame, new Uint8Array(new SharedArrayBuffer(Math.max(8, n * F))).subarray(0, n * F));
      const job = PredictJob.create(forest, bins, n, m.baseScore);
      pool.setup(job);
      pool.run(OP_PREDICT, [], job.tasks, true);
      return job.result();
    } finally {
      // A shared pool's close() drops the job and frees the pool synchronously.
      void pool.close();
    }
  }

  /**
   * Probabilities: for binary P(class 1) per row; for multiclass n * numClasses row-major
   * (see `predictClassProba` for one array per class).
   */
  predictProba(frame: Frame): Float64Array {
    const m = this.model;
    if (m.objective !== 'binary' && m.objective !== 'multiclass') throw new DataError(`gbdt predictProba needs a classifier; this model's objective is ${m.objective}`);
    return transformScores(m.objective, this.predictRaw(frame), m.outputs);
  }

  /** Multiclass (or binary) probabilities as one Float64Array per class. */
  predictClassProba(frame: Frame): Float64Array[] {
    const m = this.model;
    const p = this.predictProba(frame);
    if (m.objective === 'binary') return [p.map((x) => 1 - x), p];
    const K = m.outputs;
    const n = frame.numRows;
    return Array.from({ length: K }, (_, k) => {
      const col = new Float64Array(n);
      for (let r = 0; r < n; r++) col[r] = p[r * K + k]!;
      return col;
    });
  }

  /** Regression: predicted values. Classification: the most probable class index per row. */
  predict(frame: Frame): Float64Array {
    const m = this.model;
    const raw = this.predictRaw(frame);
    if (m.objective === 'binary') return raw.map((x) => (x > 0 ? 1 : 0));
    if (m.objective === 'multiclass') {
      const K = m.outputs;
      const out = new Float64Array(frame.numRows);
      for (let r = 0; r < out.length; r++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (raw[r * K + k]! > raw[r * K + best]!) best = k;
        out[r] = best;
      }
      return out;
    }
    return raw;
  }

  /**
   * Per-row feature contributions (TreeSHAP) to the raw score: for each row and output,
   * F values then the bias (expected raw score); they sum to predictRaw. Layout
   * [(row * outputs + k) * (F + 1) + f].
   */
  predictContributions(frame: Frame): Float64Array {
    const m = this.model;
    return treeShap(m.trees, m.outputs, m.baseScore, binFrame(m, frame), frame.numRows, m.mappers.length);
  }

  /** Total gain or split count per feature name. */
  featureImportance(kind: ImportanceKind = 'gain'): Record<string, number> {
    const m = this.model;
    const imp = featureImportance(m.trees, m.mappers.length, kind);
    const out: Record<string, number> = {};
    m.mappers.forEach((mp, f) => { out[mp.name] = imp[f]!; });
    return out;
  }

  /** Compact binary artifact (see serialize.ts); fromBytes gives back identical predictions. */
  toBytes(): Uint8Array {
    return modelToBytes(this.model);
  }

  static fromBytes(bytes: Uint8Array): GradientBoostedTrees {
    const est = new GradientBoostedTrees();
    est.#model = modelFromBytes(bytes);
    return est;
  }

  /** The fit options with defaults filled in, as trained. */
  get options(): ReturnType<typeof resolveBoosterOptions> { return this.model.options; }
}
