/**
 * OWL-QN (Andrew & Gao, 2007): L-BFGS for f(x) + sum_j l1_j |x_j| with f smooth and convex.
 * Used for the L1 and elastic-net penalties; `l1` holds one weight per coordinate so the
 * intercept (weight 0) stays unpenalized.
 *
 * Each iteration takes the L-BFGS direction for the pseudo-gradient, zeroes the components
 * that disagree with the steepest descent direction, and backtracks along the projection
 * onto the current orthant: a coordinate that would cross zero stops at exactly zero, which
 * is how the solution gets exact zeros (sparsity).
 */
import {
  LbfgsMemory,
  dot,
  inverseDiagonal,
  maxAbs,
  quasiNewtonDefaults,
  relativeChange,
  type OptimizeResult,
  type QuasiNewtonOptions,
  type SmoothObjective,
  type StopReason,
  failedStep,
  drain,
  drainAsync,
  type SolverSteps,
} from './lbfgs.ts';
import { Checkpoint } from '../trees/cancel.ts';

/** The steepest-descent (minimum-norm) subgradient of f + l1 |x| at x, into `out`. */
export function pseudoGradient(x: Float64Array, g: Float64Array, l1: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const gi = g[i]!;
    const l = l1[i]!;
    if (xi > 0) out[i] = gi + l;
    else if (xi < 0) out[i] = gi - l;
    else if (gi + l < 0) out[i] = gi + l;
    else if (gi - l > 0) out[i] = gi - l;
    else out[i] = 0;
  }
}

function l1Norm(x: Float64Array, l1: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += l1[i]! * Math.abs(x[i]!);
  return s;
}

/**
 * Minimizes fn(x) + sum_j l1[j] * |x[j]| from x0 (not modified).
 *
 * @example
 * // f(x) = 0.5 (x0 - 2)^2 + 0.5 (x1 - 0.1)^2 with l1 = 0.5: the solution is [1.5, 0]
 * const r = owlqn((x, g) => { g[0] = x[0]! - 2; g[1] = x[1]! - 0.1; return 0.5 * ((x[0]! - 2) ** 2 + (x[1]! - 0.1) ** 2); },
 *   new Float64Array(2), new Float64Array([0.5, 0.5]));
 * // r.x = [1.5, 0]
 */
export function owlqn(fn: SmoothObjective, x0: Float64Array, l1: Float64Array, options: QuasiNewtonOptions = {}): OptimizeResult {
  return drain(owlqnSteps(fn, x0, l1, options));
}

/** OWL-QN as owlqn(), cancellable between iterations (see lbfgsAsync). */
export function owlqnAsync(fn: SmoothObjective, x0: Float64Array, l1: Float64Array, options: QuasiNewtonOptions = {}, signal?: AbortSignal): Promise<OptimizeResult> {
  return drainAsync(owlqnSteps(fn, x0, l1, options), new Checkpoint(signal, 'OWL-QN'));
}

export function* owlqnSteps(fn: SmoothObjective, x0: Float64Array, l1: Float64Array, options: QuasiNewtonOptions): SolverSteps {
  const o = quasiNewtonDefaults(options);
  const n = x0.length;
  if (l1.length !== n) throw new RangeError(`owlqn: l1 has ${l1.length} weights for ${n} variables`);
  const mem = new LbfgsMemory(n, o.memory, inverseDiagonal(o.diagonal, n));
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const pg = new Float64Array(n);
  const d = new Float64Array(n);
  const orthant = new Float64Array(n);
  let F = fn(x, g) + l1Norm(x, l1);
  let evaluations = 1;
  if (!Number.isFinite(F)) throw new RangeError(`owlqn: the objective is ${F} at the starting point`);
  pseudoGradient(x, g, l1, pg);
  let pgnorm = maxAbs(pg);
  const done = (iterations: number, converged: boolean, reason: StopReason): OptimizeResult =>
    ({ x, f: F, gradientNorm: pgnorm, iterations, evaluations, converged, reason });
  if (pgnorm <= o.gtol) return done(0, true, 'gradient');

  for (let iter = 1; iter <= o.maxIter; iter++) {
    yield iter;
    mem.direction(pg, d);
    // Keep only components that agree in sign with the steepest descent direction -pg.
    for (let i = 0; i < n; i++) if (d[i]! * pg[i]! >= 0) d[i] = 0;
    let dpg = dot(d, pg);
    if (!(dpg < 0)) {
      mem.reset();
      mem.direction(pg, d);
      for (let i = 0; i < n; i++) if (d[i]! * pg[i]! >= 0) d[i] = 0;
      dpg = dot(d, pg);
      if (!(dpg < 0)) { const r = failedStep(F, dpg); return done(iter - 1, r.converged, r.reason); }
    }
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      orthant[i] = xi !== 0 ? Math.sign(xi) : -Math.sign(pg[i]!);
    }
    let step = mem.size === 0 && o.diagonal === undefined ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    let accepted = false;
    let FNew = F;
    for (let t = 0; t < o.maxLineSearch; t++) {
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        let v = x[i]! + step * d[i]!;
        if (v * orthant[i]! <= 0) v = 0; // projection: never cross into another orthant
        xNew[i] = v;
        decrease += pg[i]! * (v - x[i]!);
      }
      FNew = fn(xNew, gNew) + l1Norm(xNew, l1);
      evaluations++;
      if (Number.isFinite(FNew) && FNew <= F + 1e-4 * decrease) { accepted = true; break; }
      step *= 0.5;
    }
    if (!accepted) { const r = failedStep(F, dpg); return done(iter - 1, r.converged, r.reason); }
    mem.push(xNew, x, gNew, g);
    const FPrev = F;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    F = FNew;
    pseudoGradient(x, g, l1, pg);
    pgnorm = maxAbs(pg);
    if (pgnorm <= o.gtol) return done(iter, true, 'gradient');
    if (relativeChange(FPrev, F) <= o.ftol) return done(iter, true, 'objective');
  }
  return done(o.maxIter, false, 'max-iter');
}
