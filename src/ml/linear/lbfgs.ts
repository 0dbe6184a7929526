/**
 * L-BFGS for smooth convex objectives, with a strong-Wolfe line search (Nocedal & Wright,
 * algorithms 3.5 and 3.6, cubic interpolation) and an optional diagonal preconditioner.
 *
 * The preconditioner matters for one-hot blocks: a rare category has a curvature thousands
 * of times smaller than the intercept's, and a scalar initial Hessian (the textbook choice)
 * then needs many iterations to reach it. Scaling the initial inverse Hessian by
 * 1 / diagonal puts every coordinate on the same footing at no cost per iteration.
 *
 * Stops on the first of: max-abs gradient <= gtol ('gradient'), relative objective change
 * <= ftol ('objective'), a line search failing at floating-point resolution ('precision', also
 * converged), maxIter iterations ('max-iter'), or a line search that cannot make progress
 * for another reason ('line-search', e.g. a non-smooth objective).
 */

/** Writes the gradient at x into `grad` and returns the objective value. */
import { Checkpoint } from '../trees/cancel.ts';
export type SmoothObjective = (x: Float64Array, grad: Float64Array) => number;

export type StopReason = 'gradient' | 'objective' | 'precision' | 'max-iter' | 'line-search';

/**
 * A line search that fails while the predicted decrease of a full step is below this
 * fraction of the objective has hit floating-point resolution: the point is as good as the
 * arithmetic allows, so the run counts as converged ('precision').
 */
export const PRECISION_FLOOR = 1e-12;

/** 'precision' when a failed step could not have decreased f measurably, else 'line-search'. */
export function failedStep(f: number, directional: number): { converged: boolean; reason: StopReason } {
  const atFloor = Math.abs(directional) <= PRECISION_FLOOR * Math.max(1, Math.abs(f));
  return atFloor ? { converged: true, reason: 'precision' } : { converged: false, reason: 'line-search' };
}

export interface QuasiNewtonOptions {
  /** Maximum iterations (accepted steps); default 100. */
  maxIter?: number;
  /** Converged when the max-abs (pseudo-)gradient is at most this; default 1e-6. */
  gtol?: number;
  /** Converged when (f_prev - f) / max(|f_prev|, |f|, 1) is at most this; default 1e-10. */
  ftol?: number;
  /** Number of correction pairs kept; default 10. */
  memory?: number;
  /** Positive per-coordinate curvature estimates: the initial inverse Hessian is diag(1 / diagonal). */
  diagonal?: Float64Array;
  /** Maximum objective evaluations per line search; default 25. */
  maxLineSearch?: number;
  /**
   * L-BFGS only: called on every accepted point. It may move x along directions where the
   * objective is known in closed form (updating x and grad in place) and returns the change
   * of the objective value, which must not be positive. See `makeRecentering`.
   */
  afterStep?: (x: Float64Array, grad: Float64Array) => number;
}

export interface OptimizeResult {
  x: Float64Array;
  f: number;
  /** Max-abs gradient (pseudo-gradient for OWL-QN) at x. */
  gradientNorm: number;
  iterations: number;
  /** Objective + gradient evaluations, the cost unit (each one is a pass over the data). */
  evaluations: number;
  converged: boolean;
  reason: StopReason;
}

/** Fills in the defaults of the options shared by L-BFGS and OWL-QN. */
export function quasiNewtonDefaults(options: QuasiNewtonOptions): Required<Omit<QuasiNewtonOptions, 'diagonal' | 'afterStep'>> & { diagonal: Float64Array | undefined } {
  return {
    maxIter: options.maxIter ?? 100,
    gtol: options.gtol ?? 1e-6,
    ftol: options.ftol ?? 1e-10,
    memory: options.memory ?? 10,
    maxLineSearch: options.maxLineSearch ?? 25,
    diagonal: options.diagonal,
  };
}

export function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) { const a = Math.abs(v[i]!); if (a > m) m = a; }
  return m;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function relativeChange(fPrev: number, f: number): number {
  return (fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1);
}

/**
 * The limited-memory inverse Hessian: a ring of (s, y) pairs and the two-loop recursion.
 * Shared by L-BFGS and OWL-QN.
 */
