/**
 * Target encoding: each text category becomes a shrunk mean of the target over the rows of that
 * category, as scikit-learn 1.3's TargetEncoder computes it. `smooth: 'auto'` shrinks towards the
 * global mean by an empirical-Bayes weight (category variance against target variance); a number m
 * gives (sum + m * mean) / (count + m). A missing value is a category of its own; a category never seen
 * in training gets the target mean (or an error, with `unknown: 'error'`).
 *
 * No leakage: the encoding of a training row must not use that row's own target. So the training rows
 * are encoded *out of fold* (K folds, seeded; stratified for a binary target): each fold is encoded by
 * statistics of the other folds only. `fitTransformTargetEncoder` returns those out-of-fold values as
 * the training output; the fitted encoder, used on new rows, holds the encoding of all training rows.
 * `fit(train).transform(train)` is therefore NOT the training output; composition (column transformer,
 * feature pipeline) uses `fitTransform...` for you.
 *
 * @example
 * const { transformer, output } = fitTransformTargetEncoder(train, ['origin'], { target: 'late', seed: 7 });
 * // output: train with 'origin' replaced by out-of-fold encodings; transformer.transform(test) for new rows
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, numericInput, textInput } from './columns.ts';
import { kFoldAssignment, stratifiedKFoldAssignment } from './folds.ts';
import { sortedCounts } from './one-hot-encoder.ts';
import { registerTransformer, type Fitted, type FittedTransformer } from './transformer.ts';

export interface TargetEncoderOptions {
  /** The target: a numeric column of the frame, or one value per row. */
  target: string | Float64Array;
  /** 'auto' (default): binary when the target has exactly two values, else continuous. */
  targetType?: 'auto' | 'binary' | 'continuous';
  /** 'auto' (default, empirical Bayes) or m >= 0. */
  smooth?: 'auto' | number;
  /** Folds of the out-of-fold training encoding (default 5). */
  cv?: number;
  /** Shuffle rows before cutting the folds (default true). */
  shuffle?: boolean;
  /** Seed of the fold shuffle (default 0). */
  seed?: number;
  /** Explicit fold id (0..k-1) per row; overrides cv, shuffle and seed. */
  folds?: Int32Array;
  /** A category never seen in training: 'mean' (default, the target mean, as scikit-learn) or 'error'. */
  unknown?: 'mean' | 'error';
}

export class TargetEncoder implements FittedTransformer {
  readonly type = 'target-encoder';
  readonly inputs: readonly string[];
  /** Per column, the training categories (sorted; null is the missing value, last). */
  readonly categories: readonly (readonly (string | null)[])[];
  /** Per column, the encoding of each category, on all training rows. */
  readonly encodings: readonly (readonly number[])[];
  readonly targetMean: number;
  readonly targetType: 'binary' | 'continuous';
  /** For a binary target: the two label values, the second is encoded as 1. */
  readonly classes: readonly number[] | null;
  readonly unknown: 'mean' | 'error';

  constructor(state: {
    inputs: readonly string[]; categories: readonly (readonly (string | null)[])[]; encodings: readonly (readonly number[])[];
    targetMean: number; targetType: 'binary' | 'continuous'; classes: readonly number[] | null; unknown: 'mean' | 'error';
  }) {
    this.inputs = state.inputs; this.categories = state.categories; this.encodings = state.encodings;
    this.targetMean = state.targetMean; this.targetType = state.targetType; this.classes = state.classes; this.unknown = state.unknown;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const col = textInput(frame, name, 'target-encoder');
      const index = new Map(this.categories[j]!.map((c, k) => [c, k]));
      const enc = this.encodings[j]!;
      const nullEnc = index.has(null) ? enc[index.get(null)!]! : NaN;
      const map = col.dictionary.map((v) => { const k = index.get(v); return k === undefined ? NaN : enc[k]!; });
      const y = new Float64Array(col.codes.length);
      for (let i = 0; i < y.length; i++) {
        const c = col.codes[i]!;
        let v = c < 0 ? nullEnc : map[c]!;
        if (Number.isNaN(v)) {
          if (this.unknown === 'error') {
            const what = c < 0 ? 'a missing value' : `category ${JSON.stringify(col.dictionary[c])}`;
            throw new DataError(`target-encoder: column "${name}" has ${what} at row ${i}, never seen in training`, {
              context: { column: name, row: i }, hint: "Fit with unknown: 'mean' to encode unseen categories with the target mean.",
            });
          }
          v = this.targetMean;
        }
        y[i] = v;
      }
      out = out.withColumn(name, floatColumn(y));
    });
    return out;
  }

  toJSON(): { type: string; state: Json } {
    return {
      type: this.type,
      state: {
        inputs: [...this.inputs], categories: this.categories.map((c) => [...c]), encodings: this.encodings.map((e) => [...e]),
        targetMean: this.targetMean, targetType: this.targetType, classes: this.classes ? [...this.classes] : null, unknown: this.unknown,
      },
    };
  }
}

