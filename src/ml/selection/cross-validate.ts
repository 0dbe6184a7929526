/**
 * Cross-validation with callbacks, so any model works: `fit(train)` builds a model from training row
 * indices (fit the feature pipeline there too: that is what keeps scalers and encoders from seeing
 * test rows), `score(model, test)` measures it on the held-out indices. Folds run `concurrency` at a
 * time (async callbacks overlap; synchronous ones run one after another).
 *
 * @example
 * const cv = await crossValidate(stratifiedKFold(y, { k: 5, shuffle: true, seed: 1 }), {
 *   fit: (train) => trainModel(frame.take(train), spec),
 *   score: (model, test) => rocAuc(y.filter((_, i) => test.includes(i)), model.predict(frame.take(test))),
 * });
 * cv.mean.score; // mean over folds
 */
import { DataError } from '../../core/errors.ts';
import { mapConcurrent } from './parallel.ts';
import { checkSplit, type Split } from './split.ts';

export type Scores = number | Record<string, number>;

export interface CrossValidateOptions<M> {
  fit: (train: Int32Array, fold: number) => M | Promise<M>;
  score: (model: M, test: Int32Array, fold: number) => Scores | Promise<Scores>;
  /** Folds evaluated at once (default 1). */
  concurrency?: number;
}

export interface FoldResult {
  fold: number;
  trainRows: number;
  testRows: number;
  /** A plain number score is reported as `score`. */
  scores: Record<string, number>;
  fitMs: number;
  scoreMs: number;
}

export interface CrossValidationResult {
  folds: FoldResult[];
  mean: Record<string, number>;
  /** Population standard deviation over folds (as scikit-learn's cv_results_ std). */
  std: Record<string, number>;
}

export async function crossValidate<M>(splits: readonly Split[], options: CrossValidateOptions<M>): Promise<CrossValidationResult> {
  if (splits.length === 0) throw new DataError('cross-validation: no folds to run', { hint: 'Pass the splits of kFold, stratifiedKFold, groupKFold or timeSeriesSplit.' });
  splits.forEach((s, f) => checkSplit(s, `cross-validation fold ${f}`));
  const folds = await mapConcurrent(splits, async (s, f) => {
    const t0 = performance.now();
    const model = await options.fit(s.train, f);
    const t1 = performance.now();
    const raw = await options.score(model, s.test, f);
    const t2 = performance.now();
    const scores = typeof raw === 'number' ? { score: raw } : raw;
    return { fold: f, trainRows: s.train.length, testRows: s.test.length, scores, fitMs: t1 - t0, scoreMs: t2 - t1 };
  }, options.concurrency ?? 1);
  const names = Object.keys(folds[0]!.scores);
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const name of names) {
    const v = folds.map((r) => r.scores[name]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean[name] = m;
    std[name] = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return { folds, mean, std };
}

export interface CrossValPredictOptions<M> {
  fit: (train: Int32Array, fold: number) => M | Promise<M>;
  /** One prediction per test row, in the order of `test`. */
  predict: (model: M, test: Int32Array, fold: number) => Float64Array | Promise<Float64Array>;
  concurrency?: number;
}

/**
 * Out-of-fold predictions: each row predicted by the model that did not see it (the input of
 * calibration and stacking). Rows in no test part stay NaN.
 */
export async function crossValPredict<M>(n: number, splits: readonly Split[], options: CrossValPredictOptions<M>): Promise<Float64Array> {
  const out = new Float64Array(n).fill(NaN);
  splits.forEach((s, f) => checkSplit(s, `cross-validation fold ${f}`));
  await mapConcurrent(splits, async (s, f) => {
    const model = await options.fit(s.train, f);
    const p = await options.predict(model, s.test, f);
    if (p.length !== s.test.length) throw new DataError(`cross-validation fold ${f}: predict returned ${p.length} values for ${s.test.length} test rows`);
    for (let j = 0; j < s.test.length; j++) out[s.test[j]!] = p[j]!;
  }, options.concurrency ?? 1);
  return out;
}
