/**
 * Model performance once labels arrive. In batch ML the label of a row is known late (whether a flight
 * was late is known after it flew; whether a customer churned, months later), so a model's quality on
 * a batch is measured after the batch was scored, when its labels are in. This measures one model
 * version on the labelled rows of a batch; rows whose label is still missing (null, NaN) are left out
 * and not counted. The result is a dataset (one row per metric) so that performance over batches can
 * be charted and queried beside drift, and its metrics feed `shouldRetrain`'s performance policy.
 *
 * @example
 * const m = measurePerformance(predictor, labelledRows, { label: 'late' });
 * m.metrics.auc;   // binary: auc, logLoss, brier, accuracy, averagePrecision
 * shouldRetrain({ performance: { metric: 'auc', baseline: 0.70, maxDrop: 0.02 } }, { performance: m.metrics });
 */
import { DataError } from '../core/errors.ts';
import { Frame, numberColumn, stringColumn } from '../frame/frame.ts';
import { evaluateMulticlass } from '../ml/evaluate.ts';
import type { Predictor } from '../ml/predictor.ts';
import { heldOutMetrics } from './promotion.ts';

export interface PerformanceOptions {
  /** The label column of the rows (default the model's target). */
  label?: string;
}

/** One model version measured on one batch: the shape of the `performance` meta of its dataset version. */
export interface PerformanceRecord {
  batch: string;
  model: string;
  version: number;
  /** The alias the version was found by (e.g. 'champion'), or null when named by number. */
  alias: string | null;
  /** Labelled rows measured (rows whose label had not arrived are not counted). */
  rows: number;
  metrics: Record<string, number>;
}

/**
 * Metrics of a model on the rows whose label has arrived. Binary: auc, logLoss, brier, accuracy,
 * averagePrecision; regression: rmse, mae, r2; multiclass: accuracy, logLoss, macroF1, weightedF1.
 */
export function measurePerformance(predictor: Predictor, rows: Frame, options: PerformanceOptions = {}): { rows: number; metrics: Record<string, number> } {
  const label = options.label ?? predictor.target;
  if (!rows.has(label)) {
    throw new DataError(`Performance: the rows have no label column "${label}" (they have ${rows.names.join(', ')})`, {
      context: { column: label }, hint: 'Pass the batch with its label column once the labels have arrived (name it with `label` if it differs from the model\'s target).',
    });
  }
  const labelled = rows.filter(hasLabel(rows, label));
  if (labelled.numRows === 0) {
    throw new DataError(`Performance: none of the ${rows.numRows} rows has its label "${label}" yet (all are null)`, {
      context: { column: label }, hint: 'Measure the batch once its labels have arrived; until then there is nothing to measure.',
    });
  }
  const p = predictor.predict(labelled);
  const y = predictor.labelCodes(labelled, label);
  if (predictor.task === 'multiclass') {
    const m = evaluateMulticlass(y, p, predictor.classes ?? undefined);
    return { rows: labelled.numRows, metrics: { accuracy: m.accuracy, logLoss: m.logLoss, macroF1: m.macroF1, weightedF1: m.weightedF1 } };
  }
  return { rows: labelled.numRows, metrics: heldOutMetrics(predictor.task, y, p) };
}

/**
 * A performance record as a Frame, one row per metric: batch, model, version, alias, metric, value,
 * rows. A step writes it as one version of a dataset per batch (ctx.monitor.performance does).
 */
export function performanceFrame(record: PerformanceRecord): Frame {
  const names = Object.keys(record.metrics);
  const each = <T>(v: T): T[] => names.map(() => v);
  return Frame.from({
    batch: stringColumn(each(record.batch)),
    model: stringColumn(each(record.model)),
    version: numberColumn(each(record.version), 'int'),
    alias: stringColumn(each(record.alias)),
    metric: stringColumn(names),
    value: numberColumn(names.map((n) => (Number.isFinite(record.metrics[n]!) ? record.metrics[n]! : null))),
    rows: numberColumn(each(record.rows), 'int'),
  });
}

function hasLabel(rows: Frame, label: string): Uint8Array {
  const col = rows.column(label);
  const mask = new Uint8Array(rows.numRows);
  if (col.kind === 'number') for (let i = 0; i < mask.length; i++) mask[i] = Number.isNaN(col.values[i]!) ? 0 : 1;
  else for (let i = 0; i < mask.length; i++) mask[i] = col.codes[i]! < 0 ? 0 : 1;
  return mask;
}
