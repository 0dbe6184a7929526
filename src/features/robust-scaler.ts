/**
 * Robust scaling: (x - median) / (q75 - q25) per numeric column, as scikit-learn's RobustScaler.
 * Outliers barely move the median and the interquartile range, so one extreme row cannot squash the
 * rest. Statistics come from the training rows only; missing values are ignored when fitting and stay
 * missing. A (near) zero range gets scale 1, as scikit-learn does.
 *
 * @example
 * const scaler = fitRobustScaler(train, ['distance'], { quantileRange: [10, 90] });
 * scaler.transform(test).numbers('distance');
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, numericInput } from './columns.ts';
import { percentileSorted, sortedFinite } from './quantile.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export interface RobustScalerOptions {
  /** Percentiles whose difference is the scale; default [25, 75]. */
  quantileRange?: readonly [number, number];
  withCentering?: boolean;
  withScaling?: boolean;
}

export class RobustScaler implements FittedTransformer {
  readonly type = 'robust-scaler';
  readonly inputs: readonly string[];
  readonly centers: readonly number[];
  readonly scales: readonly number[];

  constructor(inputs: readonly string[], centers: readonly number[], scales: readonly number[]) {
    this.inputs = inputs; this.centers = centers; this.scales = scales;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const x = numericInput(frame, name, 'robust-scaler');
      const c = this.centers[j]!, s = this.scales[j]!;
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = (x[i]! - c) / s;
      out = out.withColumn(name, floatColumn(y));
    });
    return out;
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], centers: [...this.centers], scales: [...this.scales] } };
  }
}

export function fitRobustScaler(frame: Frame, columns: readonly string[], options: RobustScalerOptions = {}): RobustScaler {
  checkDistinct(columns, 'robust-scaler');
  const [qMin, qMax] = options.quantileRange ?? [25, 75];
  if (!(qMin >= 0 && qMin <= qMax && qMax <= 100)) {
    throw new DataError(`robust-scaler: quantileRange [${qMin}, ${qMax}] is not two percentiles 0 <= low <= high <= 100`, { hint: 'The default is [25, 75].' });
  }
  const centers: number[] = [];
  const scales: number[] = [];
  for (const name of columns) {
    const sorted = sortedFinite(numericInput(frame, name, 'robust-scaler'));
    if (sorted.length === 0) {
      throw new DataError(`robust-scaler: column "${name}" has no non-missing value to fit on`, { context: { column: name } });
    }
    const n = sorted.length, m = n >> 1;
    const median = n % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
    centers.push(options.withCentering === false ? 0 : median);
    const range = percentileSorted(sorted, qMax) - percentileSorted(sorted, qMin);
    // Near-zero ranges scale by 1 (scikit-learn's _handle_zeros_in_scale: below 10 * machine epsilon).
    scales.push(options.withScaling === false || range < 10 * Number.EPSILON ? 1 : range);
  }
  return new RobustScaler([...columns], centers, scales);
}

registerTransformer('robust-scaler', (state) => {
  const s = state as { inputs: string[]; centers: number[]; scales: number[] };
  return new RobustScaler(s.inputs, s.centers, s.scales);
});
