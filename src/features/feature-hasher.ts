/**
 * Feature hashing for high-cardinality columns: each value becomes the string "<column>=<value>",
 * hashed (MurmurHash3 x86 32-bit, seed 0, on UTF-8 bytes) into one of `features` numeric columns
 * `<name>_0 .. <name>_{features-1}`, with a sign from the hash so collisions cancel out on average.
 * Outputs match scikit-learn's FeatureHasher(input_type='dict', alternate_sign=True) on
 * {column: value} rows. No vocabulary is stored, so unseen categories need no policy: they hash like
 * any other. Numeric columns contribute their value under the bare column name; missing values nothing.
 *
 * @example
 * const h = fitFeatureHasher(train, ['origin', 'destination'], { features: 64 });
 * h.outputs.length; // 64
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, replaceColumns, requireColumn } from './columns.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export interface FeatureHasherOptions {
  /** Number of output columns (default 256). */
  features?: number;
  /** Output column prefix (default 'hash'). */
  name?: string;
  /** Signed contributions (default true, as scikit-learn). */
  alternateSign?: boolean;
}

export class FeatureHasher implements FittedTransformer {
  readonly type = 'feature-hasher';
  readonly inputs: readonly string[];
  readonly features: number;
  readonly name: string;
  readonly alternateSign: boolean;

  constructor(inputs: readonly string[], features: number, name: string, alternateSign: boolean) {
    this.inputs = inputs; this.features = features; this.name = name; this.alternateSign = alternateSign;
  }

  get outputs(): readonly string[] {
    return Array.from({ length: this.features }, (_, k) => `${this.name}_${k}`);
  }

  transform(frame: Frame): Frame {
    const n = frame.numRows;
    const outs = Array.from({ length: this.features }, () => new Float64Array(n));
    for (const name of this.inputs) {
      const col = requireColumn(frame, name, 'feature-hasher');
      if (col.kind === 'string') {
        // Hash each distinct value once; rows then add a signed 1 at their slot.
        const slot = new Int32Array(col.dictionary.length);
        const sign = new Float64Array(col.dictionary.length);
        col.dictionary.forEach((v, k) => { const [s, g] = this.slot(`${name}=${v}`); slot[k] = s; sign[k] = g; });
        for (let i = 0; i < n; i++) {
          const c = col.codes[i]!;
          if (c >= 0) outs[slot[c]!]![i]! += sign[c]!;
        }
      } else {
        const [s, g] = this.slot(name);
        const x = col.values, out = outs[s]!;
        for (let i = 0; i < n; i++) { const v = x[i]!; if (!Number.isNaN(v)) out[i]! += g * v; }
      }
    }
    const added: [string, Column][] = this.outputs.map((o, k) => [o, floatColumn(outs[k]!)]);
    return replaceColumns(frame, this.inputs, added);
  }

  /** Column index and sign of a feature string (scikit-learn's _hashing_fast). */
  private slot(feature: string): [number, number] {
    const h = murmurhash3(Buffer.from(feature, 'utf8'), 0);
    const index = h === -2147483648 ? (2147483647 - (this.features - 1)) % this.features : Math.abs(h) % this.features;
    return [index, this.alternateSign && h < 0 ? -1 : 1];
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], features: this.features, name: this.name, alternateSign: this.alternateSign } };
  }
}

export function fitFeatureHasher(frame: Frame, columns: readonly string[], options: FeatureHasherOptions = {}): FeatureHasher {
  checkDistinct(columns, 'feature-hasher');
  const features = options.features ?? 256;
  if (!Number.isInteger(features) || features < 1) throw new DataError(`feature-hasher: features must be a positive integer, got ${features}`);
  for (const name of columns) requireColumn(frame, name, 'feature-hasher');
  return new FeatureHasher([...columns], features, options.name ?? 'hash', options.alternateSign ?? true);
}

/** MurmurHash3 x86 32-bit of the bytes, as a signed 32-bit integer. */
export function murmurhash3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51, c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = bytes.length >> 2;
  for (let b = 0; b < blocks; b++) {
    const i = b << 2;
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks << 2;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest >= 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

registerTransformer('feature-hasher', (state) => {
  const s = state as { inputs: string[]; features: number; name: string; alternateSign: boolean };
  return new FeatureHasher(s.inputs, s.features, s.name, s.alternateSign);
});
