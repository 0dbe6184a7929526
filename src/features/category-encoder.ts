/**
 * Category encoding: learns each text column's categories from the training rows (those seen at least
 * `minFrequency` times, most frequent first, capped at `maxCategories`) and re-codes any Frame onto
 * that vocabulary. Rare and unseen categories become code -1 ("unknown") or an error, per `unknown`.
 * Linear models read the codes as an implicit one-hot block; trees read them as categorical features.
 *
 * @example
 * const enc = fitCategoryEncoder(train, ['origin'], { minFrequency: 10 });
 * enc.transform(test).strings('origin').codes; // indices into enc.vocabularies[0], -1 unknown
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
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

  constructor(inputs: readonly string[], vocabularies: readonly (readonly string[])[], unknown: 'ignore' | 'error') {
    this.inputs = inputs; this.vocabularies = vocabularies; this.unknown = unknown;
  }

  /** Number of categories of column j (the width of its one-hot block). */
  cardinality(name: string): number {
    const j = this.inputs.indexOf(name);
    return j < 0 ? 0 : this.vocabularies[j]!.length;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const col = frame.column(name);
      if (col.kind !== 'string') throw new DataError(`category-encoder: column "${name}" is numeric; it was text when fitted`, { context: { column: name } });
      const vocab = this.vocabularies[j]!;
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

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], vocabularies: this.vocabularies.map((v) => [...v]), unknown: this.unknown } };
  }
}

export function fitCategoryEncoder(frame: Frame, columns: readonly string[], options: CategoryEncoderOptions = {}): CategoryEncoder {
  const minFrequency = options.minFrequency ?? 1;
  const maxCategories = options.maxCategories ?? Infinity;
  const vocabularies = columns.map((name) => {
    const col = frame.strings(name);
    const counts = new Float64Array(col.dictionary.length);
    for (let i = 0; i < col.codes.length; i++) { const c = col.codes[i]!; if (c >= 0) counts[c]!++; }
    const kept = col.dictionary.map((v, k) => ({ v, n: counts[k]! })).filter((e) => e.n >= minFrequency);
    // Most frequent first; ties by name, so the vocabulary is deterministic.
    kept.sort((a, b) => b.n - a.n || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
    return kept.slice(0, maxCategories).map((e) => e.v);
  });
  return new CategoryEncoder([...columns], vocabularies, options.unknown ?? 'ignore');
}

registerTransformer('category-encoder', (state) => {
  const s = state as { inputs: string[]; vocabularies: string[][]; unknown: 'ignore' | 'error' };
  return new CategoryEncoder(s.inputs, s.vocabularies, s.unknown);
});
