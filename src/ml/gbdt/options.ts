/**
 * Training parameters of the booster, their defaults (close to scikit-learn's
 * HistGradientBoosting and LightGBM) and their validation.
 *
 * @example
 * const p = resolveBoosterOptions({ objective: 'binary', numTrees: 200, learningRate: 0.05 });
 */
import { availableParallelism } from 'node:os';
import { DataError } from '../../core/errors.ts';
import type { OptionRules } from '../spec.ts';
import { OBJECTIVES, type Objective } from './losses.ts';

export interface CategoricalSplitOptions {
  /** Added to each category's hessian when ordering categories by gradient/hessian (default 10). */
  smoothing?: number;
  /** Extra L2 regularization on the children of many-versus-many categorical splits (default 10; not one-versus-rest splits). */
  l2?: number;
  /** Largest set of categories sent one way by a split (default 32). */
  maxSetSize?: number;
  /** Categories with fewer rows at a node are not ordered but follow the missing direction (default 10). */
  minSamples?: number;
  /** With this many eligible categories or fewer, try one category against the rest (default 4). */
  maxOneHot?: number;
}

export interface BoosterOptions {
  objective?: Objective;
  /** Classes for 'multiclass' (labels are 0..numClasses-1); inferred from the labels when absent. */
  numClasses?: number;
  /** Boosting iterations (default 100); multiclass grows one tree per class per iteration. */
  numTrees?: number;
  learningRate?: number;
  /** Leaves per tree, leaf-wise growth (default 31). */
  maxLeaves?: number;
  /** Depth limit, 0 for none (default 0). */
  maxDepth?: number;
  /** Fewest rows in a leaf (default 20). */
  minSamplesLeaf?: number;
  /** Smallest sum of hessians in a leaf (default 1e-3). */
  minHessianLeaf?: number;
  /** L2 regularization of leaf values (default 0). */
  l2?: number;
  /** Smallest loss reduction for a split (default 0). */
  minGain?: number;
  /** Fraction of rows sampled (without replacement) for each iteration (default 1). */
  subsample?: number;
  /** Fraction of features sampled for each tree (default 1). */
  colsample?: number;
  /** Seed of row/column sampling and of the binning sample (default 0). */
  seed?: number;
  /**
   * Threads, main thread included (default: all cores for 100k rows or more, else 1).
   * The model does not depend on it.
   */
  threads?: number;
  /** Huber threshold on the residual; default the 90th percentile of |y - median(y)|. */
  huberDelta?: number;
  /** Stop when the validation loss has not improved for this many iterations (0: off, the default). */
  earlyStoppingRounds?: number;
  categorical?: CategoricalSplitOptions;
  /** Called after each iteration with (done, total): progress for long fits. */
  onIteration?: (done: number, total: number) => void;
}

/**
 * The options of an estimator spec `{ type: 'gbdt', ... }` (trainModel, fitEstimator): every booster
 * option but the objective (it follows the task; `loss: 'huber'` picks robust regression) and the
 * callbacks, plus the binning's maxBins. Names are shared with the random forest where the idea is
 * the same (numTrees, maxDepth, minSamplesLeaf, maxBins, seed, threads, numClasses).
 */
export interface GbdtSpecOptions extends Omit<BoosterOptions, 'objective' | 'onIteration'> {
  /** Value bins per numeric feature, 2..255 (default 255); one more bin holds missing values. */
  maxBins?: number;
  /** Regression loss: 'squared' (default) or 'huber' (robust to outliers; see huberDelta). */
  loss?: 'squared' | 'huber';
}

/** Run-time rules of GbdtSpecOptions (src/ml/spec.ts); ranges are checked by resolveBoosterOptions. */
export const GBDT_OPTIONS: OptionRules = {
  numTrees: { kind: 'integer', doc: 'boosting iterations, >= 1 (default 100)' },
  learningRate: { kind: 'number', doc: '> 0 (default 0.1)' },
  maxLeaves: { kind: 'integer', doc: 'leaves per tree, 2..65536 (default 31)' },
  maxDepth: { kind: 'integer', doc: '0 for none (default 0)' },
  minSamplesLeaf: { kind: 'integer', doc: 'fewest rows in a leaf (default 20)' },
  minHessianLeaf: { kind: 'number', doc: 'smallest hessian sum in a leaf (default 1e-3)' },
  l2: { kind: 'number', doc: 'L2 regularization of leaf values (default 0)' },
  minGain: { kind: 'number', doc: 'smallest loss reduction for a split (default 0)' },
  subsample: { kind: 'number', doc: 'fraction of rows per iteration, in (0, 1] (default 1)' },
  colsample: { kind: 'number', doc: 'fraction of features per tree, in (0, 1] (default 1)' },
  seed: { kind: 'integer' },
  threads: { kind: 'integer', doc: 'threads, main thread included; the model does not depend on it' },
  maxBins: { kind: 'integer', doc: '2..255 (default 255)' },
  loss: { kind: 'enum', values: ['squared', 'huber'] },
  huberDelta: { kind: 'number', doc: "Huber threshold (loss: 'huber'); default the 90th percentile of |y - median(y)|" },
  earlyStoppingRounds: { kind: 'integer', doc: 'stop after this many iterations without a better validation loss; needs trainModel({ validation })' },
  numClasses: { kind: 'integer', doc: 'multiclass: the number of classes (each needs training rows)' },
  categorical: {
    kind: 'object',
    options: {
      smoothing: { kind: 'number', doc: 'added to each category hessian when ordering categories (default 10)' },
      l2: { kind: 'number', doc: 'extra L2 on the children of categorical splits (default 10)' },
      maxSetSize: { kind: 'integer', doc: 'largest set of categories sent one way (default 32)' },
      minSamples: { kind: 'integer', doc: 'rarer categories follow the missing direction (default 10)' },
      maxOneHot: { kind: 'integer', doc: 'this many categories or fewer: one against the rest (default 4)' },
    },
  },
};

