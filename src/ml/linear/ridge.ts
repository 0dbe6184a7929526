/**
 * Ridge regression as scikit-learn's Ridge:
 *
 *   minimize  sum_i s_i (y_i - b - x_i·w)^2 + alpha * ||w||^2     (intercept b unpenalized)
 *
 * Solved in closed form (Cholesky on the normal equations, one pass to accumulate them)
 * when the coefficient count is small, else by L-BFGS on the same objective. The normal
 * equations use centered dense columns, which keeps them well conditioned for raw features.
 * Categorical blocks are accumulated by code, never expanded to dense columns.
 */
import { DataError } from '../../core/errors.ts';
import type { DesignMatrix } from './design.ts';
import { lbfgs } from './lbfgs.ts';
import { checkPositive, checkSampleWeight, diagonalCurvature, makeObjective, makeRecentering, prepareProblem, unpack, type FitInfo, type LinearProblem } from './problem.ts';
import { LinearRegressionModel, checkTarget } from './regression-model.ts';

export interface RidgeOptions {
  /** Penalty strength (scikit-learn's alpha); default 1. 0 is ordinary least squares (needs full-rank columns). */
  alpha?: number;
  fitIntercept?: boolean;
  sampleWeight?: Float64Array;
  /** 'auto' (default): Cholesky up to 2000 coefficients, L-BFGS beyond. */
  solver?: 'auto' | 'cholesky' | 'lbfgs';
  /** L-BFGS only: iterations (default 500) and max-abs gradient tolerance (default 1e-8). */
  maxIter?: number;
  tol?: number;
}

const CHOLESKY_MAX = 2000;

/**
 * @example
 * const X = designMatrix({ dense: { x: new Float64Array([0, 1, 2, 3]) } });
 * const m = fitRidge(X, new Float64Array([1, 3, 5, 7]), { alpha: 0 });
 * m.coef[0]; // 2, m.intercept: 1
 */
export function fitRidge(X: DesignMatrix, y: Float64Array, options: RidgeOptions = {}): LinearRegressionModel {
  const where = 'fitRidge';
  const alpha = options.alpha ?? 1;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new DataError(`${where}: alpha is ${alpha}; it must be a finite number >= 0`, { hint: 'Pass for example alpha: 1.', context: { argument: 'alpha' } });
  }
  const fitIntercept = options.fitIntercept ?? true;
  checkTarget(where, y, X.rows);
  const sw = checkSampleWeight(where, X.rows, options.sampleWeight);
  const problem = prepareProblem(X, { loss: 'squared', classes: 1, y, sampleWeight: sw, center: fitIntercept, where });
  const l2 = alpha / problem.weightSum; // the objective above divided by 2 * sum(s)
  const objective = makeObjective(problem, l2, fitIntercept);
  const solver = options.solver ?? 'auto';
  let x: Float64Array;
  let info: FitInfo;
  if (solver === 'cholesky' || (solver === 'auto' && problem.coefs + 1 <= CHOLESKY_MAX)) {
    x = solveNormalEquations(problem, alpha, fitIntercept, where);
    const g = new Float64Array(problem.dim);
    const f = objective(x, g);
    let gnorm = 0;
    for (let i = 0; i < g.length; i++) gnorm = Math.max(gnorm, Math.abs(g[i]!));
    info = { converged: true, reason: 'closed-form', iterations: 0, evaluations: 2, objective: f, gradientNorm: gnorm };
  } else {
    const maxIter = options.maxIter ?? 500;
    checkPositive(where, 'maxIter', maxIter, true);
    const gtol = options.tol ?? 1e-8;
    checkPositive(where, 'tol', gtol);
    const diagonal = diagonalCurvature(problem, Float64Array.of(1), l2);
    const r = lbfgs(objective, new Float64Array(problem.dim), { maxIter, gtol, ftol: 0, diagonal, afterStep: makeRecentering(problem, l2, fitIntercept) });
    x = r.x;
    info = { converged: r.converged, reason: r.reason, iterations: r.iterations, evaluations: objective.evaluations(), objective: r.f, gradientNorm: r.gradientNorm };
  }
  const { coef, intercept } = unpack(problem, x);
  return new LinearRegressionModel(problem.schema, coef, intercept[0]!, { method: 'ridge', alpha, l1Ratio: 0, fitIntercept }, info);
}

