/**
 * The feature part of an ONNX export: one graph input per signature column (numbers as double
 * [N,1], text as string [N,1]) and the model's fitted feature pipeline rebuilt in the graph.
 *
 * - standard-scaler, robust-scaler: (x - center) / scale in double, the same arithmetic as Sluice,
 *   so a scaled value is bit for bit what the estimator saw.
 * - imputer (numeric fills): Where(IsNaN(x), fill, x), and its 0/1 missing indicators.
 * - category-encoder: not a node of its own. A category column stays its raw input until an
 *   estimator asks for what it needs of it (`categoryLookup`): gbdt and forest their bin index, a
 *   linear model the row of its coefficient table. The encoder's vocabulary and the estimator's map
 *   compose into one ai.onnx.ml LabelEncoder from the raw value, whose default (for a category never
 *   seen in training, or a missing one) is what Sluice gives both: the missing bin, or no
 *   coefficient.
 *
 * Text cannot be null in an ONNX string tensor: a missing text value is fed as any string outside
 * the model's vocabulary (the empty string, unless training saw it as a category), which every
 * family treats as Sluice treats a missing one. Missing numbers are NaN.
 *
 * - feature-pipeline and column-transformer: followed step by step and part by part (names as the
 *   transformer gives them).
 *
 * Any other transformer (one-hot, ordinal and target encoders, date parts, hashing, binning, text
 * imputation) is refused with an error naming it (see unsupported()): apply it in the scoring query
 * instead, or train with the default features.
 */
import { SluiceError } from '../../core/errors.ts';
import { CategoryEncoder, ColumnTransformer, FeaturePipeline, Imputer, indicatorName, RobustScaler, StandardScaler, type FittedTransformer } from '../../features/index.ts';
import type { Signature } from '../predictor.ts';
import { ML_DOMAIN, tensor, type GraphBuilder } from './graph.ts';

/** A numeric feature as the estimator sees it: a double [N,1] value, NaN when missing. */
export interface NumericFeature {
  readonly kind: 'numeric';
  readonly name: string;
  readonly value: string;
  /** Whether the value is the raw input (unscaled): only then can it also be read as category codes. */
  readonly raw: boolean;
}

/** A category feature: the raw input (text, or numbers that are category codes) and its vocabulary. */
export interface CategoryFeature {
  readonly kind: 'category';
  readonly name: string;
  readonly input: string;
  readonly inputType: 'string' | 'double';
  /**
   * The category encoder's vocabulary (the estimator's codes index it), or null when no encoder
   * stands in front (the estimator then knows the categories by their raw value).
   */
  readonly vocabulary: readonly string[] | null;
}

export type ExportFeature = NumericFeature | CategoryFeature;

export function unsupported(what: string, why: string, hint: string): SluiceError {
  return new SluiceError(`ONNX export: ${what} cannot be exported: ${why}`, { code: 'EXPORT_UNSUPPORTED', context: { feature: what }, hint });
}

const SUPPORTED_STEPS = 'standard-scaler and category-encoder (what trainModel fits by default), robust-scaler, imputer on numeric columns, feature pipelines and column transformers of these';

/**
 * Adds the graph inputs of `signature` and the pipeline's steps; returns each output column of the
 * pipeline (the estimator's input columns) by name.
 */
export function buildFeatures(g: GraphBuilder, signature: readonly Signature[], pipeline: FeaturePipeline): Map<string, ExportFeature> {
  const cols = new Map<string, ExportFeature>();
  for (const { name, type } of signature) {
    if (type === 'number') cols.set(name, { kind: 'numeric', name, value: g.input(name, 'double', [null, 1]), raw: true });
    else if (type === 'string') cols.set(name, { kind: 'category', name, input: g.input(name, 'string', [null, 1]), inputType: 'string', vocabulary: null });
    else throw unsupported(`input column "${name}"`, `its type is ${type}`, 'Export models whose inputs are numeric or text columns.');
  }
  return apply(g, pipeline, cols);
}

function need(cols: ReadonlyMap<string, ExportFeature>, name: string, who: string): ExportFeature {
  const f = cols.get(name);
  if (!f) throw unsupported(`${who} column "${name}"`, 'the column is neither a model input nor made by an earlier step', 'Retrain with trainModel\'s numeric and categorical roles.');
  return f;
}

