/**
 * The estimator contract shared by every model family (linear, gbdt, forest): fit on a Frame of
 * transformed features, predict a Float64Array, serialize to JSON. Families register a fitter and a
 * loader under their type name so model packages can name them.
 */
import { SluiceError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';

export type Task = 'binary' | 'regression' | 'multiclass';

export interface Estimator {
  readonly type: string;
  readonly task: Task;
  /** Binary: P(label = 1) per row; regression: the prediction; multiclass: row-major probabilities. */
  predict(frame: Frame): Float64Array;
  toJSON(): Json;
}

export interface FitOptions {
  task: Task;
  /** Text columns are categorical; numeric columns listed here are too. */
  categorical: readonly string[];
  sampleWeight?: Float64Array;
  onProgress?: (done: number, total: number) => void;
}

export interface EstimatorSpec {
  type: string;
  [option: string]: Json | undefined;
}

type Fitter = (frame: Frame, y: Float64Array, spec: EstimatorSpec, options: FitOptions) => Estimator | Promise<Estimator>;
type Loader = (state: Json) => Estimator;

const fitters = new Map<string, Fitter>();
const loaders = new Map<string, Loader>();

export function registerEstimator(type: string, fit: Fitter, load: Loader): void {
  fitters.set(type, fit);
  loaders.set(type, load);
}

export async function fitEstimator(frame: Frame, y: Float64Array, spec: EstimatorSpec, options: FitOptions): Promise<Estimator> {
  const fit = fitters.get(spec.type);
  if (!fit) throw new SluiceError(`Unknown estimator type "${spec.type}"`, { code: 'BAD_ESTIMATOR', hint: `Known types: ${[...fitters.keys()].join(', ')}.` });
  return await fit(frame, y, spec, options);
}

export function loadEstimator(spec: { type: string; state: Json }): Estimator {
  const load = loaders.get(spec.type);
  if (!load) throw new SluiceError(`Unknown estimator type "${spec.type}" in model package`, { code: 'BAD_MODEL', hint: `Known types: ${[...loaders.keys()].join(', ')}.` });
  return load(spec.state);
}