/**
 * Accumulates [Xc 1]' S [Xc 1] (Xc: centered dense columns, then one-hot blocks) in one pass,
 * adds alpha to the coefficient diagonal and solves by Cholesky. Returns the solver vector
 * (coefficients, then the intercept of the centered columns).
 */
function solveNormalEquations(p: LinearProblem, alpha: number, fitIntercept: boolean, where: string): Float64Array {
  const D = p.coefs;
  const N = D + 1;
  const P = p.dense.length;
  const G = new Float64Array(N * N); // lower triangle, row-major: G[r * N + c], r >= c
  const rhs = new Float64Array(N);
  const v = new Float64Array(P);
  const idx = new Int32Array(p.codes.length);
  const sw = p.sampleWeight;
  const y = p.y;
  for (let i = 0; i < p.n; i++) {
    const s = sw === null ? 1 : sw[i]!;
    if (s === 0) continue;
    const yi = y[i]!;
    for (let j = 0; j < P; j++) v[j] = p.dense[j]![i]! - p.centers[j]!;
    let m = 0;
    for (const codes of p.codes) { const c = codes[i]!; if (c < D) idx[m++] = c; }
    for (let j = 0; j < P; j++) {
      const sv = s * v[j]!;
      const row = j * N;
      for (let k = 0; k <= j; k++) G[row + k]! += sv * v[k]!;
      rhs[j]! += sv * yi;
      G[D * N + j]! += sv;
    }
    // Blocks come after the dense columns and in increasing order, so c > j and c_a > c_b for a > b.
    for (let a = 0; a < m; a++) {
      const c = idx[a]!;
      const row = c * N;
      G[row + c]! += s;
      for (let j = 0; j < P; j++) G[row + j]! += s * v[j]!;
      for (let b = 0; b < a; b++) G[row + idx[b]!]! += s;
      rhs[c]! += s * yi;
      G[D * N + c]! += s;
    }
    G[D * N + D]! += s;
    rhs[D]! += s * yi;
  }
  for (let j = 0; j < D; j++) G[j * N + j]! += alpha;
  if (!fitIntercept) {
    // Pin the intercept to 0: decouple its row and column.
    for (let c = 0; c < D; c++) G[D * N + c] = 0;
    G[D * N + D] = 1;
    rhs[D] = 0;
  }
  if (!choleskyInPlace(G, N)) {
    throw new DataError(`${where}: the normal equations are singular (collinear columns${p.codes.length > 0 ? ', e.g. a categorical block together with the intercept' : ''})`, {
      hint: 'Use alpha > 0, or drop redundant columns.',
      context: { argument: 'alpha' },
    });
  }
  choleskySolve(G, N, rhs);
  return rhs;
}

/** In-place Cholesky of a symmetric positive definite matrix given by its lower triangle. */
export function choleskyInPlace(A: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = A[rj + j]!;
    for (let k = 0; k < j; k++) d -= A[rj + k]! * A[rj + k]!;
    // Relative pivot threshold: a pivot lost to rounding means the matrix is singular.
    if (!(d > 1e-13 * Math.abs(A[rj + j]!)) || !(d > 0)) return false;
    const ljj = Math.sqrt(d);
    A[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= A[ri + k]! * A[rj + k]!;
      A[ri + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L L' x = b in place given the Cholesky factor L (lower triangle of A). */
export function choleskySolve(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * b[k]!;
    b[i] = s / L[ri + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
}
