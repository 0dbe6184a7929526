/**
 * Linear models (logistic regression, ridge, elastic net) to ONNX with standard operators in double:
 *
 *   z = MatMul(dense [N,D], W [D,R]) + sum over categorical columns of Gather(table [C+1,R], code) + b
 *
 * Dense columns are the scaled numeric features with NaN replaced by 0 (the training mean once
 * scaled, as Sluice's design does). A categorical column's implicit one-hot block is its rows of the
 * coefficient table, picked by the category's code (a LabelEncoder from the raw value); a missing or
 * unseen category takes the extra zero row C, contributing nothing, as in Sluice. R is 1 (binary,
 * regression) or K (multinomial). Then Sigmoid ([1 - p, p]), Softmax, or nothing for regression.
 * The ai.onnx.ml LinearClassifier/LinearRegressor are not used: they compute in float.
 */
import { coefficientCount, blockOffsets, type DesignSchema } from '../linear/design.ts';
import { categoryLookup, asCategory, unsupported, type ExportFeature } from './features.ts';
import type { GraphBuilder } from './graph.ts';
import { twoClass } from './trees.ts';

export interface LinearExport {
  schema: DesignSchema;
  /** R rows of coefficientCount(schema) coefficients, row-major. */
  coef: Float64Array;
  /** R intercepts. */
  intercept: Float64Array;
  /** Categorical columns and their one-hot widths, as the estimator's layout. */
  cardinalities: Readonly<Record<string, number>>;
  numericCategorical: readonly string[];
  /** 'logistic': probabilities; 'regression': values. */
  kind: 'logistic' | 'regression';
}

/** Returns the output value: [N,2] or [N,K] probabilities, or [N,1] values. */
export function exportLinear(g: GraphBuilder, m: LinearExport, features: ReadonlyMap<string, ExportFeature>, who: string): string {
  const R = m.intercept.length;
  const D = coefficientCount(m.schema);
  const feature = (name: string): ExportFeature => {
    const f = features.get(name);
    if (!f) throw unsupported(`${who} feature "${name}"`, 'no model input or transformer makes it', 'Export a model trained with trainModel.');
    return f;
  };
  const terms: string[] = [];
  const dense = m.schema.denseNames;
  if (dense.length > 0) {
    const zero = g.constant('zero', 'double', [], [0]);
    const cols = dense.map((name) => {
      const f = feature(name);
      if (f.kind !== 'numeric') throw unsupported(`${who} feature "${name}"`, 'the model reads it as a number but the pipeline makes categories', 'Retrain the model.');
      return g.node('Where', [g.node('IsNaN', [f.value]), zero, f.value]);
    });
    const x = cols.length === 1 ? cols[0]! : g.node('Concat', cols, { axis: { int: 1 } });
    const w = new Float64Array(dense.length * R);
    for (let j = 0; j < dense.length; j++) for (let k = 0; k < R; k++) w[j * R + k] = m.coef[k * D + j]!;
    terms.push(g.node('MatMul', [x, g.constant('weights', 'double', [dense.length, R], w)]));
  }
  const offsets = blockOffsets(m.schema);
  const flat = g.constant('flat', 'int64', [1], [-1]);
  m.schema.categorical.forEach(({ name, cardinality: C }, b) => {
    const f = asCategory(feature(name), who);
    let entries: [string, number][];
    if (m.numericCategorical.includes(name)) {
      // Numeric codes 0..C-1 select themselves.
      entries = Array.from({ length: C }, (_, c) => [String(c), c]);
    } else {
      if (!f.vocabulary) throw unsupported(`${who} feature "${name}"`, 'its category codes index a vocabulary the model package does not hold (no category encoder in front)', 'Train with trainModel, which encodes categorical columns.');
      entries = f.vocabulary.slice(0, C).map((v, c) => [v, c]);
    }
    const table = new Float64Array((C + 1) * R);
    for (let c = 0; c < C; c++) for (let k = 0; k < R; k++) table[c * R + k] = m.coef[k * D + offsets[b]! + c]!;
    const code = g.node('Reshape', [categoryLookup(g, f, entries, C, 'int64'), flat]);
    terms.push(g.node('Gather', [g.constant(`${name}_coef`, 'double', [C + 1, R], table), code], { axis: { int: 0 } }));
  });
  let z = g.constant('intercept', 'double', [1, R], m.intercept);
  for (const t of terms) z = g.node('Add', [t, z]);
  if (terms.length === 0) throw unsupported(`the ${who} model`, 'it has no features', 'Retrain with at least one feature.');
  if (m.kind === 'regression') return z;
  return R === 1 ? twoClass(g, g.node('Sigmoid', [z])) : g.node('Softmax', [z], { axis: { int: 1 } });
}
