/**
 * Standard scaling: (x - mean) / std per numeric column, statistics from the training rows only.
 * Missing values (NaN) are ignored when fitting and stay NaN. A constant column gets scale 1 (as
 * scikit-learn does) rather than a division by zero.
 *
 * @example
 * const scaler = fitStandardScaler(train, ['distance']);
 * const scaled = scaler.transform(test);
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, numericInput } from './columns.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export interface StandardScalerOptions {
  /** Subtract the mean (default true). */
  withMean?: boolean;
  /** Divide by the standard deviation (default true). */
  withStd?: boolean;
}

export class StandardScaler implements FittedTransformer {
  readonly type = 'standard-scaler';
  readonly inputs: readonly string[];
  readonly means: readonly number[];
  readonly scales: readonly number[];

  constructor(inputs: readonly string[], means: readonly number[], scales: readonly number[]) {
    this.inputs = inputs; this.means = means; this.scales = scales;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      // A text column of numbers is read as numbers; any other text is an error naming the value and row.
      const x = numericInput(frame, name, 'standard-scaler');
      const y = new Float64Array(x.length);
      const m = this.means[j]!, s = this.scales[j]!;
      for (let i = 0; i < x.length; i++) y[i] = (x[i]! - m) / s;
      out = out.withColumn(name, floatColumn(y));
    });
    return out;
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], means: [...this.means], scales: [...this.scales] } };
  }
}

export function fitStandardScaler(frame: Frame, columns: readonly string[], options: StandardScalerOptions = {}): StandardScaler {
  checkDistinct(columns, 'standard-scaler');
  const means: number[] = [];
  const scales: number[] = [];
  for (const name of columns) {
    const x = numericInput(frame, name, 'standard-scaler');
    let n = 0, mean = 0, m2 = 0;
    // Welford's update: one pass, numerically stable.
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Number.isNaN(v)) continue;
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    if (n === 0) throw new DataError(`standard-scaler: column "${name}" has no non-missing value to fit on`, { context: { column: name } });
    const std = Math.sqrt(m2 / n);
    means.push(options.withMean === false ? 0 : mean);
    // Near-constant columns scale by 1, not by a rounding residue (scikit-learn's _is_constant_feature).
    const variance = m2 / n;
    const constant = variance <= n * Number.EPSILON * variance + (n * mean * Number.EPSILON) ** 2;
    scales.push(options.withStd === false || constant ? 1 : std);
  }
  return new StandardScaler([...columns], means, scales);
}

registerTransformer('standard-scaler', (state) => {
  const s = state as { inputs: string[]; means: number[]; scales: number[] };
  return new StandardScaler(s.inputs, s.means, s.scales);
});