/**
 * Fits the encoding on all rows of `frame`. Use it to encode *new* rows; to encode the training rows
 * themselves without leakage, use `fitTransformTargetEncoder`.
 */
export function fitTargetEncoder(frame: Frame, columns: readonly string[], options: TargetEncoderOptions): TargetEncoder {
  return fitTargetEncoding(frame, columns, options, false).transformer;
}

/** Fits the encoder and encodes the training rows out of fold (no row sees its own target). */
export function fitTransformTargetEncoder(frame: Frame, columns: readonly string[], options: TargetEncoderOptions): Fitted<TargetEncoder> {
  return fitTargetEncoding(frame, columns, options, true) as Fitted<TargetEncoder>;
}

function fitTargetEncoding(frame: Frame, columns: readonly string[], options: TargetEncoderOptions, outOfFold: boolean): { transformer: TargetEncoder; output?: Frame } {
  checkDistinct(columns, 'target-encoder');
  const n = frame.numRows;
  const { y, targetType, classes, label } = readTarget(frame, options);
  const smooth = options.smooth ?? 'auto';
  if (smooth !== 'auto' && !(typeof smooth === 'number' && smooth >= 0)) {
    throw new DataError(`target-encoder: smooth must be 'auto' or a number >= 0, got ${JSON.stringify(smooth)}`);
  }
  if (columns.includes(label)) {
    throw new DataError(`target-encoder: column "${label}" is the target itself`, { context: { column: label }, hint: 'Encode feature columns, not the label.' });
  }
  const all = new Uint8Array(n).fill(1);
  const yMean = mean(y, all);
  const yVar = variance(y, all, yMean);
  const categories: (string | null)[][] = [];
  const encodings: number[][] = [];
  const codesPerColumn: Int32Array[] = [];
  for (const name of columns) {
    const col = textInput(frame, name, 'target-encoder');
    const cats = sortedCounts(col.codes, col.dictionary).categories;
    const index = new Map(cats.map((c, k) => [c, k]));
    const remap = col.dictionary.map((v) => index.get(v) ?? -1);
    const nullCat = index.get(null) ?? -1;
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) { const c = col.codes[i]!; codes[i] = c < 0 ? nullCat : remap[c]!; }
    categories.push(cats);
    codesPerColumn.push(codes);
    encodings.push(Array.from(encode(codes, cats.length, y, all, smooth, yMean, yVar)));
  }
  const transformer = new TargetEncoder({ inputs: [...columns], categories, encodings, targetMean: yMean, targetType, classes, unknown: options.unknown ?? 'mean' });
  if (!outOfFold) return { transformer };

  const fold = options.folds ?? (targetType === 'binary'
    ? stratifiedKFoldAssignment(y, options.cv ?? 5, { shuffle: options.shuffle ?? true, seed: options.seed ?? 0 })
    : kFoldAssignment(n, options.cv ?? 5, { shuffle: options.shuffle ?? true, seed: options.seed ?? 0 }));
  if (fold.length !== n) throw new DataError(`target-encoder: folds has ${fold.length} entries for ${n} rows`);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!(fold[i]! >= 0)) throw new DataError(`target-encoder: folds[${i}] is ${fold[i]}; fold ids are 0..k-1, one per row`, { context: { row: i } });
    k = Math.max(k, fold[i]! + 1);
  }
  const outs = columns.map(() => new Float64Array(n));
  const train = new Uint8Array(n);
  for (let f = 0; f < k; f++) {
    let nTrain = 0, nTest = 0;
    for (let i = 0; i < n; i++) { train[i] = fold[i] === f ? 0 : 1; if (train[i]) nTrain++; else nTest++; }
    if (nTest === 0) continue;
    if (nTrain === 0) throw new DataError(`target-encoder: fold ${f} holds every row, so no rows are left to encode it from`, { hint: 'Use at least two folds.' });
    const foldMean = mean(y, train);
    const foldVar = variance(y, train, foldMean);
    columns.forEach((_, j) => {
      const codes = codesPerColumn[j]!;
      const enc = encode(codes, categories[j]!.length, y, train, smooth, foldMean, foldVar);
      const out = outs[j]!;
      for (let i = 0; i < n; i++) if (!train[i]) out[i] = enc[codes[i]!]!;
    });
  }
  let output = frame;
  columns.forEach((name, j) => { output = output.withColumn(name, floatColumn(outs[j]!)); });
  return { transformer, output };
}

