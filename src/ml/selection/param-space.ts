/**
 * Hyperparameter search spaces: each parameter is a distribution (uniform, log-uniform, integer
 * range, choice) or a fixed JSON value. Sampling is seeded. A space made only of choices, integer
 * ranges and fixed values is a finite grid and is sampled without repetition (all of it when asked
 * for more candidates than it has, as scikit-learn's ParameterSampler does). A space that cannot be
 * sampled (an empty choice, low above high, a log range touching 0) is an error naming the parameter.
 *
 * @example
 * const space = { learningRate: logUniform(0.01, 0.3), maxDepth: intRange(3, 8), loss: choice(['logloss']), seed: 1 };
 * sampleCandidates(space, 20, { seed: 7 }); // 20 parameter objects
 */
import { SluiceError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { Json } from '../../core/json.ts';

export type Params = Record<string, Json>;

export class ParamDistribution {
  readonly kind: 'uniform' | 'logUniform' | 'int' | 'choice';
  readonly low: number;
  readonly high: number;
  readonly values: readonly Json[];
  readonly log: boolean;

  constructor(kind: ParamDistribution['kind'], low: number, high: number, values: readonly Json[] = [], log = false) {
    this.kind = kind; this.low = low; this.high = high; this.values = values; this.log = log;
  }
}

/** A float uniform in [low, high). */
export function uniform(low: number, high: number): ParamDistribution { return new ParamDistribution('uniform', low, high); }
/** A float whose logarithm is uniform: for scales such as a learning rate or a penalty. */
export function logUniform(low: number, high: number): ParamDistribution { return new ParamDistribution('logUniform', low, high); }
/** An integer in [low, high], both included; `log` draws it log-uniformly. */
export function intRange(low: number, high: number, options: { log?: boolean } = {}): ParamDistribution {
  return new ParamDistribution('int', low, high, [], options.log ?? false);
}
/** One of the values, equally likely. */
export function choice(values: readonly Json[]): ParamDistribution { return new ParamDistribution('choice', NaN, NaN, values); }

export type SearchSpace = Readonly<Record<string, ParamDistribution | Json>>;

/** Why each invalid entry cannot be sampled; throws on the first one. */
export function checkSpace(space: SearchSpace): void {
  if (space === null || typeof space !== 'object' || Array.isArray(space)) {
    throw spaceError('the search space must be an object of parameter names to distributions or values', '');
  }
  for (const [name, d] of Object.entries(space)) {
    if (d instanceof ParamDistribution) {
      switch (d.kind) {
        case 'uniform':
          if (!Number.isFinite(d.low) || !Number.isFinite(d.high) || !(d.low < d.high)) throw spaceError(`uniform(${d.low}, ${d.high}) needs finite low < high`, name);
          break;
        case 'logUniform':
          if (!(d.low > 0) || !Number.isFinite(d.high) || !(d.low < d.high)) throw spaceError(`logUniform(${d.low}, ${d.high}) needs 0 < low < high, finite`, name);
          break;
        case 'int':
          if (!Number.isInteger(d.low) || !Number.isInteger(d.high) || d.low > d.high) throw spaceError(`intRange(${d.low}, ${d.high}) needs integers low <= high`, name);
          if (d.log && !(d.low > 0)) throw spaceError(`intRange(${d.low}, ${d.high}, { log: true }) needs low >= 1`, name);
          break;
        case 'choice':
          if (d.values.length === 0) throw spaceError('choice([]) has nothing to choose from', name);
          d.values.forEach((v) => checkJson(v, name));
          break;
      }
    } else {
      checkJson(d, name);
    }
  }
}

/** Number of distinct candidates, or Infinity when a parameter is continuous. */
export function gridSize(space: SearchSpace): number {
  let size = 1;
  for (const d of Object.values(space)) {
    if (!(d instanceof ParamDistribution)) continue;
    if (d.kind === 'uniform' || d.kind === 'logUniform') return Infinity;
    size *= d.kind === 'choice' ? d.values.length : d.high - d.low + 1;
  }
  return size;
}

/**
 * n candidates from the space, reproducible from the seed. A finite grid gives distinct candidates,
 * at most its size.
 */
export function sampleCandidates(space: SearchSpace, n: number, options: { seed?: number } = {}): Params[] {
  checkSpace(space);
  if (!Number.isInteger(n) || n < 1) throw new SluiceError(`The number of candidates must be a positive integer, got ${n}`, { code: 'BAD_SEARCH' });
  const rng = new Rng(options.seed ?? 0);
  const names = Object.keys(space);
  const size = gridSize(space);
  if (Number.isFinite(size)) {
    return distinctIndices(size, Math.min(n, size), rng).map((index) => gridPoint(space, names, index));
  }
  return Array.from({ length: n }, () => {
    const p: Params = {};
    for (const name of names) p[name] = draw(space[name]!, rng);
    return p;
  });
}

function draw(d: ParamDistribution | Json, rng: Rng): Json {
  if (!(d instanceof ParamDistribution)) return d;
  switch (d.kind) {
    case 'uniform': return d.low + rng.next() * (d.high - d.low);
    case 'logUniform': return Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low)));
    case 'int':
      if (d.log) return Math.min(d.high, Math.floor(Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high + 1) - Math.log(d.low)))));
      return d.low + rng.int(d.high - d.low + 1);
    case 'choice': return d.values[rng.int(d.values.length)]!;
  }
}

/** The index-th point of the grid, read as a mixed-radix number over the parameters. */
function gridPoint(space: SearchSpace, names: readonly string[], index: number): Params {
  const p: Params = {};
  let rest = index;
  for (let j = names.length - 1; j >= 0; j--) {
    const name = names[j]!;
    const d = space[name]!;
    if (!(d instanceof ParamDistribution)) { p[name] = d; continue; }
    const radix = d.kind === 'choice' ? d.values.length : d.high - d.low + 1;
    const digit = rest % radix;
    rest = Math.floor(rest / radix);
    p[name] = d.kind === 'choice' ? d.values[digit]! : d.low + digit;
  }
  return Object.fromEntries(names.map((n) => [n, p[n]!]));
}

/** k distinct integers from [0, size), in drawing order. */
function distinctIndices(size: number, k: number, rng: Rng): number[] {
  if (size <= 1 << 20) {
    const all = Int32Array.from({ length: size }, (_, i) => i);
    // Partial Fisher-Yates: the first k positions are a uniform sample without replacement.
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(size - i);
      const t = all[i]!; all[i] = all[j]!; all[j] = t;
    }
    return Array.from(all.subarray(0, k));
  }
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < k) {
    const v = Math.floor(rng.next() * size);
    if (!seen.has(v)) { seen.add(v); out.push(v); }
  }
  return out;
}

function checkJson(v: unknown, name: string): void {
  const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
    || (Array.isArray(v) && v.every((x) => { checkJson(x, name); return true; }))
    || (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every((x) => { checkJson(x, name); return true; }));
  if (!ok) throw spaceError(`${describe(v)} is not a distribution nor a JSON value (parameters travel to workers and into model packages)`, name);
}

function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'number' || v === undefined || typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) !== Object.prototype && !Array.isArray(v)) return `a ${v.constructor?.name ?? 'class'} instance`;
  return JSON.stringify(v);
}

function spaceError(what: string, name: string): SluiceError {
  return new SluiceError(name ? `Search space parameter "${name}": ${what}` : `Search space: ${what}`, {
    code: 'BAD_SEARCH_SPACE', context: name ? { parameter: name } : {},
    hint: 'Use uniform(low, high), logUniform(low, high), intRange(low, high), choice([...]) or a fixed JSON value.',
  });
}
