/**
 * The estimator contract shared by every model family (linear, gbdt, forest, calibrated): fit on a
 * Frame of transformed features and labels, predict a Float64Array, serialize to JSON. A family
 * registers itself once (`registerEstimator`) with its type name, the tasks it learns, its options
 * (checked at run time, with a "did you mean" hint) and its fitter and loader; it declares the same
 * options to the compiler by adding to `EstimatorSpecs`, so `EstimatorSpec` is a discriminated union
 * and a misspelled option in a pipeline file does not compile. Every fit goes through `fitEstimator`,
 * which checks the spec, the task and the input (input.ts) the same way for every family.
 *
 * @example
 * // In a family's registration module:
 * declare module '../estimator.ts' { interface EstimatorSpecs { 'my-model': { depth?: number } } }
 * registerEstimator({ type: 'my-model', tasks: ['regression'], options: { depth: { kind: 'integer' } },
 *   fit: (frame, y, spec, o) => ..., load: (state) => ..., example: { depth: 2 } });
 */
import { CancelledError, SluiceError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkFitInput } from './input.ts';
import { checkOptions, didYouMean, type OptionRules, type Renamed } from './spec.ts';

export type Task = 'binary' | 'regression' | 'multiclass';

/** A class as the label column holds it: text, a number or a boolean. */
export type ClassLabel = string | number | boolean;

export interface Estimator {
  readonly type: string;
  readonly task: Task;
  /**
   * Binary: P(class 1) per row; regression: the prediction; multiclass: row-major n x numClasses
   * probabilities. Classes are the codes 0..K-1 of the labels given to fit.
   */
  predict(frame: Frame): Float64Array;
  /** As predict, possibly on worker threads (families that have such a path; Predictor.predictAsync falls back to predict). */
  predictAsync?(frame: Frame, options?: PredictAsyncOptions): Promise<Float64Array>;
  toJSON(): Json;
  /** What the user must hear about this fit (e.g. a solver stopped unconverged): logged and kept in the model package. */
  readonly warnings?: readonly string[];
}

export interface PredictAsyncOptions {
  /** Threads, this one included (default: the family's choice by batch size). */
  threads?: number;
  signal?: AbortSignal;
}

export interface FitOptions {
  task: Task;
  /** Columns to treat as categories: text columns always are; numeric ones named here hold integer codes >= 0. */
  categorical: readonly string[];
  /** Classification: the classes are 0..numClasses-1 (default: the largest label + 1); each needs training rows. */
  numClasses?: number;
  sampleWeight?: Float64Array;
  /** Held-out rows (features transformed as the training rows, labels coded the same) for early stopping. */
  validation?: { frame: Frame; y: Float64Array };
  onProgress?: (done: number, total: number) => void;
  /** Aborts a long fit (families that support it stop between iterations or trees). */
  signal?: AbortSignal;
}

/**
 * The options of every registered family, by type name. Families add their entry by module
 * augmentation (`declare module '../estimator.ts' { interface EstimatorSpecs { ... } }`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EstimatorSpecs {}

/** `{ type: 'gbdt', numTrees: 200 }`: one member per family, discriminated by `type`. */
export type EstimatorSpec = { [K in keyof EstimatorSpecs]: { type: K } & EstimatorSpecs[K] }[keyof EstimatorSpecs];

export type EstimatorType = keyof EstimatorSpecs & string;

export interface EstimatorFamily<K extends EstimatorType = EstimatorType> {
  type: K;
  /** Tasks it learns; others are refused before any work, with a hint. */
  tasks: readonly Task[];
  /** Its options, checked at run time (type and spelling; ranges are the family's to check). */
  options: OptionRules;
  /** Old option names and their new ones: using one is an error that gives the new name. */
  renamed?: Renamed;
  /** trainModel's default features standard-scale numeric inputs for it (the linear models). */
  scaled?: boolean | ((spec: { type: K } & EstimatorSpecs[K]) => boolean);
  fit(frame: Frame, y: Float64Array, spec: { type: K } & EstimatorSpecs[K], options: FitOptions): Estimator | Promise<Estimator>;
  load(state: Json): Estimator;
  /** Fast options for the conformance suite (test/ml/estimator.conformance.test.ts): a small, seeded model. */
  example: EstimatorSpecs[K];
}

