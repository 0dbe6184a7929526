/**
 * Input checks shared by every metric. Each failure is a DataError that names the metric,
 * the argument and (for bad values) the first offending index, with the way out in `hint`.
 */
import { DataError } from '../../core/errors.ts';

/** Throws unless `values` is non-empty and every entry is finite. */
export function checkFinite(metric: string, name: string, values: Float64Array): void {
  if (values.length === 0) {
    throw new DataError(`${metric}: ${name} is empty`, {
      hint: 'Pass at least one row; an empty evaluation set has no score.',
      context: { metric, argument: name },
    });
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN for NaN and for +-Infinity, 0 otherwise: one comparison per value.
    if (v - v !== 0) {
      throw new DataError(`${metric}: ${name}[${i}] is ${v}; every value must be a finite number`, {
        hint: 'Drop or impute the rows with missing values before scoring.',
        context: { metric, argument: name, index: i },
      });
    }
  }
}

/** Throws unless `b` has the same length as `a`. */
export function checkSameLength(metric: string, aName: string, a: ArrayLike<number>, bName: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new DataError(`${metric}: ${aName} has ${a.length} values but ${bName} has ${b.length}`, {
      hint: 'Pass one entry per row in every argument.',
      context: { metric, argument: bName },
    });
  }
}

/** Throws unless every label is exactly 0 or 1. */
export function checkBinaryLabels(metric: string, name: string, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v !== 0 && v !== 1) {
      throw new DataError(`${metric}: ${name}[${i}] is ${v}; binary labels must be 0 or 1`, {
        hint: 'Encode the positive class as 1 and every other class as 0.',
        context: { metric, argument: name, index: i },
      });
    }
  }
}

/** Throws unless every label is a non-negative integer (a class code). */
export function checkClassCodes(metric: string, name: string, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!(v >= 0) || !Number.isInteger(v)) {
      throw new DataError(`${metric}: ${name}[${i}] is ${v}; class labels must be integer codes 0, 1, 2, ...`, {
        hint: 'Encode the classes as integer codes (for example with the label dictionary of the column).',
        context: { metric, argument: name, index: i },
      });
    }
  }
}

/** Throws unless every probability is within [0, 1]. */
export function checkProbabilities(metric: string, name: string, p: Float64Array): void {
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new DataError(`${metric}: ${name}[${i}] is ${v}; probabilities must be within [0, 1]`, {
        hint: 'Pass predicted probabilities (predictProba), not raw scores or logits.',
        context: { metric, argument: name, index: i },
      });
    }
  }
}

/**
 * Checks optional sample weights (same length, finite, non-negative, positive total).
 * Returns the total weight (n when there are no weights).
 */
export function checkSampleWeight(metric: string, n: number, sampleWeight: Float64Array | undefined): number {
  if (sampleWeight === undefined) return n;
  if (sampleWeight.length !== n) {
    throw new DataError(`${metric}: sampleWeight has ${sampleWeight.length} values but there are ${n} rows`, {
      hint: 'Pass one weight per row, or no sampleWeight.',
      context: { metric, argument: 'sampleWeight' },
    });
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = sampleWeight[i]!;
    if (!(w >= 0) || w === Infinity) {
      throw new DataError(`${metric}: sampleWeight[${i}] is ${w}; weights must be finite and non-negative`, {
        hint: 'Fix or drop the rows with bad weights.',
        context: { metric, argument: 'sampleWeight', index: i },
      });
    }
    total += w;
  }
  if (!(total > 0)) {
    throw new DataError(`${metric}: the sample weights sum to zero`, {
      hint: 'At least one row must have a positive weight.',
      context: { metric, argument: 'sampleWeight' },
    });
  }
  return total;
}

/** The common prologue: same lengths, finite values, valid weights. Returns the total weight. */
export function checkPair(
  metric: string,
  aName: string,
  a: Float64Array,
  bName: string,
  b: Float64Array,
  sampleWeight: Float64Array | undefined,
): number {
  checkSameLength(metric, aName, a, bName, b);
  checkFinite(metric, aName, a);
  checkFinite(metric, bName, b);
  return checkSampleWeight(metric, a.length, sampleWeight);
}
