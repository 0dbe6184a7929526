/**
 * Training glue: checks the spec and the declared column roles, codes the label (inferring the task
 * only where the label leaves no doubt), fits the feature pipeline on the training rows only, then the
 * estimator on the transformed rows, and packs both (with the input signature and the class names)
 * into one model package.
 *
 * Column roles mean the same in every family: a `numeric` column is a measurement (a text column
 * listed there is an error), a `categorical` column names categories, whether it holds text or
 * integer codes: both go through the category encoder, so linear models one-hot them and trees split
 * on them as sets.
 *
 * @example
 * const model = await trainModel(train, { label: 'late', task: 'binary', numeric: ['distance'], categorical: ['origin'],
 *   estimator: { type: 'logistic-regression', C: 1 }, log: ctx.log });
 * const p = model.predict(test);
 * await ctx.models.register('delay', model.toPackage({ metrics: model.evaluate(test) }));
 */
import { DataError } from '../core/errors.ts';
import { FeaturePipeline, fitCategoryEncoder, fitStandardScaler, fitTransformFeaturePipeline, type FittedTransformer, type PipelineStep } from '../features/index.ts';
import type { Frame } from '../frame/frame.ts';
import { checkSpec, fitEstimator, wantsScaling, type ClassLabel, type EstimatorSpec, type FitOptions, type Task } from './estimators.ts';
import { checkTrainingFeatures } from './input.ts';
import { codeLabels, encodeLabel } from './labels.ts';
import { Predictor } from './predictor.ts';

export { Predictor, loadPredictor, scoreDataset, type ScoreOptions } from './predictor.ts';

export interface TrainOptions {
  label: string;
  /** Measurement columns (numbers). */
  numeric?: readonly string[];
  /** Category columns: text, or numbers that are integer codes (zip codes, ids, enum values). */
  categorical?: readonly string[];
  /** The estimator and its options, e.g. `{ type: 'gbdt', numTrees: 200 }`; checked before any work. */
  estimator: EstimatorSpec;
  /**
   * 'binary', 'multiclass' or 'regression'. Inferred only where certain: a text or boolean label is
   * classification, numbers with a fractional part regression; whole numbers (0/1, class codes,
   * counts) need it said.
   */
  task?: Task;
  /** Classification: the classes in code order (the positive class of a binary task last); each needs training rows. Default: sorted. */
  classes?: readonly ClassLabel[];
  /** Held-out rows for early stopping (gbdt's earlyStoppingRounds): transformed by the fitted features, labels coded the same. */
  validation?: Frame;
  /** Non-negative weight per training row. */
  sampleWeight?: Float64Array;
  /** Categories seen fewer times in training become "unknown". */
  minCategoryFrequency?: number;
  /** Standard-scale numeric columns; default true for linear estimators. */
  scale?: boolean;
  /**
   * A feature pipeline of your own (fitted on the training rows only), instead of the default
   * scaling and category encoding. The model's inputs are then the columns its steps read.
   */
  features?: readonly PipelineStep[];
  onProgress?: (done: number, total: number) => void;
  /** Where the fit's warnings go (e.g. `log: ctx.log` in a step); they are also on the model and in its package. */
  log?: (message: string) => void;
  /** Aborts a long fit (families that support it stop between iterations or trees). */
  signal?: AbortSignal;
}

function roleError(message: string, column: string, row: number | undefined, value: string | undefined, hint: string): DataError {
  return new DataError(message, { code: 'BAD_ROLE', context: { column, ...(row !== undefined ? { row } : {}), ...(value !== undefined ? { value } : {}) }, hint });
}

/** The declared roles against the data: every column a role names exists and fits it. */
function checkRoles(frame: Frame, label: string, numeric: readonly string[], categorical: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const [role, names] of [['numeric', numeric], ['categorical', categorical]] as const) {
    for (const name of names) {
      const before = seen.get(name);
      if (before !== undefined) {
        throw roleError(`Column "${name}" is declared ${before === role ? `${role} twice` : `both ${before} and ${role}`}`, name, undefined, undefined, 'Give each feature column one role: numeric for measurements, categorical for categories.');
      }
      seen.set(name, role);
      if (name === label) throw roleError(`The label "${label}" is also declared a ${role} feature`, name, undefined, undefined, `Remove "${label}" from ${role}: a model must not read its own label.`);
      if (!frame.has(name)) throw new DataError(`Feature column "${name}" is not in the training data (columns: ${frame.names.join(', ')})`, { context: { column: name } });
    }
  }
  for (const name of numeric) {
    const col = frame.column(name);
    if (col.kind === 'number') continue;
    // A text column declared numeric: name the first value that is not a number (or the first value).
    let row = -1;
    for (let i = 0; i < col.codes.length; i++) {
      const c = col.codes[i]!;
      if (c < 0) continue;
      if (row < 0) row = i;
      if (!Number.isFinite(Number(col.dictionary[c]!.trim()))) { row = i; break; }
    }
    const value = row >= 0 ? col.dictionary[col.codes[row]!]! : undefined;
    throw roleError(
      `Column "${name}" is declared numeric but holds text${value !== undefined ? ` (${JSON.stringify(value)} at row ${row})` : ''}`,
      name, row >= 0 ? row : undefined, value,
      `If its values are categories, list "${name}" under categorical instead; if they are numbers stored as text, cast it in the query (TRY_CAST("${name}" AS DOUBLE)).`,
    );
  }
}

