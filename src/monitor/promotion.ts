/**
 * Measures a challenger and the champion on the same held-out rows and lets the pipeline's gate decide
 * (registry/gate.ts). The evidence, both models' metrics on those rows and the drift of the
 * challenger's predictions from the champion's, travels with the decision into the alias history.
 *
 * @example
 * const decision = compareOnRows({ challenger, champion, rows: heldOut, label: 'late', gate: { metric: 'auc', minGain: 0.002 } });
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import { numberColumn } from '../frame/frame.ts';
import { evaluateBinary } from '../ml/evaluate.ts';
import { mae, r2, rmse } from '../ml/metrics/index.ts';
import { decidePromotion, type PromotionDecision, type PromotionGate } from '../registry/gate.ts';
import type { Predictor } from '../registry/index.ts';
import { featureDrift } from './drift.ts';

export interface CompareOnRowsOptions {
  challenger: Predictor;
  /** Null when there is no champion yet. */
  champion: Predictor | null;
  rows: Frame;
  label: string;
  gate: PromotionGate;
  task: 'binary' | 'multiclass' | 'regression';
}

/** The metrics a gate can name, by task, on labels and predictions of the same rows. */
export function heldOutMetrics(task: CompareOnRowsOptions['task'], y: Float64Array, p: Float64Array): Record<string, number> {
  if (task === 'binary') {
    const m = evaluateBinary(y, p);
    return { auc: m.auc, logLoss: m.logLoss, brier: m.brier, accuracy: m.accuracy, averagePrecision: m.averagePrecision };
  }
  if (task === 'regression') return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) };
  throw new DataError('Promotion on the same rows supports binary and regression models for now', {
    hint: 'For a multiclass model, compute the metrics yourself and call decidePromotion with them.',
  });
}

export function compareOnRows(options: CompareOnRowsOptions): PromotionDecision {
  const { rows, label } = options;
  if (!rows.has(label)) {
    throw new DataError(`Promotion: the held-out rows have no label column "${label}" (they have ${rows.names.join(', ')})`, {
      context: { column: label }, hint: 'Pass the held-out rows with their labels: both models are measured on them.',
    });
  }
  if (rows.numRows === 0) throw new DataError('Promotion: no held-out rows to measure the models on', { hint: 'Check the query that selects the evaluation period.' });
  const y = rows.numbers(label);
  const pc = options.challenger.predict(rows);
  const challenger = heldOutMetrics(options.task, y, pc);
  if (!options.champion) return decidePromotion(options.gate, { challenger, champion: null, rows: rows.numRows });
  const ph = options.champion.predict(rows);
  const champion = heldOutMetrics(options.task, y, ph);
  // Prediction drift: normalized Wasserstein distance of the challenger's predictions from the champion's.
  const drift = featureDrift('prediction', numberColumn(ph), numberColumn(pc), { method: 'wasserstein' }).statistic;
  return decidePromotion(options.gate, { challenger, champion, rows: rows.numRows, predictionDrift: drift });
}
