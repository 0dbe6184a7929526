/**
 * The shared plumbing of the linear fits: validated, packed training data (dense columns,
 * category codes re-mapped to coefficient indices, weights) and the smooth objective
 *
 *   f(x) = (1 / S) * sum_i s_i * loss_i + (l2 / 2) * ||coefs||^2,   S = sum_i s_i
 *
 * over the solver vector x = [coefs of class 0, intercept 0, coefs of class 1, ...].
 * Normalizing by S keeps gradient tolerances independent of the number of rows.
 */
import { DataError } from '../../core/errors.ts';
import { blockOffsets, coefficientCount, schemaOf, validateDesign, type DesignMatrix, type DesignSchema } from './design.ts';
import { compileKernel, type DenseColumn, type Kernel, type LossKind } from './kernel.ts';
import { drain, lbfgsSteps, type OptimizeResult, type SmoothObjective } from './lbfgs.ts';
import { owlqnSteps } from './owlqn.ts';

export interface LinearProblem {
  schema: DesignSchema;
  n: number;
  /** Parameter classes: K for multinomial, 1 otherwise. */
  classes: number;
  /** Coefficients per class, intercept excluded. */
  coefs: number;
  /** Solver vector length: classes * (coefs + 1). */
  dim: number;
  dense: DenseColumn[];
  /** Codes mapped to within-class coefficient indices; unknown codes to the zero slot (coefs + 1). */
  codes: Int32Array[];
  y: Float64Array | Int32Array;
  sampleWeight: Float64Array | null;
  weightSum: number;
  /**
   * Weighted means of the dense columns. The solver works on centered columns (an exact
   * reparameterization: the intercept absorbs sum_j mean_j * w_j), which decouples the
   * intercept from uncentered features; the kernel still reads the raw columns.
   */
  centers: Float64Array;
  /** Per categorical block: true when every row has a known code (the block sums to the intercept column). */
  blockComplete: boolean[];
  kernel: Kernel;
}

export interface PrepareOptions {
  loss: LossKind;
  classes: number;
  /** Already validated labels: Float64Array for binomial/squared, Int32Array class codes for multinomial. */
  y: Float64Array | Int32Array;
  sampleWeight: Float64Array | null;
  /** Center dense columns (only valid with an intercept, which absorbs the shift). */
  center: boolean;
  where: string;
}

/** Validates the design and packs it for the kernel. */
export function prepareProblem(X: DesignMatrix, o: PrepareOptions): LinearProblem {
  validateDesign(X, o.where);
  const schema = schemaOf(X);
  const n = X.rows;
  if (n === 0) {
    throw new DataError(`${o.where}: the design has no rows`, { hint: 'Fit on at least one row (check the split or the filter).' });
  }
  const coefs = coefficientCount(schema);
  const zeroSlot = coefs + 1;
  const offsets = blockOffsets(schema);
  const blockComplete: boolean[] = [];
  const codes = X.categorical.map((c, b) => {
    const out = new Int32Array(n);
    const base = offsets[b]!;
    const card = c.cardinality;
    const src = c.codes;
    let complete = true;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      if (v >= 0 && v < card) out[i] = base + v;
      else { out[i] = zeroSlot; complete = false; }
    }
    blockComplete.push(complete);
    return out;
  });
  // Columns are used as given, Float64Array or Float32Array: float32 features halve the memory
  // but did not speed the pass up (measured: it is bound by exp and log, not by bandwidth).
  const dense = X.dense;
  let weightSum = n;
  if (o.sampleWeight !== null) {
    weightSum = 0;
    for (let i = 0; i < n; i++) weightSum += o.sampleWeight[i]!;
  }
  const centers = new Float64Array(dense.length);
  for (let j = 0; j < dense.length && o.center; j++) {
    const col = dense[j]!;
    const sw = o.sampleWeight;
    let s = 0;
    for (let i = 0; i < n; i++) s += sw === null ? col[i]! : sw[i]! * col[i]!;
    centers[j] = s / weightSum;
  }
  const kernel = compileKernel({
    loss: o.loss,
    classes: o.classes,
    dense: dense.length,
    categorical: codes.length,
    coefs,
    weighted: o.sampleWeight !== null,
  });
  const classes = o.loss === 'multinomial' ? o.classes : 1;
  return { schema, n, classes, coefs, dim: classes * (coefs + 1), dense, codes, y: o.y, sampleWeight: o.sampleWeight, weightSum, centers, blockComplete, kernel };
}

