/**
 * The Frame: Sluice's in-memory columnar table, the one currency between data and ML.
 *
 * Numbers live in Float64Array (null is NaN: every estimator treats both as missing),
 * strings are dictionary-encoded (Int32Array codes into a string dictionary, -1 is null).
 * No per-value JavaScript object is ever created for a numeric column.
 *
 * @example
 * const f = Frame.from({ x: new Float64Array([1, 2]), city: stringColumn(['a', null]) });
 * f.numbers('x')[1]; // 2
 */
import { SluiceError } from '../core/errors.ts';

export type NumberLogical = 'float' | 'int' | 'bool' | 'timestamp' | 'date';

export interface NumberColumn {
  readonly kind: 'number';
  /** Values; null is NaN. Timestamps and dates are epoch milliseconds (UTC). */
  readonly values: Float64Array;
  readonly logical: NumberLogical;
}

export interface StringColumn {
  readonly kind: 'string';
  /** Index into `dictionary` for each row; -1 is null. */
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export type Column = NumberColumn | StringColumn;

export function numberColumn(values: Float64Array | readonly (number | null)[], logical: NumberLogical = 'float'): NumberColumn {
  if (values instanceof Float64Array) return { kind: 'number', values, logical };
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] ?? NaN;
  return { kind: 'number', values: out, logical };
}

/** Dictionary-encodes an array of strings (first-seen order). */
export function stringColumn(values: readonly (string | null | undefined)[]): StringColumn {
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) { codes[i] = -1; continue; }
    let code = index.get(v);
    if (code === undefined) { code = dictionary.length; index.set(v, code); dictionary.push(v); }
    codes[i] = code;
  }
  return { kind: 'string', codes, dictionary };
}

function columnLength(c: Column): number {
  return c.kind === 'number' ? c.values.length : c.codes.length;
}

export class Frame {
  readonly names: readonly string[];
  readonly numRows: number;
  readonly #columns: ReadonlyMap<string, Column>;

  constructor(columns: ReadonlyMap<string, Column> | Iterable<[string, Column]>) {
    const map = new Map(columns);
    let rows = -1;
    for (const [name, col] of map) {
      const n = columnLength(col);
      if (rows === -1) rows = n;
      else if (n !== rows) {
        throw new SluiceError(`Frame column "${name}" has ${n} rows but the others have ${rows}`, { code: 'FRAME_SHAPE' });
      }
    }
    this.#columns = map;
    this.names = [...map.keys()];
    this.numRows = Math.max(rows, 0);
  }

  static from(columns: Record<string, Column | Float64Array>): Frame {
    return new Frame(Object.entries(columns).map(([k, v]) => [k, v instanceof Float64Array ? numberColumn(v) : v] as [string, Column]));
  }

  get numColumns(): number { return this.names.length; }

  has(name: string): boolean { return this.#columns.has(name); }

  column(name: string): Column {
    const c = this.#columns.get(name);
    if (!c) throw new SluiceError(`Frame has no column "${name}" (columns: ${this.names.join(', ')})`, { code: 'MISSING_COLUMN' });
    return c;
  }

  /** The Float64Array of a numeric column; a clear error if it is a string column. */
  numbers(name: string): Float64Array {
    const c = this.column(name);
    if (c.kind !== 'number') throw new SluiceError(`Column "${name}" is a string column; a numeric column was expected`, { code: 'WRONG_TYPE' });
    return c.values;
  }

  strings(name: string): StringColumn {
    const c = this.column(name);
    if (c.kind !== 'string') throw new SluiceError(`Column "${name}" is numeric; a string column was expected`, { code: 'WRONG_TYPE' });
    return c;
  }

  select(names: readonly string[]): Frame {
    return new Frame(names.map((n) => [n, this.column(n)] as [string, Column]));
  }

  withColumn(name: string, column: Column): Frame {
    const m = new Map(this.#columns);
    m.set(name, column);
    return new Frame(m);
  }

  /** Rows at the given indices, in that order (a copy). */
  take(indices: Int32Array | Uint32Array | readonly number[]): Frame {
    const n = indices.length;
    return new Frame([...this.#columns].map(([name, c]) => {
      if (c.kind === 'number') {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = c.values[indices[i]!]!;
        return [name, { kind: 'number', values: out, logical: c.logical }] as [string, Column];
      }
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.codes[indices[i]!]!;
      return [name, { kind: 'string', codes, dictionary: c.dictionary }] as [string, Column];
    }));
  }

  /** Rows where mask is non-zero. */
  filter(mask: Uint8Array): Frame {
    if (mask.length !== this.numRows) throw new SluiceError(`filter mask has ${mask.length} entries for ${this.numRows} rows`, { code: 'FRAME_SHAPE' });
    let n = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
    const idx = new Int32Array(n);
    for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) idx[j++] = i;
    return this.take(idx);
  }

  /** The value at (row, column) as a plain JS value: for display and tests, not hot loops. */
  get(row: number, name: string): number | string | null {
    const c = this.column(name);
    if (c.kind === 'number') { const v = c.values[row]!; return Number.isNaN(v) ? null : v; }
    const code = c.codes[row]!;
    return code < 0 ? null : c.dictionary[code]!;
  }

  /** The first rows as plain objects: for display and tests. */
  head(n = 5): Record<string, number | string | null>[] {
    const out: Record<string, number | string | null>[] = [];
    for (let r = 0; r < Math.min(n, this.numRows); r++) {
      const row: Record<string, number | string | null> = {};
      for (const name of this.names) row[name] = this.get(r, name);
      out.push(row);
    }
    return out;
  }
}
