/**
 * Probability calibration of a binary estimator: out-of-fold scores of the base estimator (stratified
 * K folds, seeded) fit a Platt or isotonic calibrator; the base estimator is then refitted on all rows
 * and its predictions pass through the calibrator (scikit-learn's CalibratedClassifierCV with
 * ensemble=False). Registered as the estimator type 'calibrated', so it saves and loads in a model
 * package like any other.
 *
 * @example
 * const est = await fitEstimator(x, y, { type: 'calibrated', base: { type: 'gbdt', numTrees: 200 }, method: 'isotonic', cv: 5, seed: 1 }, { task: 'binary', categorical: [] });
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { fitEstimator, loadEstimator, registerEstimator, wantsScaling, type Estimator, type EstimatorSpec, type FitOptions } from '../estimator.ts';
import { fitIsotonic, IsotonicCalibrator } from './isotonic.ts';
import { fitPlatt, PlattCalibrator } from './platt.ts';
import { stratifiedKFold } from './stratified-kfold.ts';

export type Calibrator = PlattCalibrator | IsotonicCalibrator;
export type CalibrationMethod = 'platt' | 'isotonic';

/** Fits a calibrator of the given method to held-out scores and 0/1 labels. */
export function fitCalibrator(method: CalibrationMethod, scores: ArrayLike<number>, labels: ArrayLike<number>, options: { sampleWeight?: ArrayLike<number> } = {}): Calibrator {
  if (method === 'platt') return fitPlatt(scores, labels, options);
  if (method === 'isotonic') return fitIsotonic(scores, labels, options);
  throw new DataError(`Unknown calibration method ${JSON.stringify(method)}`, { hint: "Use 'platt' or 'isotonic'." });
}

export function loadCalibrator(state: Json): Calibrator {
  const s = state as { type: string; a?: number; b?: number; x?: number[]; y?: number[] };
  if (s.type === 'platt') return new PlattCalibrator(s.a!, s.b!);
  if (s.type === 'isotonic') return new IsotonicCalibrator(s.x!, s.y!);
  throw new DataError(`Unknown calibrator type ${JSON.stringify(s.type)} in model package`);
}

export class CalibratedEstimator implements Estimator {
  readonly type = 'calibrated';
  readonly task = 'binary' as const;
  readonly base: Estimator;
  readonly calibrator: Calibrator;

  constructor(base: Estimator, calibrator: Calibrator) { this.base = base; this.calibrator = calibrator; }

  predict(frame: Frame): Float64Array { return this.calibrator.predict(this.base.predict(frame)); }

  get warnings(): readonly string[] { return this.base.warnings ?? []; }

  toJSON(): Json {
    return { base: { type: this.base.type, state: this.base.toJSON() }, calibrator: this.calibrator.toJSON() };
  }
}

declare module '../estimator.ts' {
  interface EstimatorSpecs {
    /** A binary classifier's probabilities calibrated out of fold (Platt or isotonic). */
    calibrated: CalibratedOptions;
  }
}

export interface CalibratedOptions {
  /** The estimator to calibrate (its spec, as fitEstimator takes it). */
  base: EstimatorSpec;
  method?: CalibrationMethod;
  /** Folds of the out-of-fold scores (default 5). */
  cv?: number;
  /** Seed of the fold shuffle (default 0). */
  seed?: number;
}

export type CalibratedSpec = { type: 'calibrated' } & CalibratedOptions;

export async function fitCalibratedEstimator(frame: Frame, y: Float64Array, spec: CalibratedSpec, options: FitOptions): Promise<CalibratedEstimator> {
  if (options.task !== 'binary') throw new DataError(`Calibration is for binary classifiers; the task is ${options.task}`);
  if (!spec.base || typeof spec.base !== 'object' || typeof spec.base.type !== 'string') {
    throw new DataError('A calibrated estimator needs `base`, the spec of the estimator to calibrate', { hint: "For example { type: 'calibrated', base: { type: 'logistic-regression' } }." });
  }
  const folds = stratifiedKFold(y, { k: spec.cv ?? 5, shuffle: true, seed: spec.seed ?? 0 });
  const oof = new Float64Array(y.length);
  const { sampleWeight, onProgress: _progress, ...rest } = options;
  for (const { train, test } of folds) {
    const sub = { ...rest, ...(sampleWeight ? { sampleWeight: pick(sampleWeight, train) } : {}) };
    const model = await fitEstimator(frame.take(train), pick(y, train), spec.base, sub);
    const p = model.predict(frame.take(test));
    for (let j = 0; j < test.length; j++) oof[test[j]!] = p[j]!;
  }
  const calibrator = fitCalibrator(spec.method ?? 'platt', oof, y, sampleWeight ? { sampleWeight } : {});
  return new CalibratedEstimator(await fitEstimator(frame, y, spec.base, options), calibrator);
}

function pick(a: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]!]!;
  return out;
}

registerEstimator({
  type: 'calibrated',
  tasks: ['binary'],
  options: {
    base: { kind: 'spec', doc: "the estimator to calibrate, e.g. { type: 'gbdt' }" },
    method: { kind: 'enum', values: ['platt', 'isotonic'] },
    cv: { kind: 'integer', doc: 'folds of the out-of-fold scores (default 5)' },
    seed: { kind: 'integer', doc: 'seed of the fold shuffle (default 0)' },
  },
  scaled: (spec) => wantsScaling(spec.base),
  fit: (frame, y, spec, options) => fitCalibratedEstimator(frame, y, spec, options),
  load(state) {
    const s = state as { base: { type: string; state: Json }; calibrator: Json };
    return new CalibratedEstimator(loadEstimator(s.base), loadCalibrator(s.calibrator));
  },
  example: { base: { type: 'logistic-regression', C: 1 }, method: 'platt', cv: 3, seed: 1 },
});