/** Checks sample weights: one per row, finite, non-negative, positive total. Returns a copy or null. */
export function checkSampleWeight(where: string, n: number, sampleWeight: Float64Array | undefined): Float64Array | null {
  if (sampleWeight === undefined) return null;
  if (sampleWeight.length !== n) {
    throw new DataError(`${where}: sampleWeight has ${sampleWeight.length} values but the design has ${n} rows`, { hint: 'Pass one weight per row, or no sampleWeight.', context: { argument: 'sampleWeight' } });
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = sampleWeight[i]!;
    if (!(w >= 0) || w === Infinity) {
      throw new DataError(`${where}: sampleWeight[${i}] is ${w}; weights must be finite and non-negative`, { hint: 'Fix or drop the rows with bad weights.', context: { argument: 'sampleWeight', row: i } });
    }
    total += w;
  }
  if (!(total > 0)) throw new DataError(`${where}: the sample weights sum to zero`, { hint: 'At least one row must have a positive weight.', context: { argument: 'sampleWeight' } });
  return Float64Array.from(sampleWeight);
}

/** Throws a DataError naming the option unless v is a positive finite number (an integer if asked). */
export function checkPositive(where: string, name: string, v: number, integer = false): void {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new DataError(`${where}: ${name} is ${v}; it must be a positive ${integer ? 'integer' : 'finite number'}`, { hint: `Pass a valid ${name} or omit it for the default.`, context: { argument: name } });
  }
}

/** Runs L-BFGS (no L1 part) or OWL-QN, and turns the result into FitInfo. */
export function solve(
  objective: ReturnType<typeof makeObjective>,
  x0: Float64Array,
  l1: number,
  l1Mask: (i: number) => boolean,
  options: SolveOptions,
): { result: OptimizeResult; info: FitInfo } {
  return drain(solveSteps(objective, x0, l1, l1Mask, options));
}

export interface SolveOptions { maxIter: number; gtol: number; ftol: number; memory: number; diagonal: Float64Array; afterStep?: (x: Float64Array, g: Float64Array) => number }

/** solve() as a generator of iterations (yielding before each), so a fit can run cancellably (drainAsync). */
export function* solveSteps(
  objective: ReturnType<typeof makeObjective>,
  x0: Float64Array,
  l1: number,
  l1Mask: (i: number) => boolean,
  options: SolveOptions,
): Generator<number, { result: OptimizeResult; info: FitInfo }, void> {
  let result: OptimizeResult;
  if (l1 > 0) {
    const weights = new Float64Array(x0.length);
    for (let i = 0; i < weights.length; i++) weights[i] = l1Mask(i) ? l1 : 0;
    result = yield* owlqnSteps(objective, x0, weights, { ...options, afterStep: undefined });
  } else {
    result = yield* lbfgsSteps(objective, x0, options);
  }
  const info: FitInfo = {
    converged: result.converged,
    reason: result.reason,
    iterations: result.iterations,
    evaluations: objective.evaluations(),
    objective: result.f,
    gradientNorm: result.gradientNorm,
  };
  return { result, info };
}

/** Throws a DataError naming the option unless v is a finite number >= 0. */
export function checkNonNegative(where: string, name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new DataError(`${where}: ${name} is ${v}; it must be a finite number >= 0`, { hint: `Pass a valid ${name} or omit it for the default.`, context: { argument: name } });
  }
}

/**
 * The smooth objective for a solver. `fitIntercept` false pins the intercepts: their gradient
 * is reported as zero, so a solver started at zero keeps them at zero.
 */
