/**
 * The one input check every estimator family goes through (fitEstimator calls checkFitInput before
 * any family's fit; every family's predict calls checkPredictInput), so the families answer bad input
 * the same way. Decided once:
 * - a missing value (NaN, null text) in a feature is fine: trees learn a direction for it, linear
 *   models give it the training mean (0 after scaling);
 * - an infinite value is an error naming column, row and value (in training and in scoring);
 * - a feature missing on every training row is an error (nothing can be learned from it, and a
 *   family that ignored it would hide a broken query);
 * - a numeric column used as categorical must hold integer codes >= 0;
 * - labels must be finite; binary labels 0 or 1 with both present; multiclass labels class codes
 *   0..K-1, and a class with no training rows is an error (its probability could not be learned);
 * - sample weights finite, >= 0, not all 0, one per row.
 *
 * @example
 * const K = checkFitInput(frame, y, { task: 'multiclass', categorical: [] }, 'gbdt'); // number of classes
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';

export interface InputCheckOptions {
  task: 'binary' | 'regression' | 'multiclass';
  categorical: readonly string[];
  numClasses?: number;
  sampleWeight?: Float64Array;
  validation?: { frame: Frame; y: Float64Array };
}

/** Checks training input; returns the number of classes (2 for binary, 1 for regression). */
export function checkFitInput(frame: Frame, y: Float64Array, options: InputCheckOptions, who: string): number {
  const n = frame.numRows;
  if (frame.numColumns === 0 || n === 0) {
    throw new DataError(`${who} cannot fit on ${n === 0 ? 'no rows' : 'no feature columns'} (${n} rows, ${frame.numColumns} columns)`, {
      hint: 'Check the query or filter that produced the training rows, and the feature list.',
    });
  }
  if (y.length !== n) throw new DataError(`${who}: the label has ${y.length} values but the features have ${n} rows`, { hint: 'Pass one label per training row.' });
  const categorical = new Set(options.categorical);
  for (const name of categorical) {
    if (!frame.has(name)) throw new DataError(`${who}: categorical column "${name}" is not among the features (${frame.names.join(', ')})`, { context: { column: name } });
  }
  for (const name of frame.names) checkFeature(frame, name, categorical.has(name), who, true);
  const K = checkLabels(y, options.task, options.numClasses, who, 'training');
  if (options.sampleWeight) checkWeights(options.sampleWeight, n, who);
  if (options.validation) {
    const v = options.validation;
    if (v.y.length !== v.frame.numRows) throw new DataError(`${who}: the validation label has ${v.y.length} values but the validation features have ${v.frame.numRows} rows`);
    for (const name of frame.names) {
      if (!v.frame.has(name)) throw new DataError(`${who}: the validation rows lack feature "${name}"`, { context: { column: name } });
      checkFeature(v.frame, name, categorical.has(name), `${who} (validation rows)`, false);
    }
    checkLabels(v.y, options.task, K, `${who} (validation rows)`, 'validation', true);
  }
  return K;
}

/**
 * The feature half of checkFitInput, for callers that check raw columns before a feature pipeline
 * runs (trainModel: so an all-missing or infinite column gets the same error in every family, before
 * a scaler or encoder trips on it). `categoricalCodes` names numeric columns that must hold codes >= 0.
 */
export function checkTrainingFeatures(frame: Frame, names: readonly string[], who: string, categoricalCodes: readonly string[] = []): void {
  const codes = new Set(categoricalCodes);
  for (const name of names) checkFeature(frame, name, codes.has(name), who, true);
}

/** Checks rows to score: no infinite value in any numeric column the model reads. */
export function checkPredictInput(frame: Frame, who: string, columns: readonly string[] = frame.names): void {
  for (const name of columns) {
    if (!frame.has(name)) continue; // the family names a missing feature itself
    const col = frame.column(name);
    if (col.kind !== 'number') continue;
    const x = col.values;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v === Infinity || v === -Infinity) throw infinite(who, name, i, v, 'score');
    }
  }
}

function infinite(who: string, name: string, row: number, v: number, what: 'train on' | 'score'): DataError {
  return new DataError(`${who}: feature "${name}" is ${v} at row ${row}; a model cannot ${what} an infinite value`, {
    code: 'BAD_VALUE', context: { column: name, row, value: String(v) },
    hint: `Replace infinities with NULL before this step (in SQL: CASE WHEN isinf("${name}") THEN NULL ELSE "${name}" END), or quarantine those rows with an expectation.`,
  });
}

