/**
 * Random forest parameters, their defaults (scikit-learn's RandomForestClassifier/Regressor where
 * they have one) and their validation. Every message names the option and what it accepts.
 *
 * @example
 * const o = resolveForestOptions({ numTrees: 50, maxDepth: 12 }, 7, 500_000, 'binary');
 * o.maxFeatures; // 2: floor(sqrt(7)) features tried at each split
 */
import { availableParallelism } from 'node:os';
import { DataError } from '../../core/errors.ts';
import type { Task } from '../estimator.ts';
import type { OptionRules, Renamed } from '../spec.ts';

/**
 * Features tried at each split: 'sqrt' (the classification default), 'log2', 'all' (the regression
 * default, as scikit-learn >= 1.1), a count (an integer >= 1), or a fraction of the features (a
 * number in (0, 1), at least one feature). Unlike scikit-learn, 1 means one feature: ask for
 * 'all' rather than 1.0.
 */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

export interface ForestOptions {
  /**
   * 'binary' (labels 0/1), 'multiclass' (labels 0..K-1) or 'regression'. Default: 'binary' when every
   * label is 0 or 1, 'regression' when some label has a fractional part; other whole-number labels
   * (class codes or counts) are an error asking for the task.
   */
  task?: Task;
  /** Classes for 'multiclass'; default: the largest label + 1. */
  numClasses?: number;
  /** Trees in the forest (default 100); the same name as gbdt's. */
  numTrees?: number;
  /** Depth limit, 0 for none (default 0: grown until pure or too small, as scikit-learn's None). */
  maxDepth?: number;
  maxFeatures?: MaxFeatures;
  /**
   * Fewest rows in a leaf, counting bootstrap copies, rows weighing their sample weight scaled to
   * mean 1 (default 1: any non-empty leaf).
   */
  minSamplesLeaf?: number;
  /** Fewest rows in a node to split it, counted as minSamplesLeaf (default 2: two distinct rows). */
  minSamplesSplit?: number;
  /** Each tree learns from a bootstrap sample (default true); false: every tree sees every row once. */
  bootstrap?: boolean;
  /** Size of each bootstrap sample as a fraction of the rows (default 1). */
  maxSamples?: number;
  /** Compute out-of-bag predictions and score after the fit (default false; needs bootstrap). */
  oobScore?: boolean;
  /** Seed of the bootstrap samples, the features tried at each split and the binning sample (default 0). */
  seed?: number;
  /**
   * Threads, this one included (default: all cores when rows x trees >= 2,000,000, else 1). Trees
   * are built whole, one per thread at a time; the forest does not depend on the thread count.
   */
  threads?: number;
  /** Value bins per feature, 2..255 (default 255); one more bin holds missing values. */
  maxBins?: number;
  /**
   * Nodes with at most this many rows (default 4096; 0: never, at most 8192) split numeric features
   * that have more distinct values than bins at exact thresholds, midway between two training
   * values as scikit-learn does; larger nodes split between bins.
   */
  exactSplitRows?: number;
}

export interface ResolvedForestOptions {
  task: Task;
  /** Classes for 'multiclass', 2 for 'binary', 1 for 'regression'. */
  numClasses: number;
  /** The forest's numTrees. */
  trees: number;
  maxDepth: number;
  /** Features tried per split, resolved to a count for this data. */
  maxFeatures: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  bootstrap: boolean;
  maxSamples: number;
  oobScore: boolean;
  seed: number;
  threads: number;
  maxBins: number;
  exactSplitRows: number;
}

function check(name: string, v: unknown, ok: boolean, what: string): void {
  if (!ok) throw new DataError(`random forest option ${name} must be ${what}, got ${JSON.stringify(v)}`, { context: { option: name } });
}

function int(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  check(name, v, typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, `an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}`);
  return v;
}

function bool(name: string, v: boolean): boolean {
  check(name, v, typeof v === 'boolean', 'true or false');
  return v;
}