/** The columns after transformer `t` (as its transform would leave a frame of `input`'s columns). */
function apply(g: GraphBuilder, t: FittedTransformer, input: ReadonlyMap<string, ExportFeature>): Map<string, ExportFeature> {
  if (t instanceof FeaturePipeline) {
    let c = new Map(input);
    for (const s of t.steps) c = apply(g, s, c);
    return new Map(t.outputs.map((o) => [o, need(c, o, 'feature pipeline output')]));
  }
  if (t instanceof ColumnTransformer) {
    // Every part reads the same columns; the output is each part's outputs, then the remainder.
    const named = (part: string, column: string): string => (t.prefixNames ? `${part}__${column}` : column);
    const out = new Map<string, ExportFeature>();
    for (const p of t.parts) {
      const c = p.transformer ? apply(g, p.transformer, input) : input;
      for (const o of p.outputs) out.set(named(p.name, o), { ...need(c, o, `column-transformer part "${p.name}"`), name: named(p.name, o) });
    }
    for (const r of t.remainder) out.set(named('remainder', r), { ...need(input, r, 'column-transformer remainder'), name: named('remainder', r) });
    return out;
  }
  const cols = new Map(input);
  const step = t;
  if (step instanceof StandardScaler || step instanceof RobustScaler) {
    const centers = step instanceof StandardScaler ? step.means : step.centers;
    step.inputs.forEach((name, j) => {
      const f = need(cols, name, step.type);
      if (f.kind !== 'numeric') throw unsupported(`${step.type} column "${name}"`, 'it scales a text column (numbers stored as text)', `Cast "${name}" to a number before training (CAST("${name}" AS DOUBLE)).`);
      // (x - center) / scale, the same two double operations as Sluice's scalers.
      const center = g.constant(`${name}_center`, 'double', [], [centers[j]!]);
      const scale = g.constant(`${name}_scale`, 'double', [], [step.scales[j]!]);
      cols.set(name, { kind: 'numeric', name, value: g.node('Div', [g.node('Sub', [f.value, center]), scale]), raw: false });
    });
  } else if (step instanceof Imputer) {
    const indicators = new Set(step.indicators);
    const made: ExportFeature[] = [];
    step.inputs.forEach((name, j) => {
      const f = need(cols, name, 'imputer');
      const fill = step.fills[j]!;
      if (fill.kind !== 'number' || f.kind !== 'numeric') {
        throw unsupported(`imputer column "${name}"`, 'it fills missing text, and an ONNX string tensor has no missing value apart from an unseen one',
          `Fill "${name}" in the scoring query (COALESCE("${name}", '...')) and train on that, or leave text missing: every family handles it.`);
      }
      const isNaN = g.node('IsNaN', [f.value]);
      cols.set(name, { kind: 'numeric', name, value: g.node('Where', [isNaN, g.constant(`${name}_fill`, 'double', [], [fill.value]), f.value]), raw: f.raw && Number.isInteger(fill.value) });
      if (indicators.has(name)) made.push({ kind: 'numeric', name: indicatorName(name), value: g.node('Cast', [isNaN], { to: { int: 11 } }), raw: false });
    });
    for (const m of made) cols.set(m.name, m);
  } else if (step instanceof CategoryEncoder) {
    step.inputs.forEach((name, j) => {
      const f = need(cols, name, 'category-encoder');
      const vocabulary = step.vocabularies[j]!;
      if (f.kind === 'category') {
        if (f.vocabulary !== null) throw unsupported(`category-encoder column "${name}"`, 'it is encoded twice', 'Encode each categorical column once.');
        cols.set(name, { ...f, vocabulary });
      } else {
        if (!f.raw) throw unsupported(`category-encoder column "${name}"`, 'it encodes a scaled column as categories', `Give "${name}" one role: numeric or categorical.`);
        cols.set(name, { kind: 'category', name, input: f.value, inputType: 'double', vocabulary });
      }
    });
  } else {
    throw unsupported(`the feature transformer "${step.type}"`, `the export rebuilds ${SUPPORTED_STEPS} in the graph, not ${step.type}`,
      `Train with trainModel's default features (numeric and categorical roles), or apply ${step.type} to the rows before they reach the model (in the scoring query) and train on its output.`);
  }
  return cols;
}

/** A numeric feature read as category codes (integer codes declared categorical, no encoder in front). */
export function asCategory(f: ExportFeature, who: string): CategoryFeature {
  if (f.kind === 'category') return f;
  if (!f.raw) throw unsupported(`${who} column "${f.name}"`, 'it is read as category codes after scaling', `Give "${f.name}" one role: numeric or categorical.`);
  return { kind: 'category', name: f.name, input: f.value, inputType: 'double', vocabulary: null };
}

/**
 * Maps a category column to the values an estimator needs, as a [N,1] tensor: `entries` give the
 * value of each category (by the name the estimator knows it by: a vocabulary entry, or the raw
 * value as text), `missing` the value of any other input (missing, unseen, or dropped as rare).
 */
export function categoryLookup(g: GraphBuilder, f: CategoryFeature, entries: readonly (readonly [string, number])[], missing: number, type: 'double' | 'int64'): string {
  const known = f.vocabulary ? new Set(f.vocabulary) : null;
  const kept = entries.filter(([k]) => known === null || known.has(k));
  if (kept.length === 0) {
    // Cannot happen for a trained model (a category column without categories fails training).
    throw unsupported(`category column "${f.name}"`, 'the model knows none of its categories', 'Retrain the model.');
  }
  const keys = f.inputType === 'string'
    ? tensor('string', [kept.length], kept.map(([k]) => k))
    : tensor('double', [kept.length], kept.map(([k]) => Number(k)));
  return g.node('LabelEncoder', [f.input], {
    keys_tensor: { tensor: keys },
    values_tensor: { tensor: tensor(type, [kept.length], kept.map(([, v]) => v)) },
    default_tensor: { tensor: tensor(type, [1], [missing]) },
  }, ML_DOMAIN);
}
