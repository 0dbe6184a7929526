/**
 * Imputation: fills missing values (NaN, null text) with a statistic learned from the training rows
 * (mean, median, most frequent) or a constant, as scikit-learn's SimpleImputer, optionally adding a
 * 0/1 `missingindicator_<column>` for each column that had missing values in training (its
 * `add_indicator=True`, same names and order: all imputed columns first, then the indicators).
 *
 * Numeric strategies read text columns of numbers; `most_frequent` and `constant` also fill text
 * columns (ties go to the smallest value, as in scikit-learn). Unlike scikit-learn, a column with no
 * value at all in training is an error rather than silently dropped.
 *
 * @example
 * const imp = fitImputer(train, ['age', 'fare'], { strategy: 'median', addIndicator: true });
 * imp.transform(test).names; // [..., 'age', 'fare', 'missingindicator_age']
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, numericInput, replaceColumns, requireColumn } from './columns.ts';
import { sortedFinite } from './quantile.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

export interface ImputerOptions {
  strategy?: ImputeStrategy;
  /** For 'constant': the fill (default 0 for numeric columns, "missing_value" for text, as scikit-learn). */
  fillValue?: number | string;
  /** Add a 0/1 missing indicator for each column that had missing values in training. */
  addIndicator?: boolean;
}

/** The fill learned for one column: a number for numeric columns, a string for text ones. */
export type ImputeFill = { kind: 'number'; value: number } | { kind: 'string'; value: string };

export class Imputer implements FittedTransformer {
  readonly type = 'imputer';
  readonly inputs: readonly string[];
  readonly fills: readonly ImputeFill[];
  /** Columns that get a missing indicator (those with missing values in training). */
  readonly indicators: readonly string[];

  constructor(inputs: readonly string[], fills: readonly ImputeFill[], indicators: readonly string[]) {
    this.inputs = inputs; this.fills = fills; this.indicators = indicators;
  }

  get outputs(): readonly string[] {
    return [...this.inputs, ...this.indicators.map(indicatorName)];
  }

  transform(frame: Frame): Frame {
    const replaced: [string, Column][] = [];
    const flags: [string, Column][] = [];
    const wanted = new Set(this.indicators);
    this.inputs.forEach((name, j) => {
      const fill = this.fills[j]!;
      let missing: Uint8Array | undefined;
      if (fill.kind === 'number') {
        const x = numericInput(frame, name, 'imputer');
        const y = new Float64Array(x.length);
        if (wanted.has(name)) missing = new Uint8Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const v = x[i]!;
          if (Number.isNaN(v)) { y[i] = fill.value; if (missing) missing[i] = 1; } else y[i] = v;
        }
        const logical = frameLogical(frame, name);
        replaced.push([name, { kind: 'number', values: y, logical }]);
      } else {
        const col = requireColumn(frame, name, 'imputer');
        if (col.kind !== 'string') {
          throw new DataError(`imputer: column "${name}" is numeric; it was text when fitted`, { context: { column: name } });
        }
        let code = col.dictionary.indexOf(fill.value);
        const dictionary = code >= 0 ? col.dictionary : [...col.dictionary, fill.value];
        if (code < 0) code = col.dictionary.length;
        const codes = new Int32Array(col.codes.length);
        if (wanted.has(name)) missing = new Uint8Array(codes.length);
        for (let i = 0; i < codes.length; i++) {
          const c = col.codes[i]!;
          if (c < 0) { codes[i] = code; if (missing) missing[i] = 1; } else codes[i] = c;
        }
        replaced.push([name, { kind: 'string', codes, dictionary }]);
      }
      if (missing) flags.push([indicatorName(name), floatColumn(Float64Array.from(missing))]);
    });
    // In-place columns keep their position; indicators go after all of them, in input order.
    let out = frame;
    for (const [name, col] of replaced) out = out.withColumn(name, col);
    const order = this.indicators.map(indicatorName);
    flags.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
    return flags.length === 0 ? out : replaceColumns(out, [], flags);
  }

  toJSON(): { type: string; state: Json } {
    return {
      type: this.type,
      state: {
        inputs: [...this.inputs],
        fills: this.fills.map((f) => (f.kind === 'number' ? { kind: f.kind, value: Number.isFinite(f.value) ? f.value : String(f.value) } : { kind: f.kind, value: f.value })),
        indicators: [...this.indicators],
      },
    };
  }
}

export function indicatorName(column: string): string {
  return `missingindicator_${column}`;
}

/**
 * Learns the fill of each column from the training rows.
 */