export async function trainModel(frame: Frame, options: TrainOptions): Promise<Predictor> {
  checkSpec(options.estimator);
  const numeric = options.numeric ?? [];
  const categorical = options.categorical ?? [];
  const inputs = options.features && numeric.length + categorical.length === 0
    ? [...new Set(options.features.flatMap((s) => s.columns))]
    : [...numeric, ...categorical];
  if (inputs.length === 0) throw new DataError('trainModel needs at least one feature column (numeric, categorical, or a features pipeline)');
  if (frame.numRows === 0) throw new DataError('trainModel got no training rows', { hint: 'Check the query or filter that produced the training rows.' });
  checkRoles(frame, options.label, numeric, categorical);
  for (const name of inputs) {
    if (!frame.has(name)) throw new DataError(`Feature column "${name}" is not in the training data (columns: ${frame.names.join(', ')})`, { context: { column: name } });
  }
  // The shared input check on the raw columns, before any scaler or encoder sees them.
  checkTrainingFeatures(frame, inputs, 'trainModel');
  const label = encodeLabel(frame, options.label, { ...(options.task !== undefined ? { task: options.task } : {}), ...(options.classes ? { classes: options.classes } : {}) });
  const spec = options.estimator as EstimatorSpec & { numClasses?: number };
  if (label.task === 'multiclass' && spec.numClasses !== undefined && spec.numClasses !== label.classes!.length) {
    throw new DataError(`${spec.type} option numClasses is ${spec.numClasses}, but label "${options.label}" has ${label.classes!.length} classes in the training rows (${label.classes!.join(', ')})`, {
      code: 'ABSENT_CLASS', context: { option: 'numClasses' },
      hint: spec.numClasses > label.classes!.length
        ? 'A class without training rows cannot be learned: lower numClasses (or leave it out), or train on rows that include every class.'
        : 'Leave numClasses out: trainModel counts the classes of the label.',
    });
  }
  let features: FeaturePipeline;
  let x: Frame;
  options.onProgress?.(0, 2);
  if (options.features) {
    // Fitted on the training rows only; steps that need it (target encoding) fit out of fold.
    const fitted = fitTransformFeaturePipeline(frame.select(inputs), options.features);
    features = fitted.transformer;
    x = fitted.output;
  } else {
    const steps: FittedTransformer[] = [];
    x = frame.select(inputs);
    if (numeric.length > 0 && (options.scale ?? wantsScaling(options.estimator))) {
      const scaler = fitStandardScaler(x, numeric);
      steps.push(scaler);
      x = scaler.transform(x);
    }
    if (categorical.length > 0) {
      // Text and numeric-code categories alike: every family then sees the same categories.
      const encoder = fitCategoryEncoder(x, categorical, { minFrequency: options.minCategoryFrequency ?? 1 });
      steps.push(encoder);
      x = encoder.transform(x);
    }
    features = new FeaturePipeline(steps, inputs);
  }
  options.onProgress?.(1, 2);
  const fit: FitOptions = {
    task: label.task,
    categorical: categorical.filter((c) => x.has(c)),
    ...(label.task === 'multiclass' ? { numClasses: label.classes!.length } : {}),
    ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (options.validation) {
    const v = options.validation;
    for (const name of inputs) if (!v.has(name)) throw new DataError(`The validation rows lack feature column "${name}"`, { context: { column: name } });
    const vy = label.classes ? codeLabels(v.column(options.label), options.label, label.classes) : encodeLabel(v, options.label, { task: 'regression' }).y;
    fit.validation = { frame: features.transform(v), y: vy };
  }
  const estimator = await fitEstimator(x, label.y, options.estimator, fit);
  options.onProgress?.(2, 2);
  const warnings = estimator.warnings ?? [];
  for (const w of warnings) options.log?.(`warning: ${w}`);
  const signature = inputs.map((name) => ({ name, type: frame.column(name).kind }));
  return new Predictor(features, estimator, signature, options.label, { classes: label.classes, warnings });
}
