/**
 * Column access shared by the transformers: every read names the transformer and the column when it
 * fails, so a bad input says where it is and what to do.
 */
import { DataError } from '../core/errors.ts';
import { Frame, type Column, type StringColumn } from '../frame/frame.ts';

/**
 * The values of a numeric input column as a Float64Array (NaN is missing). A text column is accepted
 * when every value in it reads as a number (CSV files often carry numbers as text; an empty string is
 * missing); otherwise the error names the column, the value and its row. Infinite values are refused.
 */
export function numericInput(frame: Frame, name: string, who: string): Float64Array {
  const col = requireColumn(frame, name, who);
  if (col.kind === 'number') {
    const x = col.values;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v === Infinity || v === -Infinity) {
        throw new DataError(`${who}: column "${name}" has an infinite value at row ${i}`, {
          context: { column: name, row: i }, hint: 'Replace infinities with null (NULLIF or a CASE in SQL) before this step.',
        });
      }
    }
    return x;
  }
  const parsed = col.dictionary.map(parseNumber);
  const out = new Float64Array(col.codes.length);
  for (let i = 0; i < out.length; i++) {
    const c = col.codes[i]!;
    if (c < 0) { out[i] = NaN; continue; }
    const v = parsed[c]!;
    if (v === undefined || v === Infinity || v === -Infinity) {
      throw new DataError(`${who}: column "${name}" is numeric but holds the non-numeric value ${JSON.stringify(col.dictionary[c])} at row ${i}`, {
        context: { column: name, row: i },
        hint: 'Cast the column in SQL (TRY_CAST turns bad values into null) or quarantine those rows; text categories belong in an encoder.',
      });
    }
    out[i] = v;
  }
  return out;
}

/** A text input column; a numeric one is an error naming the column. */
export function textInput(frame: Frame, name: string, who: string): StringColumn {
  const col = requireColumn(frame, name, who);
  if (col.kind !== 'string') {
    throw new DataError(`${who}: column "${name}" is numeric; this transformer encodes text categories`, {
      context: { column: name }, hint: `Cast it to text first (CAST("${name}" AS VARCHAR) in SQL) if its values are category labels.`,
    });
  }
  return col;
}

export function requireColumn(frame: Frame, name: string, who: string): Column {
  if (!frame.has(name)) {
    throw new DataError(`${who}: column "${name}" is not in the data (columns: ${frame.names.join(', ')})`, { context: { column: name } });
  }
  return frame.column(name);
}

/** Number(), but undefined for text that is not a number; empty text is missing (NaN). */
function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return NaN;
  const v = Number(t);
  if (Number.isNaN(v)) return /^nan$/i.test(t) ? NaN : undefined;
  return v;
}

/** `frame` without `drop`, then `add` appended in order (a replaced column keeps no stale copy). */
export function replaceColumns(frame: Frame, drop: readonly string[], add: readonly (readonly [string, Column])[]): Frame {
  const gone = new Set(drop);
  for (const [name] of add) gone.add(name);
  const kept: [string, Column][] = frame.names.filter((n) => !gone.has(n)).map((n) => [n, frame.column(n)]);
  return new Frame([...kept, ...add.map(([n, c]) => [n, c] as [string, Column])]);
}

export function checkDistinct(names: readonly string[], who: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new DataError(`${who}: column "${n}" is listed twice`, { context: { column: n } });
    seen.add(n);
  }
}

/** Numeric column with logical type float. */
export function floatColumn(values: Float64Array): Column {
  return { kind: 'number', values, logical: 'float' };
}