export interface ResolvedOptions {
  objective: Objective;
  numClasses: number;
  numTrees: number;
  learningRate: number;
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  l2: number;
  minGain: number;
  subsample: number;
  colsample: number;
  seed: number;
  threads: number;
  huberDelta: number;
  earlyStoppingRounds: number;
  catSmoothing: number;
  catL2: number;
  catMaxSetSize: number;
  catMinSamples: number;
  catMaxOneHot: number;
}

function check(name: string, v: number, ok: boolean, what: string): number {
  if (!ok || Number.isNaN(v)) throw new DataError(`gbdt option ${name} must be ${what}, got ${v}`, { context: { option: name } });
  return v;
}

const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
  check(name, v, Number.isInteger(v) && v >= min && v <= max, `an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}`);
const nonNeg = (name: string, v: number): number => check(name, v, Number.isFinite(v) && v >= 0, 'a finite number >= 0');
const fraction = (name: string, v: number): number => check(name, v, v > 0 && v <= 1, 'in (0, 1]');

/** Fills defaults and validates. `rows` picks the default thread count. */
export function resolveBoosterOptions(o: BoosterOptions, rows = 0): ResolvedOptions {
  const objective = o.objective ?? 'regression';
  if (!OBJECTIVES.includes(objective)) throw new DataError(`gbdt objective must be one of ${OBJECTIVES.join(', ')}, got "${String(objective)}"`);
  const c = o.categorical ?? {};
  const threads = o.threads ?? (rows >= 100_000 ? availableParallelism() : 1);
  return {
    objective,
    numClasses: objective === 'multiclass' ? int('numClasses', o.numClasses ?? 0, 0, 1 << 16) : 1,
    numTrees: int('numTrees', o.numTrees ?? 100, 1),
    learningRate: check('learningRate', o.learningRate ?? 0.1, (o.learningRate ?? 0.1) > 0 && Number.isFinite(o.learningRate ?? 0.1), 'a finite number > 0'),
    maxLeaves: int('maxLeaves', o.maxLeaves ?? 31, 2, 1 << 16),
    maxDepth: int('maxDepth', o.maxDepth ?? 0, 0, 1000),
    minSamplesLeaf: int('minSamplesLeaf', o.minSamplesLeaf ?? 20, 1),
    minHessianLeaf: nonNeg('minHessianLeaf', o.minHessianLeaf ?? 1e-3),
    l2: nonNeg('l2', o.l2 ?? 0),
    minGain: nonNeg('minGain', o.minGain ?? 0),
    subsample: fraction('subsample', o.subsample ?? 1),
    colsample: fraction('colsample', o.colsample ?? 1),
    seed: int('seed', o.seed ?? 0, -(2 ** 31), 2 ** 32 - 1),
    threads: int('threads', threads, 1, 256),
    huberDelta: o.huberDelta === undefined ? NaN : check('huberDelta', o.huberDelta, o.huberDelta > 0 && Number.isFinite(o.huberDelta), 'a finite number > 0'),
    earlyStoppingRounds: int('earlyStoppingRounds', o.earlyStoppingRounds ?? 0, 0),
    catSmoothing: nonNeg('categorical.smoothing', c.smoothing ?? 10),
    catL2: nonNeg('categorical.l2', c.l2 ?? 10),
    catMaxSetSize: int('categorical.maxSetSize', c.maxSetSize ?? 32, 1, 255),
    catMinSamples: int('categorical.minSamples', c.minSamples ?? 10, 1),
    catMaxOneHot: int('categorical.maxOneHot', c.maxOneHot ?? 4, 0, 255),
  };
}
