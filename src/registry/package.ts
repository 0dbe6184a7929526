/**
 * The model package: everything needed to score new rows, in one artifact. Feature transformers,
 * the estimator, the input signature, the metrics and the lineage, as JSON (typed arrays as base64),
 * gzip-compressed.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { SluiceError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';

export const MODEL_FORMAT = 'sluice.model/v1';

export interface ModelPackage {
  format: typeof MODEL_FORMAT;
  /** Estimator type (e.g. "logistic-regression", "gbdt") and its serialized state. */
  estimator: { type: string; state: Json };
  /** Fitted feature transformers, in order. */
  transformers: { type: string; state: Json }[];
  /** The input columns the package expects, with their types. */
  signature: { name: string; type: string }[];
  /** Name of the label the model predicts. */
  target: string;
  task: 'binary' | 'multiclass' | 'regression';
  metrics: Record<string, number>;
  params: Record<string, Json>;
  createdAt: number;
}

export function encodeModelPackage(pkg: ModelPackage): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(pkg)));
}

export function decodeModelPackage(bytes: Uint8Array, where = 'model artifact'): ModelPackage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (err) {
    throw new SluiceError(`The ${where} is not a Sluice model package (it does not decode as gzip JSON)`, { code: 'BAD_MODEL', cause: err });
  }
  const format = (parsed as { format?: unknown }).format;
  if (format !== MODEL_FORMAT) {
    throw new SluiceError(`The ${where} has format ${JSON.stringify(format)}; this Sluice reads ${MODEL_FORMAT}`, { code: 'BAD_MODEL' });
  }
  return parsed as ModelPackage;
}

/** Typed arrays to and from base64 inside package JSON. */
export function f64ToBase64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function base64ToF64(s: string): Float64Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float64Array(buf.byteLength / 8);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
