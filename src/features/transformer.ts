/**
 * Fitted feature transformers: each is fitted on training rows only (no leakage), transforms any Frame
 * with the same columns, and serializes to JSON for the model package.
 *
 * A *fit function* (`TransformerFit`) is what composition takes: given the training Frame and the
 * columns to work on, it returns the fitted transformer, or the transformer together with the
 * transformed training rows when those differ from `transform(train)` (out-of-fold target encoding).
 *
 * @example
 * const fit: TransformerFit = (frame, columns) => fitImputer(frame, columns, { strategy: 'median' });
 * const { transformer, output } = fitTransform(fit, train, ['age']);
 */
import { SluiceError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';

export interface FittedTransformer {
  readonly type: string;
  /** Input columns it reads. */
  readonly inputs: readonly string[];
  /**
   * Columns it writes, in order. Absent on transformers that rewrite their inputs in place (the
   * outputs are then the inputs); see `transformerOutputs`.
   */
  readonly outputs?: readonly string[];
  transform(frame: Frame): Frame;
  toJSON(): { type: string; state: Json };
}

/** A fitted transformer with the transformed training rows it produced while fitting. */
export interface Fitted<T extends FittedTransformer = FittedTransformer> {
  transformer: T;
  /** The training rows transformed as the next step must see them (out of fold where that matters). */
  output: Frame;
}

/** Fits a transformer on `frame` for `columns`. Plain `fitX` functions with default options fit this shape. */
export type TransformerFit = (frame: Frame, columns: readonly string[]) => FittedTransformer | Fitted;

type Loader = (state: Json) => FittedTransformer;
const loaders = new Map<string, Loader>();

/** Makes a transformer type loadable from a model package. */
export function registerTransformer(type: string, loader: Loader): void {
  loaders.set(type, loader);
}

export function loadTransformer(spec: { type: string; state: Json }): FittedTransformer {
  const loader = loaders.get(spec.type);
  if (!loader) throw new SluiceError(`Unknown transformer type "${spec.type}" in model package`, { code: 'BAD_MODEL', hint: `Known types: ${[...loaders.keys()].join(', ')}.` });
  return loader(spec.state);
}

/** The columns a fitted transformer writes (its inputs when it rewrites them in place). */
export function transformerOutputs(t: FittedTransformer): readonly string[] {
  return t.outputs ?? t.inputs;
}

export function isFitted(r: FittedTransformer | Fitted): r is Fitted {
  return 'transformer' in r && 'output' in r;
}

/** Runs a fit function and returns the transformer with the training rows as the next step sees them. */
export function fitTransform(fit: TransformerFit, frame: Frame, columns: readonly string[]): Fitted {
  const r = fit(frame, columns);
  return isFitted(r) ? r : { transformer: r, output: r.transform(frame) };
}

/** NaN and infinities survive JSON as strings ("NaN", "Infinity", "-Infinity"). */
export function numberToJson(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export function numberFromJson(x: Json): number {
  if (typeof x === 'number') return x;
  if (x === 'NaN' || x === null) return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  throw new SluiceError(`A transformer state holds ${JSON.stringify(x)} where a number was expected`, { code: 'BAD_MODEL' });
}