/** The number of features tried per split among F. */
export function resolveMaxFeatures(m: MaxFeatures, F: number): number {
  if (m === 'all') return F;
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  const ok = typeof m === 'number' && Number.isFinite(m) && m > 0 && (m < 1 || Number.isInteger(m));
  check('maxFeatures', m, ok, "'sqrt', 'log2', 'all', an integer count >= 1 or a fraction in (0, 1)");
  return m < 1 ? Math.max(1, Math.floor(m * F)) : Math.min(m, F);
}

/** Fills defaults and validates for `features` features and `rows` training rows. */
export function resolveForestOptions(o: ForestOptions, features: number, rows: number, task: Task): ResolvedForestOptions {
  const trees = int('numTrees', o.numTrees ?? 100, 1, 100_000);
  const maxSamples = o.maxSamples ?? 1;
  check('maxSamples', maxSamples, typeof maxSamples === 'number' && maxSamples > 0 && maxSamples <= 1, 'a fraction in (0, 1]');
  const bootstrap = bool('bootstrap', o.bootstrap ?? true);
  const oobScore = bool('oobScore', o.oobScore ?? false);
  if (oobScore && !bootstrap) {
    throw new DataError('random forest option oobScore needs bootstrap: without it no row is ever out of the bag', { context: { option: 'oobScore' }, hint: 'Set bootstrap: true, or drop oobScore.' });
  }
  const threads = o.threads ?? (rows * trees >= 2_000_000 ? availableParallelism() : 1);
  return {
    task,
    numClasses: task === 'regression' ? 1 : task === 'binary' ? 2 : int('numClasses', o.numClasses ?? 0, 0, 65_536),
    trees,
    maxDepth: int('maxDepth', o.maxDepth ?? 0, 0, 1000),
    maxFeatures: resolveMaxFeatures(o.maxFeatures ?? (task === 'regression' ? 'all' : 'sqrt'), features),
    minSamplesLeaf: int('minSamplesLeaf', o.minSamplesLeaf ?? 1, 1),
    minSamplesSplit: int('minSamplesSplit', o.minSamplesSplit ?? 2, 2),
    bootstrap,
    maxSamples,
    oobScore,
    seed: int('seed', o.seed ?? 0, -(2 ** 31), 2 ** 32 - 1),
    threads: int('threads', threads, 1, 256),
    maxBins: int('maxBins', o.maxBins ?? 255, 2, 255),
    exactSplitRows: int('exactSplitRows', o.exactSplitRows ?? 4096, 0, 8192),
  };
}

/** The options of an estimator spec `{ type: 'random-forest', ... }`: the task comes from trainModel. */
export type ForestSpecOptions = Omit<ForestOptions, 'task'>;

/** Run-time rules of ForestSpecOptions (src/ml/spec.ts); ranges are checked by resolveForestOptions. */
export const FOREST_OPTIONS: OptionRules = {
  numTrees: { kind: 'integer', doc: 'trees in the forest, >= 1 (default 100)' },
  maxDepth: { kind: 'integer', doc: '0 for none (default 0)' },
  maxFeatures: { kind: 'number-or-enum', values: ['sqrt', 'log2', 'all'], doc: "features tried per split: 'sqrt', 'log2', 'all', a count >= 1 or a fraction in (0, 1)" },
  minSamplesLeaf: { kind: 'integer', doc: 'fewest rows in a leaf (default 1)' },
  minSamplesSplit: { kind: 'integer', doc: 'fewest rows to split a node (default 2)' },
  bootstrap: { kind: 'boolean' },
  maxSamples: { kind: 'number', doc: 'bootstrap sample size as a fraction of the rows, in (0, 1]' },
  oobScore: { kind: 'boolean' },
  seed: { kind: 'integer' },
  threads: { kind: 'integer', doc: 'threads, this one included; the forest does not depend on it' },
  maxBins: { kind: 'integer', doc: '2..255 (default 255)' },
  numClasses: { kind: 'integer', doc: 'multiclass: the number of classes (each needs training rows)' },
  exactSplitRows: { kind: 'integer', doc: 'nodes with at most this many rows split at exact thresholds, 0..8192 (default 4096)' },
};

/** The forest's old option names. */
export const FOREST_RENAMED: Renamed = { trees: 'numTrees' };
