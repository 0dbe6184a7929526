/**
 * The linear families as Sluice estimators: a Frame of transformed features becomes a design matrix
 * (numeric columns dense, text columns an implicit one-hot block over their vocabulary codes).
 * Missing numeric values are imputed with 0, which is the training mean once trainModel has
 * standard-scaled them (it does for linear estimators by default).
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type EstimatorSpec, type FitOptions, type Task } from '../estimator.ts';
import { designMatrix, type DesignMatrix } from './design.ts';
import { fitLogisticRegression, LogisticRegressionModel, type Penalty } from './logistic.ts';
import { LinearRegressionModel } from './regression-model.ts';
import { fitRidge } from './ridge.ts';

/** Frame -> design matrix. Text columns carry codes into a fixed vocabulary (CategoryEncoder). */
export function frameToDesign(frame: Frame, cardinalities?: Readonly<Record<string, number>>): DesignMatrix {
  const dense: Record<string, Float64Array> = {};
  const categorical: Record<string, { codes: Int32Array; cardinality: number }> = {};
  for (const name of frame.names) {
    const col = frame.column(name);
    if (col.kind === 'number') {
      let values = col.values;
      for (let i = 0; i < values.length; i++) {
        if (Number.isNaN(values[i]!)) { values = values.map((v) => (Number.isNaN(v) ? 0 : v)); break; }
      }
      dense[name] = values;
    } else {
      categorical[name] = { codes: col.codes, cardinality: cardinalities?.[name] ?? col.dictionary.length };
    }
  }
  return designMatrix({ dense, categorical });
}

function cardinalitiesOf(frame: Frame): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of frame.names) { const c = frame.column(name); if (c.kind === 'string') out[name] = c.dictionary.length; }
  return out;
}

class LogisticEstimator implements Estimator {
  readonly type = 'logistic-regression';
  readonly task: Task;
  constructor(readonly model: LogisticRegressionModel, readonly cardinalities: Record<string, number>, task: Task) { this.task = task; }
  predict(frame: Frame): Float64Array { return this.model.predictProba(frameToDesign(frame, this.cardinalities)); }
  toJSON(): Json { return { model: this.model.toJSON() as unknown as Json, cardinalities: this.cardinalities, task: this.task }; }
}

class RidgeEstimator implements Estimator {
  readonly type = 'ridge';
  readonly task: Task = 'regression';
  constructor(readonly model: LinearRegressionModel, readonly cardinalities: Record<string, number>) {}
  predict(frame: Frame): Float64Array { return this.model.predict(frameToDesign(frame, this.cardinalities)); }
  toJSON(): Json { return { model: this.model.toJSON() as unknown as Json, cardinalities: this.cardinalities }; }
}

function num(spec: EstimatorSpec, key: string): number | undefined {
  const v = spec[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new DataError(`Estimator option "${key}" must be a number, got ${JSON.stringify(v)}`, { context: { option: key } });
  return v;
}

registerEstimator(
  'logistic-regression',
  (frame, y, spec, options: FitOptions) => {
    if (options.task === 'regression') throw new DataError('logistic-regression needs class labels (0/1 or class codes); this label is continuous', { hint: "Use estimator { type: 'ridge' } for regression." });
    const cardinalities = cardinalitiesOf(frame);
    const C = num(spec, 'C'); const maxIter = num(spec, 'maxIter'); const tol = num(spec, 'tol'); const l1Ratio = num(spec, 'l1Ratio');
    const model = fitLogisticRegression(frameToDesign(frame, cardinalities), y, {
      ...(C !== undefined ? { C } : {}), ...(maxIter !== undefined ? { maxIter } : {}), ...(tol !== undefined ? { tol } : {}),
      ...(l1Ratio !== undefined ? { l1Ratio } : {}), ...(typeof spec['penalty'] === 'string' ? { penalty: spec['penalty'] as Penalty } : {}),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
    });
    return new LogisticEstimator(model, cardinalities, options.task);
  },
  (state) => {
    const s = state as { model: unknown; cardinalities: Record<string, number>; task: Task };
    return new LogisticEstimator(LogisticRegressionModel.fromJSON(s.model), s.cardinalities, s.task);
  },
);

registerEstimator(
  'ridge',
  (frame, y, spec, options) => {
    const cardinalities = cardinalitiesOf(frame);
    const alpha = num(spec, 'alpha');
    const model = fitRidge(frameToDesign(frame, cardinalities), y, { ...(alpha !== undefined ? { alpha } : {}), ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}) });
    return new RidgeEstimator(model, cardinalities);
  },
  (state) => {
    const s = state as { model: unknown; cardinalities: Record<string, number> };
    return new RidgeEstimator(LinearRegressionModel.fromJSON(s.model), s.cardinalities);
  },
);
