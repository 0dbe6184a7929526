/**
 * Ordinal encoding: each text column becomes one numeric column of category indices 0..k-1, with
 * categories sorted as scikit-learn's OrdinalEncoder sorts them (or in a given order, for categories
 * that have one: 'low' < 'mid' < 'high'). A missing value stays missing (NaN, its
 * `encoded_missing_value`). Unknown categories raise an error naming the column, value and row, or
 * become `unknownValue` (its `handle_unknown='use_encoded_value'`).
 *
 * @example
 * const enc = fitOrdinalEncoder(train, ['size'], { categories: { size: ['S', 'M', 'L'] }, unknown: 'use_encoded_value' });
 * enc.transform(test).numbers('size'); // 0, 1, 2; -1 for a size never seen
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, textInput } from './columns.ts';
import { sortedCounts } from './one-hot-encoder.ts';
import { numberFromJson, numberToJson, registerTransformer, type FittedTransformer } from './transformer.ts';

export interface OrdinalEncoderOptions {
  /** Explicit category order per column; columns not listed get their sorted training categories. */
  categories?: Readonly<Record<string, readonly string[]>>;
  /** 'error' (default, as scikit-learn) or 'use_encoded_value' (unknowns become unknownValue). */
  unknown?: 'error' | 'use_encoded_value';
  /** The code of unknown categories (default -1; NaN makes them missing). */
  unknownValue?: number;
  /** The code of missing values (default NaN). */
  missingValue?: number;
}

export class OrdinalEncoder implements FittedTransformer {
  readonly type = 'ordinal-encoder';
  readonly inputs: readonly string[];
  readonly categories: readonly (readonly string[])[];
  readonly unknown: 'error' | 'use_encoded_value';
  readonly unknownValue: number;
  readonly missingValue: number;

  constructor(inputs: readonly string[], categories: readonly (readonly string[])[], unknown: 'error' | 'use_encoded_value', unknownValue: number, missingValue: number) {
    this.inputs = inputs; this.categories = categories; this.unknown = unknown; this.unknownValue = unknownValue; this.missingValue = missingValue;
  }

  transform(frame: Frame): Frame {
    let out = frame;
    this.inputs.forEach((name, j) => {
      const col = textInput(frame, name, 'ordinal-encoder');
      const index = new Map(this.categories[j]!.map((c, k) => [c, k]));
      // Map the frame's dictionary once; each row is then one lookup. NaN marks an unknown category.
      const map = col.dictionary.map((v) => index.get(v) ?? NaN);
      const y = new Float64Array(col.codes.length);
      for (let i = 0; i < y.length; i++) {
        const c = col.codes[i]!;
        if (c < 0) { y[i] = this.missingValue; continue; }
        const m = map[c]!;
        if (!Number.isNaN(m)) { y[i] = m; continue; }
        if (this.unknown === 'error') {
          throw new DataError(`ordinal-encoder: column "${name}" has category ${JSON.stringify(col.dictionary[c])} at row ${i}, never seen in training`, {
            context: { column: name, row: i }, hint: "Fit with unknown: 'use_encoded_value' to give unseen categories the code unknownValue.",
          });
        }
        y[i] = this.unknownValue;
      }
      out = out.withColumn(name, floatColumn(y));
    });
    return out;
  }

  toJSON(): { type: string; state: Json } {
    return {
      type: this.type,
      state: {
        inputs: [...this.inputs], categories: this.categories.map((c) => [...c]), unknown: this.unknown,
        unknownValue: numberToJson(this.unknownValue), missingValue: numberToJson(this.missingValue),
      },
    };
  }
}

export function fitOrdinalEncoder(frame: Frame, columns: readonly string[], options: OrdinalEncoderOptions = {}): OrdinalEncoder {
  checkDistinct(columns, 'ordinal-encoder');
  const unknown = options.unknown ?? 'error';
  const unknownValue = options.unknownValue ?? -1;
  const categories = columns.map((name) => {
    const col = textInput(frame, name, 'ordinal-encoder');
    const given = options.categories?.[name];
    if (given) {
      checkDistinct(given, `ordinal-encoder: categories of "${name}"`);
      const known = new Set(given);
      const seen = new Uint8Array(col.dictionary.length);
      for (let i = 0; i < col.codes.length; i++) {
        const c = col.codes[i]!;
        if (c < 0 || seen[c]) continue;
        seen[c] = 1;
        if (!known.has(col.dictionary[c]!)) {
          throw new DataError(`ordinal-encoder: column "${name}" has category ${JSON.stringify(col.dictionary[c])} at row ${i}, not among the categories given for it`, {
            context: { column: name, row: i }, hint: `Add it to categories.${name}, or fix the value upstream.`,
          });
        }
      }
      return [...given];
    }
    return sortedCounts(col.codes, col.dictionary).categories.filter((c): c is string => c !== null);
  });
  if (unknown === 'use_encoded_value' && Number.isInteger(unknownValue)) {
    columns.forEach((name, j) => {
      if (unknownValue >= 0 && unknownValue < categories[j]!.length) {
        throw new DataError(`ordinal-encoder: unknownValue ${unknownValue} is already the code of ${JSON.stringify(categories[j]![unknownValue])} in column "${name}"`, {
          context: { column: name }, hint: 'Use a negative unknownValue (default -1) or NaN.',
        });
      }
    });
  }
  return new OrdinalEncoder([...columns], categories, unknown, unknownValue, options.missingValue ?? NaN);
}

registerTransformer('ordinal-encoder', (state) => {
  const s = state as { inputs: string[]; categories: string[][]; unknown: 'error' | 'use_encoded_value'; unknownValue: Json; missingValue: Json };
  return new OrdinalEncoder(s.inputs, s.categories, s.unknown, numberFromJson(s.unknownValue), numberFromJson(s.missingValue));
});