/**
 * The encoding of each category from the rows where `use` is set (scikit-learn's
 * `_fit_encoding_fast` and `_fit_encoding_fast_auto_smooth`). A category without rows gets the mean.
 */
function encode(codes: Int32Array, nCats: number, y: Float64Array, use: Uint8Array, smooth: 'auto' | number, yMean: number, yVar: number): Float64Array {
  const sums = new Float64Array(nCats);
  const counts = new Float64Array(nCats);
  for (let i = 0; i < codes.length; i++) {
    if (!use[i]) continue;
    const c = codes[i]!;
    sums[c]! += y[i]!;
    counts[c]!++;
  }
  const enc = new Float64Array(nCats);
  if (smooth !== 'auto') {
    for (let c = 0; c < nCats; c++) {
      const count = counts[c]! + smooth;
      enc[c] = count === 0 ? yMean : (sums[c]! + smooth * yMean) / count;
    }
    return enc;
  }
  const means = new Float64Array(nCats);
  for (let c = 0; c < nCats; c++) means[c] = sums[c]! / counts[c]!;
  const ss = new Float64Array(nCats);
  for (let i = 0; i < codes.length; i++) {
    if (!use[i]) continue;
    const c = codes[i]!;
    const d = y[i]! - means[c]!;
    ss[c]! += d * d;
  }
  for (let c = 0; c < nCats; c++) {
    // Empirical Bayes: trust the category mean as much as its count outweighs its own spread.
    const lambda = (yVar * counts[c]!) / (yVar * counts[c]! + ss[c]! / counts[c]!);
    enc[c] = Number.isNaN(lambda) ? yMean : lambda * means[c]! + (1 - lambda) * yMean;
  }
  return enc;
}

function readTarget(frame: Frame, options: TargetEncoderOptions): { y: Float64Array; targetType: 'binary' | 'continuous'; classes: number[] | null; label: string } {
  const label = typeof options.target === 'string' ? options.target : '';
  const raw = typeof options.target === 'string' ? numericInput(frame, options.target, 'target-encoder') : options.target;
  const what = label ? `target column "${label}"` : 'target';
  if (raw.length !== frame.numRows) throw new DataError(`target-encoder: the target has ${raw.length} values for ${frame.numRows} rows`);
  if (raw.length === 0) throw new DataError('target-encoder: no training rows');
  const distinct = new Set<number>();
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isFinite(v)) {
      throw new DataError(`target-encoder: the ${what} has a missing value at row ${i}`, {
        context: label ? { column: label, row: i } : { row: i }, hint: 'Filter or quarantine rows without a label before fitting.',
      });
    }
    if (distinct.size < 3) distinct.add(v);
  }
  const type = options.targetType ?? 'auto';
  const binary = type === 'binary' || (type === 'auto' && distinct.size === 2);
  if (!binary) return { y: raw, targetType: 'continuous', classes: null, label };
  if (distinct.size > 2) throw new DataError(`target-encoder: targetType is 'binary' but the ${what} has more than two values`, label ? { context: { column: label } } : {});
  const classes = [...distinct].sort((a, b) => a - b);
  const hi = classes[classes.length - 1]!;
  // As LabelEncoder: the larger label is 1. A single-valued binary target encodes as all 0.
  const y = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) y[i] = classes.length === 2 && raw[i] === hi ? 1 : 0;
  return { y, targetType: 'binary', classes, label };
}

function mean(y: Float64Array, use: Uint8Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < y.length; i++) if (use[i]) { s += y[i]!; n++; }
  return s / n;
}

/** Population variance (numpy's var, ddof 0), two passes. */
function variance(y: Float64Array, use: Uint8Array, m: number): number {
  let s = 0, n = 0;
  for (let i = 0; i < y.length; i++) if (use[i]) { const d = y[i]! - m; s += d * d; n++; }
  return s / n;
}

registerTransformer('target-encoder', (state) => {
  const s = state as {
    inputs: string[]; categories: (string | null)[][]; encodings: number[][]; targetMean: number;
    targetType: 'binary' | 'continuous'; classes: number[] | null; unknown: 'mean' | 'error';
  };
  return new TargetEncoder(s);
});
