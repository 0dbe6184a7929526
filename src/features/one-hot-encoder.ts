/**
 * Explicit one-hot encoding: each text column becomes 0/1 numeric columns, one per category, named
 * and ordered as scikit-learn's OneHotEncoder names them (`<column>_<category>`, categories sorted,
 * a missing value is the category `nan` placed last, rare categories merged into
 * `<column>_infrequent_sklearn` placed after the frequent ones). Use it for small cardinalities; the
 * category encoder's codes already act as an implicit one-hot block inside linear models, and feature
 * hashing suits high cardinalities.
 *
 * Unknown categories follow `handleUnknown`: 'error' names the column, value and row; 'ignore' gives
 * all zeros; 'infrequent_if_exist' maps them to the infrequent column when there is one.
 *
 * @example
 * const enc = fitOneHotEncoder(train, ['island'], { minFrequency: 10, handleUnknown: 'infrequent_if_exist' });
 * enc.outputs; // ['island_Biscoe', 'island_Dream', 'island_infrequent_sklearn']
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, replaceColumns, textInput } from './columns.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

/** Dense 0/1 output beyond this many values (2 GB of float64) is refused rather than left to run out of memory. */
const MAX_CELLS = 250_000_000;

export type HandleUnknown = 'error' | 'ignore' | 'infrequent_if_exist';

export interface OneHotEncoderOptions {
  /** Categories seen fewer times are infrequent: a count when >= 1, a fraction of the rows when < 1. */
  minFrequency?: number;
  /** At most this many output columns per input column, the infrequent column included (>= 2). */
  maxCategories?: number;
  /** Default 'error', as scikit-learn. */
  handleUnknown?: HandleUnknown;
  /** Refuse to make more than this many columns from one input column (default 1000). */
  maxColumns?: number;
}

/** One input column's fitted encoding. A null category is the missing value. */
export interface OneHotColumn {
  /** Frequent categories, sorted (null last): one output column each. */
  readonly categories: readonly (string | null)[];
  /** Categories merged into the infrequent column, sorted (null last); empty when there is none. */
  readonly infrequent: readonly (string | null)[];
}

export class OneHotEncoder implements FittedTransformer {
  readonly type = 'one-hot-encoder';
  readonly inputs: readonly string[];
  readonly encodings: readonly OneHotColumn[];
  readonly handleUnknown: HandleUnknown;

  constructor(inputs: readonly string[], encodings: readonly OneHotColumn[], handleUnknown: HandleUnknown) {
    this.inputs = inputs; this.encodings = encodings; this.handleUnknown = handleUnknown;
  }

  get outputs(): readonly string[] {
    return this.inputs.flatMap((name, j) => this.columnNames(name, this.encodings[j]!));
  }

  private columnNames(name: string, e: OneHotColumn): string[] {
    const names = e.categories.map((c) => `${name}_${c ?? 'nan'}`);
    if (e.infrequent.length > 0) names.push(`${name}_infrequent_sklearn`);
    return names;
  }

  transform(frame: Frame): Frame {
    const added: [string, Column][] = [];
    this.inputs.forEach((name, j) => {
      const e = this.encodings[j]!;
      const col = textInput(frame, name, 'one-hot-encoder');
      const width = e.categories.length + (e.infrequent.length > 0 ? 1 : 0);
      const infrequentSlot = e.infrequent.length > 0 ? e.categories.length : -1;
      const slot = new Map<string | null, number>();
      e.categories.forEach((c, k) => slot.set(c, k));
      for (const c of e.infrequent) slot.set(c, infrequentSlot);
      // -1: unknown (policy decides); -2: known to map to no column. Index 0 of `map` is the null code.
      const unknownSlot = this.handleUnknown === 'infrequent_if_exist' && infrequentSlot >= 0 ? infrequentSlot
        : this.handleUnknown === 'error' ? -1 : -2;
      const map = new Int32Array(col.dictionary.length + 1);
      map[0] = slot.get(null) ?? unknownSlot;
      col.dictionary.forEach((v, k) => { map[k + 1] = slot.get(v) ?? unknownSlot; });
      if (width * col.codes.length > MAX_CELLS) {
        throw new DataError(`one-hot-encoder: column "${name}" would expand ${col.codes.length} rows into ${width} dense columns (${width * col.codes.length} values)`, {
          context: { column: name }, hint: 'Raise minFrequency or lower maxCategories, or use the category encoder (an implicit one-hot block in linear models) or feature hashing.',
        });
      }
      const outs = Array.from({ length: width }, () => new Float64Array(col.codes.length));
      for (let i = 0; i < col.codes.length; i++) {
        const c = col.codes[i]!;
        const s = map[c + 1]!;
        if (s >= 0) outs[s]![i] = 1;
        else if (s === -1) {
          const value = c < 0 ? 'a missing value' : `category ${JSON.stringify(col.dictionary[c])}`;
          throw new DataError(`one-hot-encoder: column "${name}" has ${value} at row ${i}, never seen in training`, {
            context: { column: name, row: i },
            hint: "Fit with handleUnknown: 'ignore' (all zeros) or 'infrequent_if_exist' (the infrequent column) to accept new categories.",
          });
        }
      }
      this.columnNames(name, e).forEach((out, k) => added.push([out, floatColumn(outs[k]!)]));
    });
    return replaceColumns(frame, this.inputs, added);
  }