const families = new Map<string, EstimatorFamily>();

/** Registers (or replaces) a family; its type becomes usable in specs and model packages. */
export function registerEstimator<K extends EstimatorType>(family: EstimatorFamily<K>): void {
  families.set(family.type, family as unknown as EstimatorFamily);
}

/** The registered families, in registration order. */
export function registeredEstimators(): readonly EstimatorFamily[] {
  return [...families.values()];
}

function unknownType(type: unknown, where: string): SluiceError {
  const known = [...families.keys()];
  const guess = typeof type === 'string' ? didYouMean(type, known) : undefined;
  return new SluiceError(`Unknown estimator type ${JSON.stringify(type)}${where}`, {
    code: 'BAD_ESTIMATOR', hint: `${guess ? `Did you mean "${guess}"? ` : ''}Known types: ${known.join(', ')}.`,
  });
}

/** The family of a spec's type; an unknown type is an error listing the known ones. */
export function estimatorFamily(type: string): EstimatorFamily {
  const family = families.get(type);
  if (!family) throw unknownType(type, '');
  return family;
}

/**
 * Checks a spec as the compiler would: a known type, known option names (with a "did you mean"),
 * values of the right type; nested specs (a calibrated estimator's base) too.
 */
export function checkSpec(spec: unknown): asserts spec is EstimatorSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new SluiceError(`An estimator spec must be an object such as { type: 'gbdt' }, got ${JSON.stringify(spec)}`, { code: 'BAD_ESTIMATOR' });
  }
  const { type, ...options } = spec as Record<string, unknown>;
  if (typeof type !== 'string' || !families.has(type)) throw unknownType(type, '');
  const family = families.get(type)!;
  for (const nested of checkOptions(type, options, family.options, family.renamed)) checkSpec(nested);
}

/** Whether trainModel's default features scale numeric inputs for this spec. */
export function wantsScaling(spec: EstimatorSpec): boolean {
  const s = estimatorFamily(spec.type).scaled;
  return typeof s === 'function' ? s(spec as never) : s === true;
}

/**
 * Fits the family named by `spec.type`, after the checks every family shares: the spec, the task
 * (a regressor is not asked to classify), and the input (checkFitInput: labels, classes, infinite
 * and all-missing features, categorical codes, sample weights).
 */
export async function fitEstimator(frame: Frame, y: Float64Array, spec: EstimatorSpec, options: FitOptions): Promise<Estimator> {
  checkSpec(spec);
  const family = estimatorFamily(spec.type);
  if (!family.tasks.includes(options.task)) {
    const able = registeredEstimators().filter((f) => f.tasks.includes(options.task)).map((f) => f.type);
    throw new SluiceError(`${spec.type} does not learn ${options.task === 'regression' ? 'regression' : `${options.task} classification`} (it learns ${family.tasks.join(', ')})`, {
      code: 'BAD_ESTIMATOR', context: { estimator: spec.type, task: options.task },
      hint: `For task '${options.task}' use one of: ${able.join(', ')}; or set task to one ${spec.type} learns if the label was meant so.`,
    });
  }
  const numClasses = checkFitInput(frame, y, options, spec.type);
  const withClasses = options.task === 'multiclass' ? { ...options, numClasses } : options;
  if (options.signal?.aborted) throw new CancelledError(`The ${spec.type} fit was cancelled before it started`, { cause: options.signal.reason });
  const estimator = await family.fit(frame, y, spec, withClasses);
  // A family that does not stop mid-fit still does not hand back a model nobody wants any more.
  if (options.signal?.aborted) throw new CancelledError(`The ${spec.type} fit was cancelled`, { cause: options.signal.reason });
  return estimator;
}

export function loadEstimator(spec: { type: string; state: Json }): Estimator {
  const family = families.get(spec.type);
  if (!family) throw unknownType(spec.type, ' in model package');
  return family.load(spec.state);
}
