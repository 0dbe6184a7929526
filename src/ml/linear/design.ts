/**
 * The design matrix of the linear models: dense numeric columns plus categorical columns
 * that are one-hot encoded implicitly. A categorical column is its Int32Array of codes and
 * a cardinality; a code c in [0, cardinality) selects coefficient c of the column's block, and
 * a code outside that range (-1 for null, or a category unseen at training time) selects
 * nothing: it contributes zero, as an all-zero one-hot row would. No n x (p + sum of
 * cardinalities) matrix is ever built: the gradient over a block is a scatter-add by code.
 *
 * Coefficient layout (per class): the dense columns in order, then each categorical block
 * (cardinality coefficients each), in order. The intercept is kept apart.
 *
 * @example
 * const X = designMatrix({
 *   dense: { distance: new Float64Array([0.1, -1.2]) },
 *   categorical: { origin: { codes: new Int32Array([3, 0]), cardinality: 230 } },
 * });
 * // X.rows === 2; coefficientNames(schemaOf(X)) starts ['distance', 'origin=0', 'origin=1', ...]
 */
import { DataError } from '../../core/errors.ts';

export interface CategoricalColumn {
  name: string;
  /** One code per row; codes outside [0, cardinality) contribute zero. */
  codes: Int32Array;
  /** Number of categories (size of the one-hot block). */
  cardinality: number;
}

export interface DesignMatrix {
  rows: number;
  dense: (Float64Array | Float32Array)[];
  denseNames: string[];
  categorical: CategoricalColumn[];
}

/** What a fitted model remembers about its design: names and block sizes, no data. */
export interface DesignSchema {
  denseNames: string[];
  categorical: { name: string; cardinality: number }[];
}

/**
 * Builds and validates a DesignMatrix from named columns (row count taken from the columns).
 *
 * @example
 * designMatrix({ dense: { x: new Float64Array([1, 2]) }, categorical: { c: { codes: new Int32Array([0, -1]), cardinality: 3 } } });
 */
export function designMatrix(parts: {
  dense?: Record<string, Float64Array | Float32Array>;
  categorical?: Record<string, { codes: Int32Array; cardinality: number }>;
}): DesignMatrix {
  const denseNames = Object.keys(parts.dense ?? {});
  const dense = denseNames.map((k) => parts.dense![k]!);
  const categorical = Object.entries(parts.categorical ?? {}).map(([name, c]) => ({ name, codes: c.codes, cardinality: c.cardinality }));
  const rows = dense[0]?.length ?? categorical[0]?.codes.length ?? 0;
  const X = { rows, dense, denseNames, categorical };
  validateDesign(X, 'designMatrix');
  return X;
}

/**
 * The names and block sizes of a design, without its data.
 *
 * @example
 * schemaOf(X); // { denseNames: ['distance'], categorical: [{ name: 'origin', cardinality: 230 }] }
 */
export function schemaOf(X: DesignMatrix): DesignSchema {
  return { denseNames: [...X.denseNames], categorical: X.categorical.map((c) => ({ name: c.name, cardinality: c.cardinality })) };
}

/**
 * Number of coefficients per class (intercept excluded).
 *
 * @example
 * coefficientCount({ denseNames: ['a', 'b'], categorical: [{ name: 'c', cardinality: 230 }] }); // 232
 */
export function coefficientCount(schema: DesignSchema): number {
  let d = schema.denseNames.length;
  for (const c of schema.categorical) d += c.cardinality;
  return d;
}

/** Start of each categorical block in the coefficient vector. */
export function blockOffsets(schema: DesignSchema): number[] {
  const out: number[] = [];
  let off = schema.denseNames.length;
  for (const c of schema.categorical) { out.push(off); off += c.cardinality; }
  return out;
}

/**
 * A name per coefficient: dense names, then `column=code` for each category.
 *
 * @example
 * coefficientNames({ denseNames: ['a'], categorical: [{ name: 'c', cardinality: 2 }] }); // ['a', 'c=0', 'c=1']
 */
export function coefficientNames(schema: DesignSchema): string[] {
  const names = [...schema.denseNames];
  for (const c of schema.categorical) for (let k = 0; k < c.cardinality; k++) names.push(`${c.name}=${k}`);
  return names;
}

/**
 * Checks shapes and values: every column has `rows` entries, names are unique, cardinalities
 * are positive integers, dense values are finite (the linear models have no missing-value
 * handling: impute first). `where` names the caller in messages.
 *
 * @example
 * validateDesign(X, 'scoreFlights'); // throws DataError: "scoreFlights: dense column 'x' is NaN at row 4; ..."
 */