export class LbfgsMemory {
  private readonly s: Float64Array[];
  private readonly y: Float64Array[];
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private count = 0;
  private head = 0;
  private gamma = 1;

  constructor(readonly dim: number, readonly memory: number, private readonly invDiagonal: Float64Array | undefined) {
    this.s = Array.from({ length: memory }, () => new Float64Array(dim));
    this.y = Array.from({ length: memory }, () => new Float64Array(dim));
    this.rho = new Float64Array(memory);
    this.alpha = new Float64Array(memory);
  }

  get size(): number { return this.count; }

  /** Stores the pair s = x_new - x, y = g_new - g; skipped unless the curvature s·y is positive. */
  push(xNew: Float64Array, x: Float64Array, gNew: Float64Array, g: Float64Array): boolean {
    const s = this.s[this.head]!;
    const y = this.y[this.head]!;
    let sy = 0;
    let yHy = 0;
    const dInv = this.invDiagonal;
    for (let i = 0; i < this.dim; i++) {
      const si = xNew[i]! - x[i]!;
      const yi = gNew[i]! - g[i]!;
      s[i] = si;
      y[i] = yi;
      sy += si * yi;
      yHy += yi * yi * (dInv === undefined ? 1 : dInv[i]!);
    }
    if (!(sy > 1e-16 * Math.sqrt(dot(s, s) * dot(y, y))) || !(yHy > 0)) return false;
    this.rho[this.head] = 1 / sy;
    this.gamma = sy / yHy;
    this.head = (this.head + 1) % this.memory;
    if (this.count < this.memory) this.count++;
    return true;
  }

  /** out = -H g (the search direction). With no pairs yet, -diag(1 / diagonal) g (or -g). */
  direction(g: Float64Array, out: Float64Array): void {
    const n = this.dim;
    for (let i = 0; i < n; i++) out[i] = g[i]!;
    const m = this.memory;
    for (let k = 0; k < this.count; k++) {
      const j = (this.head - 1 - k + m) % m;
      const a = this.rho[j]! * dot(this.s[j]!, out);
      this.alpha[j] = a;
      const y = this.y[j]!;
      for (let i = 0; i < n; i++) out[i]! -= a * y[i]!;
    }
    const scale = this.count > 0 ? this.gamma : 1;
    const dInv = this.invDiagonal;
    for (let i = 0; i < n; i++) out[i]! *= scale * (dInv === undefined ? 1 : dInv[i]!);
    for (let k = this.count - 1; k >= 0; k--) {
      const j = (this.head - 1 - k + m) % m;
      const b = this.rho[j]! * dot(this.y[j]!, out);
      const s = this.s[j]!;
      const c = this.alpha[j]! - b;
      for (let i = 0; i < n; i++) out[i]! += c * s[i]!;
    }
    for (let i = 0; i < n; i++) out[i] = -out[i]!;
  }

  reset(): void { this.count = 0; this.head = 0; this.gamma = 1; }
}

export function inverseDiagonal(diagonal: Float64Array | undefined, dim: number): Float64Array | undefined {
  if (diagonal === undefined) return undefined;
  if (diagonal.length !== dim) throw new RangeError(`diagonal has ${diagonal.length} entries for ${dim} variables`);
  const inv = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const d = diagonal[i]!;
    inv[i] = d > 0 && Number.isFinite(d) ? 1 / d : 1;
  }
  return inv;
}

/**
 * Minimizes a smooth function from x0 (not modified).
 *
 * @example
 * // f(x) = (x0 - 3)^2 + 10 (x1 + 1)^2
 * const r = lbfgs((x, g) => { g[0] = 2 * (x[0]! - 3); g[1] = 20 * (x[1]! + 1); return (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2; },
 *   new Float64Array(2), { gtol: 1e-10 });
 * // r.x ≈ [3, -1], r.converged === true
 */
export function lbfgs(fn: SmoothObjective, x0: Float64Array, options: QuasiNewtonOptions = {}): OptimizeResult {
  return drain(lbfgsSteps(fn, x0, options));
}