export function makeObjective(p: LinearProblem, l2: number, fitIntercept: boolean): SmoothObjective & { evaluations: () => number } {
  const D = p.coefs;
  const S = D + 2;
  const K = p.classes;
  const wbuf = new Float64Array(K * S);
  const gbuf = new Float64Array(K * S);
  const inv = 1 / p.weightSum;
  const mu = p.centers;
  const P = mu.length;
  let count = 0;
  const f = (x: Float64Array, grad: Float64Array): number => {
    for (let k = 0; k < K; k++) {
      const xo = k * (D + 1);
      const wo = k * S;
      for (let j = 0; j < D; j++) wbuf[wo + j] = x[xo + j]!;
      // x holds the intercept of the centered columns; the kernel reads raw columns.
      let b = x[xo + D]!;
      for (let j = 0; j < P; j++) b -= mu[j]! * x[xo + j]!;
      wbuf[wo + D] = b;
      wbuf[wo + D + 1] = 0;
    }
    gbuf.fill(0);
    const loss = p.kernel(p.dense, p.codes, p.y, p.sampleWeight, wbuf, gbuf, 0, p.n);
    count++;
    let pen = 0;
    for (let k = 0; k < K; k++) {
      const xo = k * (D + 1);
      const wo = k * S;
      const gb = gbuf[wo + D]!;
      for (let j = 0; j < D; j++) {
        const xj = x[xo + j]!;
        // Chain rule through the centered intercept: d/dw_j gains -mean_j * d/db.
        const gj = j < P ? gbuf[wo + j]! - mu[j]! * gb : gbuf[wo + j]!;
        grad[xo + j] = gj * inv + l2 * xj;
        pen += xj * xj;
      }
      grad[xo + D] = fitIntercept ? gbuf[wo + D]! * inv : 0;
    }
    return loss * inv + 0.5 * l2 * pen;
  };
  return Object.assign(f, { evaluations: () => count });
}

/**
 * Moves x along the directions that leave every prediction unchanged, to the point the L2
 * penalty prefers, and updates the objective and gradient in closed form (no data pass):
 *  - a categorical block whose codes are all known sums to the intercept column, so adding t
 *    to the whole block and -t to the intercept changes only the penalty: the block is
 *    centered (its mean moves into the intercept);
 *  - softmax is invariant to adding one vector to every class: coefficients are centered
 *    across classes.
 * These directions have curvature l2 only (zero without a penalty), which is what makes
 * L-BFGS crawl once the rest has converged. Returns the (non-positive) change of f.
 */
export function makeRecentering(p: LinearProblem, l2: number, fitIntercept: boolean): ((x: Float64Array, grad: Float64Array) => number) | undefined {
  const D = p.coefs;
  const K = p.classes;
  const offsets = blockOffsets(p.schema);
  const blocks = fitIntercept ? p.schema.categorical.map((c, b) => ({ start: offsets[b]!, size: c.cardinality })).filter((_, b) => p.blockComplete[b]) : [];
  if (blocks.length === 0 && K === 1) return undefined;
  const before = new Float64Array(p.dim);
  return (x, grad) => {
    before.set(x);
    for (let k = 0; k < K; k++) {
      const o = k * (D + 1);
      for (const { start, size } of blocks) {
        let m = 0;
        for (let c = 0; c < size; c++) m += x[o + start + c]!;
        m /= size;
        for (let c = 0; c < size; c++) x[o + start + c]! -= m;
        x[o + D]! += m;
      }
    }
    if (K > 1) {
      for (let j = 0; j <= D; j++) {
        let m = 0;
        for (let k = 0; k < K; k++) m += x[k * (D + 1) + j]!;
        m /= K;
        for (let k = 0; k < K; k++) x[k * (D + 1) + j]! -= m;
      }
    }
    // Predictions are unchanged, so the loss and its gradient are too: only the penalty moves.
    let df = 0;
    for (let k = 0; k < K; k++) {
      const o = k * (D + 1);
      for (let j = 0; j < D; j++) {
        const a = before[o + j]!;
        const b = x[o + j]!;
        df += 0.5 * l2 * (b * b - a * a);
        grad[o + j]! += l2 * (b - a);
      }
    }
    return df;
  };
}

/**
 * Diagonal curvature estimate of the objective at a constant prediction, for the
 * preconditioner: curvature[k] * (weighted mean of x_j^2) + l2 for dense column j, the same
 * with the weighted frequency of a category, curvature[k] for the intercept.
 */