export function fitImputer(frame: Frame, columns: readonly string[], options: ImputerOptions = {}): Imputer {
  checkDistinct(columns, 'imputer');
  const strategy = options.strategy ?? 'mean';
  if (!['mean', 'median', 'most_frequent', 'constant'].includes(strategy)) {
    throw new DataError(`imputer: unknown strategy ${JSON.stringify(strategy)}`, { hint: "Use 'mean', 'median', 'most_frequent' or 'constant'." });
  }
  const fills: ImputeFill[] = [];
  const indicators: string[] = [];
  for (const name of columns) {
    const col = requireColumn(frame, name, 'imputer');
    const text = col.kind === 'string' && (strategy === 'most_frequent' || strategy === 'constant');
    if (text) {
      let nMissing = 0;
      for (let i = 0; i < col.codes.length; i++) if (col.codes[i]! < 0) nMissing++;
      if (nMissing > 0 && options.addIndicator) indicators.push(name);
      if (strategy === 'constant') {
        if (typeof options.fillValue === 'number') {
          throw new DataError(`imputer: column "${name}" is text but fillValue is the number ${options.fillValue}`, { context: { column: name }, hint: 'Give a text fillValue for text columns (or impute them in a separate step).' });
        }
        fills.push({ kind: 'string', value: options.fillValue ?? 'missing_value' });
      } else {
        fills.push({ kind: 'string', value: mostFrequentText(col.codes, col.dictionary, name) });
      }
      continue;
    }
    const x = numericInput(frame, name, 'imputer');
    let nMissing = 0;
    for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i]!)) nMissing++;
    if (nMissing > 0 && options.addIndicator) indicators.push(name);
    if (strategy === 'constant') {
      if (typeof options.fillValue === 'string') {
        throw new DataError(`imputer: column "${name}" is numeric but fillValue is the text ${JSON.stringify(options.fillValue)}`, { context: { column: name }, hint: 'Give a numeric fillValue for numeric columns (or impute them in a separate step).' });
      }
      fills.push({ kind: 'number', value: options.fillValue ?? 0 });
      continue;
    }
    if (nMissing === x.length) {
      throw new DataError(`imputer: column "${name}" has no non-missing value in the training rows to compute its ${strategy}`, {
        context: { column: name }, hint: "Drop the column, or use strategy 'constant'.",
      });
    }
    fills.push({ kind: 'number', value: strategy === 'mean' ? mean(x) : strategy === 'median' ? median(x) : mostFrequentNumber(x) });
  }
  return new Imputer([...columns], fills, indicators);
}

function frameLogical(frame: Frame, name: string): 'float' | 'int' | 'bool' | 'timestamp' | 'date' {
  const c = frame.column(name);
  return c.kind === 'number' ? c.logical : 'float';
}

function mean(x: Float64Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) { const v = x[i]!; if (!Number.isNaN(v)) { s += v; n++; } }
  return s / n;
}

function median(x: Float64Array): number {
  const s = sortedFinite(x);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The most frequent value; ties go to the smallest (scipy.stats.mode, as scikit-learn). */
function mostFrequentNumber(x: Float64Array): number {
  const s = sortedFinite(x);
  let best = s[0]!, bestN = 0;
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j < s.length && s[j] === s[i]) j++;
    if (j - i > bestN) { bestN = j - i; best = s[i]!; }
    i = j;
  }
  return best;
}

function mostFrequentText(codes: Int32Array, dictionary: readonly string[], name: string): string {
  const counts = new Float64Array(dictionary.length);
  for (let i = 0; i < codes.length; i++) { const c = codes[i]!; if (c >= 0) counts[c]!++; }
  let best = -1;
  for (let k = 0; k < dictionary.length; k++) {
    if (counts[k]! === 0) continue;
    if (best < 0 || counts[k]! > counts[best]! || (counts[k]! === counts[best]! && dictionary[k]! < dictionary[best]!)) best = k;
  }
  if (best < 0) {
    throw new DataError(`imputer: column "${name}" has no non-missing value in the training rows to find its most frequent value`, {
      context: { column: name }, hint: "Drop the column, or use strategy 'constant'.",
    });
  }
  return dictionary[best]!;
}

registerTransformer('imputer', (state) => {
  const s = state as { inputs: string[]; fills: { kind: 'number' | 'string'; value: number | string }[]; indicators: string[] };
  const fills: ImputeFill[] = s.fills.map((f) => (f.kind === 'number' ? { kind: 'number', value: Number(f.value) } : { kind: 'string', value: String(f.value) }));
  return new Imputer(s.inputs, fills, s.indicators);
});
