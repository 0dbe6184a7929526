/**
 * Fitted feature transformers: each is fitted on training rows only (no leakage), transforms any Frame
 * with the same columns, and serializes to JSON for the model package.
 */
import { SluiceError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../store/types.ts';

export interface FittedTransformer {
  readonly type: string;
  /** Input columns it reads. */
  readonly inputs: readonly string[];
  transform(frame: Frame): Frame;
  toJSON(): { type: string; state: Json };
}

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
