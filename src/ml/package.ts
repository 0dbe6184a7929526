/**
 * The model package: everything needed to score new rows, in one artifact. Feature transformers,
 * the estimator, the input signature, the class names, the metrics, the warnings of the fit, as JSON
 * (typed arrays as base64), gzip-compressed. The registry stores it; old packages must keep loading
 * (test/fixtures/packages/ holds one of each family per format, test/ml/package-compat.test.ts reads
 * them), so fields are only ever added, as optional ones.
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
  /**
   * Classification: the class of each code, in code order (binary: the positive class last), as the
   * label column held them (text, numbers, booleans). Absent in packages made before classes were kept:
   * the codes 0..K-1 are then the classes.
   */
  classes?: (string | number | boolean)[];
  metrics: Record<string, number>;
  /** The held-out confusion matrix, when the metrics given were evaluateMulticlass's. */
  confusion?: { classes: (string | number | boolean)[]; matrix: number[][] };
  /** What the user must know about the fit (e.g. a solver that did not converge). */
  warnings?: string[];
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