/**
 * L-BFGS as lbfgs(), but giving the event loop a turn between iterations (about every 20 ms) and
 * stopping with CancelledError when `signal` aborts: for fits that a run can cancel.
 */
export function lbfgsAsync(fn: SmoothObjective, x0: Float64Array, options: QuasiNewtonOptions = {}, signal?: AbortSignal): Promise<OptimizeResult> {
  return drainAsync(lbfgsSteps(fn, x0, options), new Checkpoint(signal, 'L-BFGS'));
}

/** The iterations of a solver: yields the number of the iteration about to run, returns the result. */
export type SolverSteps = Generator<number, OptimizeResult, void>;

/** Runs a generator of solver iterations (or a fit built on one, see logistic.ts) to its result. */
export function drain<T>(steps: Generator<number, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** drain(), giving the event loop a turn between iterations and stopping when the checkpoint's signal aborts. */
export async function drainAsync<T>(steps: Generator<number, T, void>, checkpoint: Checkpoint): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await checkpoint.next(() => `at iteration ${r.value}`);
  }
}

export function* lbfgsSteps(fn: SmoothObjective, x0: Float64Array, options: QuasiNewtonOptions): SolverSteps {
  const o = quasiNewtonDefaults(options);
  const n = x0.length;
  const mem = new LbfgsMemory(n, o.memory, inverseDiagonal(o.diagonal, n));
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const d = new Float64Array(n);
  let f = fn(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new RangeError(`lbfgs: the objective is ${f} at the starting point`);
  const afterStep = options.afterStep;
  if (afterStep !== undefined) f += afterStep(x, g);
  let gnorm = maxAbs(g);
  const done = (iterations: number, converged: boolean, reason: StopReason): OptimizeResult =>
    ({ x, f, gradientNorm: gnorm, iterations, evaluations, converged, reason });
  if (gnorm <= o.gtol) return done(0, true, 'gradient');

  for (let iter = 1; iter <= o.maxIter; iter++) {
    yield iter;
    mem.direction(g, d);
    let dg = dot(d, g);
    if (!(dg < 0)) {
      // Not a descent direction (bad curvature pairs): restart from the preconditioned gradient.
      mem.reset();
      mem.direction(g, d);
      dg = dot(d, g);
      if (!(dg < 0)) { const r = failedStep(f, dg); return done(iter - 1, r.converged, r.reason); }
    }
    // The first step has no curvature information: keep it short unless preconditioned.
    const step0 = mem.size === 0 && o.diagonal === undefined ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    const ls = wolfeLineSearch(fn, x, f, dg, d, step0, xNew, gNew, o.maxLineSearch);
    evaluations += ls.evaluations;
    if (!ls.ok) { const r = failedStep(f, dg); return done(iter - 1, r.converged, r.reason); }
    const fStep = afterStep === undefined ? ls.f : ls.f + afterStep(xNew, gNew);
    mem.push(xNew, x, gNew, g);
    const fPrev = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fStep;
    gnorm = maxAbs(g);
    if (gnorm <= o.gtol) return done(iter, true, 'gradient');
    if (relativeChange(fPrev, f) <= o.ftol) return done(iter, true, 'objective');
  }
  return done(o.maxIter, false, 'max-iter');
}

interface LineSearchResult { ok: boolean; f: number; evaluations: number }

/**
 * Finds a step a along d satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9),
 * leaving the accepted point in xOut and its gradient in gOut.
 *
 * Near the optimum the objective differences drop below its rounding noise (a sum over
 * millions of rows carries ~1e-15 relative error) and the sufficient-decrease test becomes
 * a coin toss, while the gradient is still accurate. As Hager & Zhang's CG_DESCENT, a step
 * is then also accepted on the approximate Wolfe conditions: f within the noise band of f0
 * and the slope reduced to c2 * slope(0) <= slope(a) <= -(1 - 2 * 0.1) * slope(0).
 */
function wolfeLineSearch(
  fn: SmoothObjective,
  x: Float64Array,
  f0: number,
  dg0: number,
  d: Float64Array,
  step0: number,
  xOut: Float64Array,
  gOut: Float64Array,
  maxEvals: number,
): LineSearchResult {
  const c1 = 1e-4;
  const c2 = 0.9;
  const noise = PRECISION_FLOOR * Math.max(1, Math.abs(f0));
  const approxWolfe = (fa: number, da: number): boolean => fa <= f0 + noise && da >= c2 * dg0 && da <= -0.8 * dg0;
  const n = x.length;
  let evaluations = 0;
  const evalAt = (a: number): [number, number] => {
    for (let i = 0; i < n; i++) xOut[i] = x[i]! + a * d[i]!;
    const fa = fn(xOut, gOut);
    evaluations++;
    return [fa, dot(gOut, d)];
  };
  let aPrev = 0;
  let fPrev = f0;
  let dPrev = dg0;
  let a = step0;
  // Bracketing phase: grow the step until the Armijo condition fails or the slope turns.
  for (;;) {
    const [fa, da] = evalAt(a);
    if (approxWolfe(fa, da)) return { ok: true, f: fa, evaluations };
    if (!Number.isFinite(fa) || fa > f0 + c1 * a * dg0 || (evaluations > 1 && fa >= fPrev)) {
      return zoom(aPrev, fPrev, dPrev, a, Number.isFinite(fa) ? fa : Infinity, Number.isFinite(da) ? da : NaN);
    }
    if (Math.abs(da) <= -c2 * dg0) return { ok: true, f: fa, evaluations };
    if (da >= 0) return zoom(a, fa, da, aPrev, fPrev, dPrev);
    if (evaluations >= maxEvals) return { ok: true, f: fa, evaluations }; // Armijo holds: accept
    aPrev = a; fPrev = fa; dPrev = da;
    a *= 4;
  }

  function zoom(lo: number, fLo: number, dLo: number, hi: number, fHi: number, dHi: number): LineSearchResult {
    while (evaluations < maxEvals) {
      const a = interpolate(lo, fLo, dLo, hi, fHi, dHi);
      if (a === lo || a === hi) break; // interval collapsed to floating-point resolution
      const [fa, da] = evalAt(a);
      if (approxWolfe(fa, da)) return { ok: true, f: fa, evaluations };
      if (!Number.isFinite(fa) || fa > f0 + c1 * a * dg0 || fa >= fLo) {
        hi = a; fHi = Number.isFinite(fa) ? fa : Infinity; dHi = Number.isFinite(da) ? da : NaN;
      } else {
        if (Math.abs(da) <= -c2 * dg0) return { ok: true, f: fa, evaluations };
        if (da * (hi - lo) >= 0) { hi = lo; fHi = fLo; dHi = dLo; }
        lo = a; fLo = fa; dLo = da;
      }
    }
    // Out of evaluations: settle for the best Armijo point found, if any.
    if (lo > 0 && fLo < f0) {
      const [fa] = evalAt(lo);
      return { ok: true, f: fa, evaluations };
    }
    return { ok: false, f: f0, evaluations };
  }
}

/** Cubic interpolation minimizer within the middle 80% of [lo, hi], bisection as the fallback. */
function interpolate(lo: number, fLo: number, dLo: number, hi: number, fHi: number, dHi: number): number {
  const left = Math.min(lo, hi);
  const width = Math.abs(hi - lo);
  const mid = (lo + hi) / 2;
  if (!(width > 0)) return lo;
  if (Number.isFinite(fHi) && Number.isFinite(dHi)) {
    const d1 = dLo + dHi - 3 * (fLo - fHi) / (lo - hi);
    const disc = d1 * d1 - dLo * dHi;
    if (disc >= 0) {
      const d2 = Math.sign(hi - lo) * Math.sqrt(disc);
      const a = hi - (hi - lo) * (dHi + d2 - d1) / (dHi - dLo + 2 * d2);
      if (Number.isFinite(a) && a > left + 0.1 * width && a < left + 0.9 * width) return a;
    }
  } else if (Number.isFinite(fHi)) {
    // Quadratic through fLo, dLo, fHi.
    const t = hi - lo;
    const denom = 2 * (fHi - fLo - dLo * t);
    if (denom > 0) {
      const a = lo - (dLo * t * t) / denom;
      if (a > left + 0.1 * width && a < left + 0.9 * width) return a;
    }
  }
  return mid;
}
