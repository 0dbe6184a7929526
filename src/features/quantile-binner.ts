/**
 * Quantile binning: each numeric column becomes its bin index 0..k-1, the bin edges being the
 * training percentiles 0, 100/k, ..., 100 (scikit-learn's KBinsDiscretizer with strategy='quantile',
 * encode='ordinal', no subsampling). Edges closer than 1e-8 are merged, so heavily tied columns get
 * fewer bins, and a constant column gets one bin, exactly as there. Values outside the training range
 * fall in the first or last bin. Missing values stay missing (scikit-learn refuses them).
 *
 * @example
 * const bins = fitQuantileBinner(train, ['distance'], { bins: 10 });
 * bins.transform(test).numbers('distance'); // deciles 0..9
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, numericInput } from './columns.ts';
import { linspace, percentileSorted, sortedFinite } from './quantile.ts';
import { numberFromJson, numberToJson, registerTransformer, type FittedTransformer } from './transformer.ts';

export interface QuantileBinnerOptions {
  /** Number of bins (default 5, >= 2). */
  bins?: number;
}

export class QuantileBinner implements FittedTransformer {
  readonly type = 'quantile-binner';
  readonly inputs: readonly string[];
  /** Per column, the bin edges (k + 1 of them for k bins). */
  readonly edges: readonly (readonly number[])[];

  constructor(inputs: readonly string[], edges: readonly (readonly number[])[]) {
    this.inputs = inputs; this.edges = edges;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const x = numericInput(frame, name, 'quantile-binner');
      const inner = this.edges[j]!.slice(1, -1);
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (Number.isNaN(v)) { y[i] = NaN; continue; }
        // numpy.searchsorted(inner, v, side='right'): how many inner edges are <= v.
        let lo = 0, hi = inner.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (inner[mid]! <= v) lo = mid + 1; else hi = mid; }
        y[i] = lo;
      }
      out = out.withColumn(name, floatColumn(y));
    });
    return out;
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], edges: this.edges.map((e) => e.map(numberToJson)) } };
  }
}

export function fitQuantileBinner(frame: Frame, columns: readonly string[], options: QuantileBinnerOptions = {}): QuantileBinner {
  checkDistinct(columns, 'quantile-binner');
  const k = options.bins ?? 5;
  if (!Number.isInteger(k) || k < 2) throw new DataError(`quantile-binner: bins must be an integer >= 2, got ${k}`);
  const edges = columns.map((name) => {
    const sorted = sortedFinite(numericInput(frame, name, 'quantile-binner'));
    if (sorted.length === 0) throw new DataError(`quantile-binner: column "${name}" has no non-missing value to fit on`, { context: { column: name } });
    if (sorted[0] === sorted[sorted.length - 1]) return [-Infinity, Infinity];
    const raw = linspace(0, 100, k + 1).map((q) => percentileSorted(sorted, q));
    // Drop edges within 1e-8 of the previous one (scikit-learn's ediff1d mask).
    return raw.filter((e, i) => i === 0 || e - raw[i - 1]! > 1e-8);
  });
  return new QuantileBinner([...columns], edges);
}

registerTransformer('quantile-binner', (state) => {
  const s = state as { inputs: string[]; edges: Json[][] };
  return new QuantileBinner(s.inputs, s.edges.map((e) => e.map(numberFromJson)));
});