export function diagonalCurvature(p: LinearProblem, curvature: Float64Array, l2: number): Float64Array {
  const D = p.coefs;
  const base = new Float64Array(D);
  const sw = p.sampleWeight;
  for (let j = 0; j < p.dense.length; j++) {
    const col = p.dense[j]!;
    let s = 0;
    for (let i = 0; i < p.n; i++) { const v = col[i]!; s += (sw === null ? 1 : sw[i]!) * v * v; }
    // Curvature of the centered column: its weighted variance.
    base[j] = Math.max(0, s / p.weightSum - p.centers[j]! * p.centers[j]!);
  }
  for (const codes of p.codes) {
    for (let i = 0; i < p.n; i++) {
      const c = codes[i]!;
      if (c < D) base[c]! += (sw === null ? 1 : sw[i]!) / p.weightSum;
    }
  }
  const diag = new Float64Array(p.dim);
  for (let k = 0; k < p.classes; k++) {
    const v = curvature[k]!;
    const o = k * (D + 1);
    for (let j = 0; j < D; j++) diag[o + j] = v * base[j]! + l2;
    diag[o + D] = v;
  }
  return diag;
}

/**
 * Splits the solver vector into row-major coefficients (classes x coefs) and intercepts
 * of the raw (uncentered) columns.
 */
export function unpack(p: LinearProblem, x: Float64Array): { coef: Float64Array; intercept: Float64Array } {
  const D = p.coefs;
  const coef = new Float64Array(p.classes * D);
  const intercept = new Float64Array(p.classes);
  for (let k = 0; k < p.classes; k++) {
    const xo = k * (D + 1);
    coef.set(x.subarray(xo, xo + D), k * D);
    let b = x[xo + D]!;
    for (let j = 0; j < p.centers.length; j++) b -= p.centers[j]! * x[xo + j]!;
    intercept[k] = b;
  }
  return { coef, intercept };
}

/** How a fit ended, reported on every model. */
export interface FitInfo {
  /** True when a tolerance was met (gradient or relative objective change) before maxIter. */
  converged: boolean;
  /**
   * 'gradient', 'objective', 'precision' (converged: tolerance met, or no step can decrease
   * the objective at floating-point resolution), 'max-iter' or 'line-search' (not
   * converged), 'closed-form' (ridge by Cholesky).
   */
  reason: 'gradient' | 'objective' | 'precision' | 'max-iter' | 'line-search' | 'closed-form';
  /** Solver iterations (accepted steps); 0 for the closed form. */
  iterations: number;
  /** Passes over the data (objective + gradient evaluations). */
  evaluations: number;
  /** Final objective, normalized by the total sample weight (penalty included). */
  objective: number;
  /** Max-abs gradient (pseudo-gradient with L1) of the normalized objective at the solution. */
  gradientNorm: number;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a numeric array field of a serialized model, or throws naming the field. */
export function numberArray(json: Record<string, unknown>, key: string, where: string, length?: number): Float64Array {
  const v = json[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || (length !== undefined && v.length !== length)) {
    throw new DataError(`${where}: field '${key}' must be an array of ${length ?? 'some'} finite numbers`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
  }
  return Float64Array.from(v as number[]);
}

/** Reads and checks a serialized DesignSchema. */
export function readSchema(json: Record<string, unknown>, where: string): DesignSchema {
  const s = json.schema;
  const bad = (): never => {
    throw new DataError(`${where}: field 'schema' must be { denseNames: string[], categorical: { name, cardinality }[] }`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
  };
  if (!isRecord(s) || !Array.isArray(s.denseNames) || !Array.isArray(s.categorical)) return bad();
  const denseNames = s.denseNames as unknown[];
  if (!denseNames.every((n) => typeof n === 'string')) return bad();
  const categorical = (s.categorical as unknown[]).map((c) => {
    if (!isRecord(c) || typeof c.name !== 'string' || !Number.isInteger(c.cardinality) || (c.cardinality as number) < 1) return bad();
    return { name: c.name, cardinality: c.cardinality as number };
  });
  return { denseNames: denseNames as string[], categorical };
}

export function readFitInfo(json: Record<string, unknown>, where: string): FitInfo {
  const f = json.fit;
  const reasons = ['gradient', 'objective', 'precision', 'max-iter', 'line-search', 'closed-form'];
  if (!isRecord(f) || typeof f.converged !== 'boolean' || typeof f.reason !== 'string' || !reasons.includes(f.reason)
    || typeof f.iterations !== 'number' || typeof f.evaluations !== 'number' || typeof f.objective !== 'number' || typeof f.gradientNorm !== 'number') {
    throw new DataError(`${where}: field 'fit' is missing or malformed`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
  }
  return { converged: f.converged, reason: f.reason as FitInfo['reason'], iterations: f.iterations, evaluations: f.evaluations, objective: f.objective, gradientNorm: f.gradientNorm };
}
