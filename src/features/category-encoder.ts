/**
 * Category encoding: learns each categorical column's categories from the training rows (those seen at
 * least `minFrequency` times, most frequent first, capped at `maxCategories`) and re-codes any Frame
 * onto that vocabulary, as a text column. Rare and unseen categories become code -1 ("unknown", as
 * missing) or an error, per `unknown`. A numeric column of category codes (integers) is encoded the
 * same way, its values becoming the categories "1", "2", ...: so a numeric column declared categorical
 * is a category in every model family, as a text one is. Linear models read the codes as an implicit
 * one-hot block; trees read them as categorical features.
 *
 * @example
 * const enc = fitCategoryEncoder(train, ['origin'], { minFrequency: 10 });
 * enc.transform(test).strings('origin').codes; // indices into enc.vocabularies[0], -1 unknown
 */
import { DataError } from '../core/errors.ts';
import type { Frame, NumberColumn } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export interface CategoryEncoderOptions {
  minFrequency?: number;
  maxCategories?: number;
  /** 'ignore': unseen categories map to -1; 'error': they raise a DataError naming the column and value. */
  unknown?: 'ignore' | 'error';
}

export class CategoryEncoder implements FittedTransformer {
  readonly type = 'category-encoder';
  readonly inputs: readonly string[];
  readonly vocabularies: readonly (readonly string[])[];
  readonly unknown: 'ignore' | 'error';
  /** The kind of each input when fitted: text categories, or numeric category codes. */
  readonly kinds: readonly ('string' | 'number')[];

  constructor(inputs: readonly string[], vocabularies: readonly (readonly string[])[], unknown: 'ignore' | 'error', kinds?: readonly ('string' | 'number')[]) {
    this.inputs = inputs; this.vocabularies = vocabularies; this.unknown = unknown;
    this.kinds = kinds ?? inputs.map(() => 'string');
  }

  /** Number of categories of column j (the width of its one-hot block). */
  cardinality(name: string): number {
    const j = this.inputs.indexOf(name);
    return j < 0 ? 0 : this.vocabularies[j]!.length;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const vocab = this.vocabularies[j]!;
      if (this.kinds[j] === 'number') {
        out = out.withColumn(name, { kind: 'string', codes: this.#codeNumbers(frame, name, vocab), dictionary: vocab });
        return;
      }
      const col = frame.column(name);
      if (col.kind !== 'string') throw new DataError(`category-encoder: column "${name}" is numeric; it was text when fitted`, { context: { column: name } });
      const index = new Map(vocab.map((v, k) => [v, k]));
      // Map the frame's own dictionary once, then each row is one array lookup.
      const remap = new Int32Array(col.dictionary.length);
      col.dictionary.forEach((v, k) => { remap[k] = index.get(v) ?? -1; });
      const codes = new Int32Array(col.codes.length);
      for (let i = 0; i < codes.length; i++) {
        const c = col.codes[i]!;
        const m = c < 0 ? -1 : remap[c]!;
        if (m < 0 && c >= 0 && this.unknown === 'error') {
          throw new DataError(`category-encoder: column "${name}" has category "${col.dictionary[c]}" at row ${i}, never seen in training`, {
            context: { column: name, row: i }, hint: "Use unknown: 'ignore' to map unseen categories to 'unknown'.",
          });
        }
        codes[i] = m;
      }
      out = out.withColumn(name, { kind: 'string', codes, dictionary: vocab });
    });
    return out;
  }

  #codeNumbers(frame: Frame, name: string, vocab: readonly string[]): Int32Array {
    const col = frame.column(name);
    if (col.kind !== 'number') throw new DataError(`category-encoder: column "${name}" is text; it held numeric category codes when fitted`, { context: { column: name } });
    const index = new Map(vocab.map((v, k) => [v, k]));
    const codes = new Int32Array(col.values.length);
    for (let i = 0; i < codes.length; i++) {
      const v = col.values[i]!;
      if (Number.isNaN(v)) { codes[i] = -1; continue; }
      const m = index.get(String(v)) ?? -1;
      if (m < 0 && this.unknown === 'error') {
        throw new DataError(`category-encoder: column "${name}" has category ${v} at row ${i}, never seen in training`, {
          context: { column: name, row: i }, hint: "Use unknown: 'ignore' to map unseen categories to 'unknown'.",
        });
      }
      codes[i] = m;
    }
    return codes;
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], vocabularies: this.vocabularies.map((v) => [...v]), unknown: this.unknown, kinds: [...this.kinds] } };
  }
}

/** Counts of each category of a numeric code column; a value that is not a whole number is an error naming column, row and value. */
function numericCategories(col: NumberColumn, name: string): { values: string[]; counts: Float64Array } {
  const index = new Map<number, number>();
  const counts: number[] = [];
  for (let i = 0; i < col.values.length; i++) {
    const v = col.values[i]!;
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) {
      throw new DataError(`Categorical column "${name}" holds ${v} at row ${i}, not a whole-number category code`, {
        code: 'BAD_VALUE', context: { column: name, row: i, value: String(v) },
        hint: `Declare "${name}" numeric if it is a measurement; if its values name categories, round them or cast the column to text (CAST("${name}" AS VARCHAR)).`,
      });
    }
    let k = index.get(v);
    if (k === undefined) { k = counts.length; index.set(v, k); counts.push(0); }
    counts[k]!++;
  }
  return { values: [...index.keys()].map(String), counts: Float64Array.from(counts) };
}

export function fitCategoryEncoder(frame: Frame, columns: readonly string[], options: CategoryEncoderOptions = {}): CategoryEncoder {
  const minFrequency = options.minFrequency ?? 1;
  const maxCategories = options.maxCategories ?? Infinity;
  const kinds = columns.map((name) => frame.column(name).kind);
  const vocabularies = columns.map((name) => {
    const col = frame.column(name);
    let dictionary: readonly string[];
    let counts: Float64Array;
    if (col.kind === 'number') ({ values: dictionary, counts } = numericCategories(col, name));
    else {
      dictionary = col.dictionary;
      counts = new Float64Array(col.dictionary.length);
      for (let i = 0; i < col.codes.length; i++) { const c = col.codes[i]!; if (c >= 0) counts[c]!++; }
    }
    const kept = dictionary.map((v, k) => ({ v, n: counts[k]! })).filter((e) => e.n >= minFrequency);
    // Most frequent first; ties by name, so the vocabulary is deterministic.
    kept.sort((a, b) => b.n - a.n || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
    return kept.slice(0, maxCategories).map((e) => e.v);
  });
  return new CategoryEncoder([...columns], vocabularies, options.unknown ?? 'ignore', kinds);
}

registerTransformer('category-encoder', (state) => {
  const s = state as { inputs: string[]; vocabularies: string[][]; unknown: 'ignore' | 'error'; kinds?: ('string' | 'number')[] };
  return new CategoryEncoder(s.inputs, s.vocabularies, s.unknown, s.kinds);
});
