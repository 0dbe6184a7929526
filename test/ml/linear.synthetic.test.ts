// Quality on a large synthetic problem shaped like the flights data: 200k rows, 3 dense
// features and two 200-category columns with skewed frequencies. Timing is not asserted
// (that belongs in benchmarks); the fit must converge and recover the true coefficients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designMatrix, fitLogisticRegression, fitRidge, type DesignMatrix } from '../../src/ml/linear/index.ts';
import { rocAuc } from '../../src/ml/metrics/index.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const N = 200_000;
const CARD = 200;
const DENSE = [0.6, -0.4, 0.25];
const INTERCEPT = -1.3;

/** Category effects with zero mean (the L2 solution centers each block, see below). */
function effects(u: () => number): Float64Array {
  const e = Float64Array.from({ length: CARD }, () => 0.5 * normal(u));
  const m = e.reduce((s, v) => s + v, 0) / CARD;
  return e.map((v) => v - m);
}

function synthetic(seed: number): { X: DesignMatrix; z: Float64Array; origin: Float64Array; dest: Float64Array } {
  const u = rng(seed);
  const origin = effects(u);
  const dest = effects(u);
  const dense = DENSE.map(() => new Float64Array(N));
  const codes = [new Int32Array(N), new Int32Array(N)];
  const z = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let zi = INTERCEPT;
    for (let j = 0; j < DENSE.length; j++) { const v = normal(u); dense[j]![i] = v; zi += DENSE[j]! * v; }
    // Skewed frequencies: the most common category ~15x the rarest (~650 rows).
    const a = Math.floor(CARD * u() ** 1.5);
    const b = Math.floor(CARD * u() ** 1.5);
    codes[0]![i] = a; codes[1]![i] = b;
    z[i] = zi + origin[a]! + dest[b]!;
  }
  const X = designMatrix({
    dense: { x0: dense[0]!, x1: dense[1]!, x2: dense[2]! },
    categorical: { origin: { codes: codes[0]!, cardinality: CARD }, dest: { codes: codes[1]!, cardinality: CARD } },
  });
  return { X, z, origin, dest };
}

function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

test('logistic regression recovers the coefficients of a 200k-row, 2 x 200-category problem', (t) => {
  const { X, z, origin, dest } = synthetic(42);
  const u = rng(7);
  const y = new Float64Array(N);
  for (let i = 0; i < N; i++) y[i] = u() < 1 / (1 + Math.exp(-z[i]!)) ? 1 : 0;
  const t0 = performance.now();
  const m = fitLogisticRegression(X, y, { C: 1 });
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(m.fitInfo.converged, JSON.stringify(m.fitInfo));
  // L2 with an unpenalized intercept puts each block's mean into the intercept, as the truth.
  for (let j = 0; j < DENSE.length; j++) assert.ok(Math.abs(m.coef[j]! - DENSE[j]!) < 0.03, `dense ${j}: ${m.coef[j]} vs ${DENSE[j]}`);
  assert.ok(Math.abs(m.intercept[0]! - INTERCEPT) < 0.05, `intercept ${m.intercept[0]}`);
  const fitOrigin = m.coef.subarray(3, 3 + CARD);
  const fitDest = m.coef.subarray(3 + CARD, 3 + 2 * CARD);
  // Standard errors are ~0.05 (common) to ~0.1 (rare categories).
  assert.ok(rms(fitOrigin, origin) < 0.1, `origin rms ${rms(fitOrigin, origin)}`);
  assert.ok(rms(fitDest, dest) < 0.1, `dest rms ${rms(fitDest, dest)}`);
  // Ranking quality equals the true model's (within sampling noise).
  const trueAuc = rocAuc(y, z);
  const fitAuc = rocAuc(y, m.predictProba(X));
  assert.ok(fitAuc > trueAuc - 0.003, `AUC ${fitAuc} vs true ${trueAuc}`);
  t.diagnostic(`fit ${seconds.toFixed(2)} s, ${m.fitInfo.iterations} iterations, ${m.fitInfo.evaluations} passes, stop: ${m.fitInfo.reason}; rms error origin ${rms(fitOrigin, origin).toFixed(3)}, dest ${rms(fitDest, dest).toFixed(3)}; AUC ${fitAuc.toFixed(4)} (true model ${trueAuc.toFixed(4)})`);
});

test('ridge recovers the coefficients of the same design (closed form and L-BFGS agree)', () => {
  const { X, z, origin, dest } = synthetic(11);
  const u = rng(3);
  const y = z.map((v) => v + normal(u));
  const m = fitRidge(X, y, { alpha: 1 });
  assert.equal(m.fitInfo.reason, 'closed-form');
  assert.ok(m.fitInfo.gradientNorm < 1e-9, `closed-form gradient ${m.fitInfo.gradientNorm}`);
  for (let j = 0; j < DENSE.length; j++) assert.ok(Math.abs(m.coef[j]! - DENSE[j]!) < 0.01, `dense ${j}: ${m.coef[j]}`);
  assert.ok(rms(m.coef.subarray(3, 3 + CARD), origin) < 0.05);
  assert.ok(rms(m.coef.subarray(3 + CARD), dest) < 0.05);
  const iterative = fitRidge(X, y, { alpha: 1, solver: 'lbfgs' });
  assert.ok(iterative.fitInfo.converged, JSON.stringify(iterative.fitInfo));
  assert.ok(rms(iterative.coef, m.coef) < 1e-5, `lbfgs vs cholesky ${rms(iterative.coef, m.coef)}`);
});