function checkFeature(frame: Frame, name: string, categorical: boolean, who: string, training: boolean): void {
  const col = frame.column(name);
  let present = 0;
  if (col.kind === 'number') {
    const x = col.values;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v !== v) continue;
      if (v === Infinity || v === -Infinity) throw infinite(who, name, i, v, training ? 'train on' : 'score');
      if (categorical && (!Number.isInteger(v) || v < 0)) {
        throw new DataError(`${who}: categorical feature "${name}" holds ${v} at row ${i}, not an integer category code >= 0`, {
          code: 'BAD_VALUE', context: { column: name, row: i, value: String(v) },
          hint: `Declare "${name}" numeric if it is a measurement; if it names categories, cast it to text (CAST("${name}" AS VARCHAR)) or to integer codes >= 0.`,
        });
      }
      present++;
    }
  } else {
    const c = col.codes;
    for (let i = 0; i < c.length; i++) if (c[i]! >= 0) present++;
  }
  if (training && present === 0) {
    throw new DataError(`${who}: feature "${name}" is missing on every one of the ${frame.numRows} training rows`, {
      code: 'BAD_VALUE', context: { column: name },
      hint: `Drop "${name}" from the features, or fix the query that produced it (a join that matched nothing, a misspelled source column). For a text column, every category may also have been rarer than minCategoryFrequency.`,
    });
  }
}

function checkLabels(y: Float64Array, task: InputCheckOptions['task'], numClasses: number | undefined, who: string, rows: string, known = false): number {
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      throw new DataError(`${who}: the label is ${Number.isNaN(v) ? 'missing' : v} at ${rows} row ${i}`, {
        code: 'BAD_LABEL', context: { row: i }, hint: 'Filter or quarantine rows without a label before training.',
      });
    }
    if (task === 'regression') continue;
    const limit = task === 'binary' ? 2 : numClasses ?? 65_536;
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new DataError(`${who}: the ${task} label is ${v} at ${rows} row ${i}; expected a class code ${task === 'binary' ? '0 or 1' : `0..${limit - 1}`}`, {
        code: 'BAD_LABEL', context: { row: i, value: String(v) },
        hint: task === 'binary'
          ? "Use task: 'multiclass' for more than two classes or 'regression' for a quantity; trainModel codes text and boolean labels for you."
          : "Class codes count from 0; trainModel codes any class labels (text, booleans, numbers) for you.",
      });
    }
    if (v > max) max = v;
  }
  if (task === 'regression') return 1;
  const K = task === 'binary' ? 2 : numClasses ?? max + 1;
  if (K < 2) throw new DataError(`${who}: classification needs at least two classes; every ${rows} label is ${max}`, { code: 'BAD_LABEL', hint: 'Check the label column and any filter applied before training.' });
  if (known) return K;
  const counts = new Float64Array(K);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  const absent = [...counts.keys()].filter((k) => counts[k] === 0);
  if (absent.length > 0) {
    throw new DataError(`${who}: class${absent.length > 1 ? 'es' : ''} ${absent.join(', ')} of ${K} ha${absent.length > 1 ? 've' : 's'} no ${rows} rows`, {
      code: 'ABSENT_CLASS', context: { classes: absent.join(',') },
      hint: task === 'binary'
        ? 'Both classes need training rows: check the label column and any filter applied before training.'
        : 'Every declared class needs training rows: drop it from `classes` / lower numClasses, or train on rows that include it.',
    });
  }
  return K;
}

function checkWeights(w: Float64Array, n: number, who: string): void {
  if (w.length !== n) throw new DataError(`${who}: sample weights have ${w.length} values for ${n} rows`, { context: { option: 'sampleWeight' }, hint: 'Pass one weight per training row.' });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (!Number.isFinite(v) || v < 0) throw new DataError(`${who}: the sample weight at row ${i} is ${v}; weights must be finite and >= 0`, { context: { row: i } });
    sum += v;
  }
  if (!(sum > 0)) throw new DataError(`${who}: the sample weights sum to 0`, { hint: 'At least one row must have a positive weight.' });
}