  toJSON(): { type: string; state: Json } {
    return {
      type: this.type,
      state: {
        inputs: [...this.inputs],
        encodings: this.encodings.map((e) => ({ categories: [...e.categories], infrequent: [...e.infrequent] })),
        handleUnknown: this.handleUnknown,
      },
    };
  }
}

export function fitOneHotEncoder(frame: Frame, columns: readonly string[], options: OneHotEncoderOptions = {}): OneHotEncoder {
  checkDistinct(columns, 'one-hot-encoder');
  const handleUnknown = options.handleUnknown ?? 'error';
  if (!['error', 'ignore', 'infrequent_if_exist'].includes(handleUnknown)) {
    throw new DataError(`one-hot-encoder: unknown handleUnknown ${JSON.stringify(handleUnknown)}`, { hint: "Use 'error', 'ignore' or 'infrequent_if_exist'." });
  }
  if (options.maxCategories !== undefined && !(Number.isInteger(options.maxCategories) && options.maxCategories >= 2)) {
    throw new DataError(`one-hot-encoder: maxCategories must be an integer >= 2 (one frequent category and the infrequent column), got ${options.maxCategories}`);
  }
  if (options.minFrequency !== undefined && !(options.minFrequency > 0)) {
    throw new DataError(`one-hot-encoder: minFrequency must be > 0 (a count >= 1 or a fraction of the rows < 1), got ${options.minFrequency}`);
  }
  const maxColumns = options.maxColumns ?? 1000;
  const encodings = columns.map((name) => {
    const col = textInput(frame, name, 'one-hot-encoder');
    const { categories, counts } = sortedCounts(col.codes, col.dictionary);
    const infrequentMask = identifyInfrequent(counts, col.codes.length, options);
    const e: OneHotColumn = {
      categories: categories.filter((_, k) => !infrequentMask[k]),
      infrequent: categories.filter((_, k) => infrequentMask[k]),
    };
    const width = e.categories.length + (e.infrequent.length > 0 ? 1 : 0);
    if (width > maxColumns) {
      throw new DataError(`one-hot-encoder: column "${name}" would make ${width} columns (more than maxColumns ${maxColumns})`, {
        context: { column: name },
        hint: 'Set minFrequency or maxCategories, or use feature hashing or target encoding for high-cardinality columns.',
      });
    }
    return e;
  });
  return new OneHotEncoder([...columns], encodings, handleUnknown);
}

/** Categories present in the rows, sorted as numpy sorts strings (null, the missing value, last), with counts. */
export function sortedCounts(codes: Int32Array, dictionary: readonly string[]): { categories: (string | null)[]; counts: number[] } {
  const n = new Float64Array(dictionary.length + 1);
  for (let i = 0; i < codes.length; i++) n[codes[i]! + 1]!++;
  const present = dictionary.map((v, k) => ({ v, n: n[k + 1]! })).filter((e) => e.n > 0);
  present.sort((a, b) => compareText(a.v, b.v));
  const categories: (string | null)[] = present.map((e) => e.v);
  const counts = present.map((e) => e.n);
  if (n[0]! > 0) { categories.push(null); counts.push(n[0]!); }
  return { categories, counts };
}

/** Code-point order, as Python compares strings. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!, y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * scikit-learn's `_identify_infrequent`: below minFrequency is infrequent; then, if more than
 * maxCategories columns would remain, the smallest counts (stable order) join them.
 */
function identifyInfrequent(counts: readonly number[], nRows: number, options: OneHotEncoderOptions): boolean[] {
  const min = options.minFrequency;
  const threshold = min === undefined ? 0 : min >= 1 ? min : min * nRows;
  const mask = counts.map((c) => c < threshold);
  const nInfrequent = mask.filter(Boolean).length;
  const current = counts.length - nInfrequent + 1;
  const max = options.maxCategories;
  if (max !== undefined && max < current) {
    const order = counts.map((c, k) => ({ c, k })).sort((a, b) => a.c - b.c || a.k - b.k);
    for (const { k } of order.slice(0, counts.length - max + 1)) mask[k] = true;
  }
  return mask;
}

registerTransformer('one-hot-encoder', (state) => {
  const s = state as { inputs: string[]; encodings: { categories: (string | null)[]; infrequent: (string | null)[] }[]; handleUnknown: HandleUnknown };
  return new OneHotEncoder(s.inputs, s.encodings, s.handleUnknown);
});