export function validateDesign(X: DesignMatrix, where: string): void {
  if (!Number.isInteger(X.rows) || X.rows < 0) {
    throw new DataError(`${where}: rows is ${X.rows}; it must be a non-negative integer`, { hint: 'Set rows to the number of rows of the columns.' });
  }
  if (X.dense.length !== X.denseNames.length) {
    throw new DataError(`${where}: ${X.dense.length} dense columns but ${X.denseNames.length} dense names`, { hint: 'Give exactly one name per dense column.' });
  }
  const seen = new Set<string>();
  const names = [...X.denseNames, ...X.categorical.map((c) => c.name)];
  for (const name of names) {
    if (seen.has(name)) throw new DataError(`${where}: column '${name}' appears twice in the design`, { hint: 'Rename or drop one of the columns.', context: { column: name } });
    seen.add(name);
  }
  for (let j = 0; j < X.dense.length; j++) {
    const col = X.dense[j]!;
    const name = X.denseNames[j]!;
    if (col.length !== X.rows) {
      throw new DataError(`${where}: dense column '${name}' has ${col.length} values but the design has ${X.rows} rows`, { hint: 'Build every column from the same rows.', context: { column: name } });
    }
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      if (v - v !== 0) {
        throw new DataError(`${where}: dense column '${name}' is ${v} at row ${i}; linear models need finite values`, {
          hint: 'Impute missing values (or drop the rows) before fitting or predicting.',
          context: { column: name, row: i },
        });
      }
    }
  }
  for (const c of X.categorical) {
    if (!Number.isInteger(c.cardinality) || c.cardinality < 1) {
      throw new DataError(`${where}: categorical column '${c.name}' has cardinality ${c.cardinality}; it must be a positive integer`, { hint: 'Pass the dictionary size of the column.', context: { column: c.name } });
    }
    if (c.codes.length !== X.rows) {
      throw new DataError(`${where}: categorical column '${c.name}' has ${c.codes.length} codes but the design has ${X.rows} rows`, { hint: 'Build every column from the same rows.', context: { column: c.name } });
    }
  }
}

/**
 * Checks that X has the columns a model was fitted on (same names, same order). A
 * categorical column may have a different cardinality now: codes at or beyond the fitted
 * cardinality are unseen categories and contribute zero.
 */
export function checkSchema(X: DesignMatrix, schema: DesignSchema, where: string): void {
  validateDesign(X, where);
  const want = schema.denseNames;
  if (X.denseNames.length !== want.length || X.denseNames.some((n, j) => n !== want[j])) {
    throw new DataError(`${where}: dense columns are [${X.denseNames.join(', ')}] but the model was fitted on [${want.join(', ')}]`, {
      hint: 'Build the design with the same feature pipeline as at training time.',
    });
  }
  const wantCat = schema.categorical.map((c) => c.name);
  const got = X.categorical.map((c) => c.name);
  if (got.length !== wantCat.length || got.some((n, j) => n !== wantCat[j])) {
    throw new DataError(`${where}: categorical columns are [${got.join(', ')}] but the model was fitted on [${wantCat.join(', ')}]`, {
      hint: 'Build the design with the same feature pipeline as at training time.',
    });
  }
}

/**
 * Adds X·coef to `out` for one class (coef laid out as coefficientNames). Unknown codes add nothing.
 * Column-at-a-time: each pass streams one column, the output stays in cache in blocks.
 */
export function addLinearPredictor(X: DesignMatrix, schema: DesignSchema, coef: Float64Array, coefOffset: number, out: Float64Array, outStride: number, outOffset: number): void {
  const n = X.rows;
  for (let j = 0; j < X.dense.length; j++) {
    const w = coef[coefOffset + j]!;
    if (w === 0) continue;
    const col = X.dense[j]!;
    for (let i = 0; i < n; i++) out[i * outStride + outOffset]! += w * col[i]!;
  }
  const offsets = blockOffsets(schema);
  for (let b = 0; b < X.categorical.length; b++) {
    const codes = X.categorical[b]!.codes;
    const card = schema.categorical[b]!.cardinality;
    const base = coefOffset + offsets[b]!;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c >= 0 && c < card) out[i * outStride + outOffset]! += coef[base + c]!;
    }
  }
}
