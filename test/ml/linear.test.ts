import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, SluiceError } from '../../src/core/errors.ts';
import {
  coefficientNames, designMatrix, fitElasticNet, fitLogisticRegression, fitRidge, lbfgs, LinearRegressionModel,
  LogisticRegressionModel, owlqn, schemaOf, type DesignMatrix,
} from '../../src/ml/linear/index.ts';
import { compileKernel, type KernelSpec } from '../../src/ml/linear/kernel.ts';
import { makeObjective, prepareProblem } from '../../src/ml/linear/problem.ts';

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
const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

/** A small random design: `p` dense columns (uncentered), categorical columns with some unknown codes. */
function randomDesign(n: number, p: number, cards: number[], seed: number): DesignMatrix {
  const u = rng(seed);
  const dense: Record<string, Float64Array> = {};
  for (let j = 0; j < p; j++) dense[`x${j}`] = Float64Array.from({ length: n }, () => 3 + 2 * normal(u));
  const categorical: Record<string, { codes: Int32Array; cardinality: number }> = {};
  cards.forEach((card, b) => {
    // Codes -1 and card (unknown) appear too: they must contribute nothing.
    categorical[`c${b}`] = { codes: Int32Array.from({ length: n }, () => Math.floor(u() * (card + 2)) - 1), cardinality: card };
  });
  return designMatrix({ dense, categorical });
}

/** Reference loss and gradient computed the slow, obvious way (explicit one-hot rows). */
function naive(spec: KernelSpec, X: DesignMatrix, y: ArrayLike<number>, sw: Float64Array | null, w: Float64Array): { loss: number; g: Float64Array } {
  const D = spec.coefs;
  const S = D + 2;
  const K = spec.loss === 'multinomial' ? spec.classes : 1;
  const g = new Float64Array(K * S);
  let loss = 0;
  const offsets: number[] = [];
  let off = X.dense.length;
  for (const c of X.categorical) { offsets.push(off); off += c.cardinality; }
  for (let i = 0; i < X.rows; i++) {
    const row = new Float64Array(D + 1);
    X.dense.forEach((col, j) => { row[j] = col[i]!; });
    X.categorical.forEach((c, b) => { const code = c.codes[i]!; if (code >= 0 && code < c.cardinality) row[offsets[b]! + code] = 1; });
    row[D] = 1;
    const z = Array.from({ length: K }, (_, k) => row.reduce((s, v, j) => s + v * w[k * S + j]!, 0));
    const s = sw === null ? 1 : sw[i]!;
    const yi = y[i]!;
    let r: number[];
    if (spec.loss === 'binomial') {
      const pr = 1 / (1 + Math.exp(-z[0]!));
      loss += s * (Math.log1p(Math.exp(z[0]!)) - yi * z[0]!);
      r = [s * (pr - yi)];
    } else if (spec.loss === 'squared') {
      loss += 0.5 * s * (z[0]! - yi) ** 2;
      r = [s * (z[0]! - yi)];
    } else {
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const se = e.reduce((a, b) => a + b, 0);
      loss += s * (mx + Math.log(se) - z[yi]!);
      r = e.map((v, k) => s * (v / se - (k === yi ? 1 : 0)));
    }
    for (let k = 0; k < K; k++) for (let j = 0; j <= D; j++) g[k * S + j]! += r[k]! * row[j]!;
  }
  return { loss, g };
}

for (const loss of ['binomial', 'multinomial', 'squared'] as const) {
  for (const weighted of [false, true]) {
    for (const unroll of [true, false]) {
      test(`kernel (${loss}, ${weighted ? 'weighted' : 'unweighted'}, ${unroll ? 'unrolled' : 'looped'}) equals the explicit one-hot computation`, () => {
        const X = randomDesign(1500, 3, [4, 6], 1);
        const u = rng(2);
        const K = loss === 'multinomial' ? 3 : 1;
        const spec: KernelSpec = { loss, classes: K, dense: 3, categorical: 2, coefs: 13, weighted, unroll };
        const y = loss === 'multinomial' ? Int32Array.from({ length: X.rows }, () => Math.floor(u() * 3))
          : loss === 'binomial' ? Float64Array.from({ length: X.rows }, () => (u() < 0.3 ? 1 : 0))
          : Float64Array.from({ length: X.rows }, () => normal(u));
        const sw = weighted ? Float64Array.from({ length: X.rows }, () => u() * 2) : null;
        const S = spec.coefs + 2;
        const w = Float64Array.from({ length: K * S }, (_, i) => (i % S === S - 1 ? 0 : 0.3 * normal(u)));
        const problem = prepareProblem(X, { loss, classes: K === 1 ? 2 : K, y, sampleWeight: sw, center: false, where: 'test' });
        const g = new Float64Array(K * S);
        const got = compileKernel(spec)(problem.dense, problem.codes, y, sw, w, g, 0, X.rows);
        const want = naive(spec, X, y, sw, w);
        assert.ok(Math.abs(got - want.loss) < 1e-9 * Math.abs(want.loss), `loss ${got} vs ${want.loss}`);
        for (let k = 0; k < K; k++) {
          for (let j = 0; j <= spec.coefs; j++) {
            const a = g[k * S + j]!;
            const b = want.g[k * S + j]!;
            assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `gradient[${k}, ${j}] ${a} vs ${b}`);
          }
        }
      });
    }
  }
}

test('the objective gradient (with centered columns and penalty) matches finite differences', () => {
  const X = randomDesign(400, 2, [3], 5);
  const u = rng(6);
  const y = Int32Array.from({ length: X.rows }, () => Math.floor(u() * 3));
  const p = prepareProblem(X, { loss: 'multinomial', classes: 3, y, sampleWeight: null, center: true, where: 'test' });
  const f = makeObjective(p, 0.01, true);
  const x = Float64Array.from({ length: p.dim }, () => 0.2 * normal(u));
  const g = new Float64Array(p.dim);
  f(x, g);
  const scratch = new Float64Array(p.dim);
  for (let i = 0; i < p.dim; i++) {
    const h = 1e-6;
    const xp = Float64Array.from(x); xp[i]! += h;
    const xm = Float64Array.from(x); xm[i]! -= h;
    const fd = (f(xp, scratch) - f(xm, scratch)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]!) < 1e-7, `coordinate ${i}: ${g[i]} vs finite difference ${fd}`);
  }
});

test('lbfgs minimizes the Rosenbrock function and reports how it stopped', () => {
  const r = lbfgs((x, g) => {
    const a = x[0]!;
    const b = x[1]!;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  }, Float64Array.of(-1.2, 1), { gtol: 1e-9, ftol: 0, maxIter: 200 });
  assert.ok(r.converged, JSON.stringify(r));
  assert.ok(Math.abs(r.x[0]! - 1) < 1e-6 && Math.abs(r.x[1]! - 1) < 1e-6, `x = ${r.x}`);
  assert.ok(r.iterations > 10 && r.evaluations >= r.iterations);
  const capped = lbfgs((x, g) => { g[0] = 2 * x[0]!; g[1] = 200 * x[1]!; return x[0]! ** 2 + 100 * x[1]! ** 2; }, Float64Array.of(3, 1), { maxIter: 1, gtol: 1e-12, ftol: 0 });
  assert.equal(capped.converged, false);
  assert.equal(capped.reason, 'max-iter');
  assert.equal(capped.iterations, 1);
});

test('owlqn finds the exact lasso solution with exact zeros', () => {
  // 0.5 ||x - c||^2 + l1 |x|: soft thresholding of c.
  const c = Float64Array.of(2, 0.1, -0.7, -0.2, 0);
  const l1 = 0.5;
  const r = owlqn((x, g) => {
    let f = 0;
    for (let i = 0; i < x.length; i++) { g[i] = x[i]! - c[i]!; f += 0.5 * (x[i]! - c[i]!) ** 2; }
    return f;
  }, new Float64Array(5), new Float64Array(5).fill(l1), { gtol: 1e-12 });
  assert.ok(r.converged, JSON.stringify(r));
  assert.deepEqual(Array.from(r.x, (v) => Math.round(v * 1e9) / 1e9), [1.5, 0, -0.2, 0, 0]);
  assert.equal(r.x[1], 0);
  assert.equal(r.x[3], 0);
});

test('binary logistic regression: probabilities, predictions, JSON round trip', () => {
  const X = randomDesign(3000, 2, [5], 8);
  const u = rng(9);
  const y = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    const z = 0.8 * (X.dense[0]![i]! - 3) - 0.5 * (X.dense[1]![i]! - 3) + (X.categorical[0]!.codes[i] === 2 ? 1.5 : 0) - 0.5;
    y[i] = u() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  const m = fitLogisticRegression(X, y, { C: 10 });
  assert.ok(m.fitInfo.converged, JSON.stringify(m.fitInfo));
  assert.equal(m.coef.length, 2 + 5);
  assert.ok(Math.abs(m.coef[0]! - 0.8) < 0.1 && Math.abs(m.coef[1]! + 0.5) < 0.1, `dense ${m.coef.subarray(0, 2)}`);
  assert.ok(m.coef[2 + 2]! - m.coef[2 + 1]! > 1, 'category 2 effect');
  const p = m.predictProba(X);
  assert.equal(p.length, X.rows);
  assert.ok(p.every((v) => v > 0 && v < 1));
  const pred = m.predict(X);
  for (let i = 0; i < X.rows; i++) assert.equal(pred[i], p[i]! > 0.5 ? 1 : 0);
  const json = JSON.parse(JSON.stringify(m)) as unknown;
  const copy = LogisticRegressionModel.fromJSON(json);
  assert.deepEqual(copy.predictProba(X), p);
  assert.deepEqual(copy.fitInfo, m.fitInfo);
  assert.throws(() => LogisticRegressionModel.fromJSON({ format: 'nope' }), SluiceError);
  assert.throws(() => LogisticRegressionModel.fromJSON({ ...(json as object), coef: [1, 2] }), /coef/);
});

test('unknown category codes (-1, >= cardinality) contribute zero at prediction', () => {
  const X = randomDesign(2000, 1, [3], 10);
  const u = rng(11);
  const y = Float64Array.from({ length: X.rows }, () => (u() < 0.4 ? 1 : 0));
  const m = fitLogisticRegression(X, y);
  const x0 = Float64Array.of(3, 3, 3, 3);
  const Xnew: DesignMatrix = { rows: 4, dense: [x0], denseNames: ['x0'], categorical: [{ name: 'c0', codes: Int32Array.of(-1, 3, 99, 1), cardinality: 100 }] };
  const z = m.decisionFunction(Xnew);
  const base = m.intercept[0]! + 3 * m.coef[0]!;
  assert.ok(Math.abs(z[0]! - base) < 1e-12, 'code -1');
  assert.ok(Math.abs(z[1]! - base) < 1e-12, 'code == cardinality');
  assert.ok(Math.abs(z[2]! - base) < 1e-12, 'code > cardinality');
  assert.ok(Math.abs(z[3]! - (base + m.coef[1 + 1]!)) < 1e-12, 'known code');
});

test('multinomial logistic regression with a categorical column', () => {
  const n = 40000;
  const u = rng(12);
  const x = Float64Array.from({ length: n }, () => normal(u));
  const codes = Int32Array.from({ length: n }, () => Math.floor(u() * 4));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = [0, 1.5 * x[i]!, -1.5 * x[i]! + (codes[i] === 3 ? 2 : 0)];
    const e = z.map(Math.exp);
    const s = e[0]! + e[1]! + e[2]!;
    const r = u() * s;
    y[i] = r < e[0]! ? 0 : r < e[0]! + e[1]! ? 1 : 2;
  }
  const X = designMatrix({ dense: { x }, categorical: { c: { codes, cardinality: 4 } } });
  const m = fitLogisticRegression(X, y, { C: 100 });
  assert.ok(m.fitInfo.converged, JSON.stringify(m.fitInfo));
  assert.equal(m.numClasses, 3);
  assert.equal(m.coef.length, 3 * 5);
  assert.ok(Math.abs(m.intercept.reduce((a, b) => a + b, 0)) < 1e-12, 'centered intercepts');
  // The L2 optimum has coefficients summing to zero across classes (softmax invariance).
  for (let j = 0; j < 5; j++) assert.ok(Math.abs(m.coef[j]! + m.coef[5 + j]! + m.coef[10 + j]!) < 1e-9, `coefficient ${j} not centered across classes`);
  // Class 1 minus class 0 on x is the true 1.5; class 2 minus class 0 on category 3 vs 0 is 2.
  assert.ok(Math.abs(m.coef[5]! - m.coef[0]! - 1.5) < 0.1, `x effect ${m.coef[5]! - m.coef[0]!}`);
  const catEffect = (m.coef[10 + 4]! - m.coef[10 + 1]!) - (m.coef[4]! - m.coef[1]!);
  assert.ok(Math.abs(catEffect - 2) < 0.2, `category effect ${catEffect} (${Array.from(m.coef, (v) => v.toFixed(2))})`);
  const p = m.predictProba(X);
  assert.equal(p.length, n * 3);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(p[3 * i]! + p[3 * i + 1]! + p[3 * i + 2]! - 1) < 1e-12);
  const copy = LogisticRegressionModel.fromJSON(JSON.parse(JSON.stringify(m)));
  assert.deepEqual(copy.predictProba(X), p);
});

test("classWeight 'balanced' equals the same weights passed as sample weights", () => {
  const X = randomDesign(1000, 2, [], 13);
  const u = rng(14);
  const y = Float64Array.from({ length: X.rows }, () => (u() < 0.2 ? 1 : 0));
  const pos = y.reduce((a, b) => a + b, 0);
  const w = y.map((v) => (v === 1 ? X.rows / (2 * pos) : X.rows / (2 * (X.rows - pos))));
  const a = fitLogisticRegression(X, y, { classWeight: 'balanced', tol: 1e-10 });
  const b = fitLogisticRegression(X, y, { sampleWeight: w, tol: 1e-10 });
  for (let j = 0; j < a.coef.length; j++) assert.ok(Math.abs(a.coef[j]! - b.coef[j]!) < 1e-8);
  // Balanced weights move the intercept towards zero log-odds.
  const plain = fitLogisticRegression(X, y);
  assert.ok(Math.abs(a.intercept[0]!) < Math.abs(plain.intercept[0]!));
});

test('fitIntercept false keeps the intercept at zero; l1 gives exact zeros', () => {
  const X = randomDesign(800, 4, [], 15);
  const u = rng(16);
  const y = Float64Array.from({ length: X.rows }, (_, i) => (u() < 1 / (1 + Math.exp(-(X.dense[0]![i]! - 3))) ? 1 : 0));
  const m = fitLogisticRegression(X, y, { fitIntercept: false });
  assert.equal(m.intercept[0], 0);
  const l1 = fitLogisticRegression(X, y, { penalty: 'l1', C: 0.01 });
  assert.ok(l1.fitInfo.converged, JSON.stringify(l1.fitInfo));
  assert.ok(Array.from(l1.coef).some((v) => v === 0), `coef ${l1.coef}`);
  assert.ok(l1.coef[0] !== 0, 'the informative column stays');
  const none = fitLogisticRegression(X, y, { penalty: 'none' });
  assert.ok(none.fitInfo.converged, JSON.stringify(none.fitInfo));
});

test('fitting rejects bad input with messages that say what and where', () => {
  const X = randomDesign(50, 2, [3], 17);
  const y = Float64Array.from({ length: 50 }, (_, i) => i % 2);
  assert.throws(() => fitLogisticRegression(X, y.subarray(0, 49)), (e: unknown) => e instanceof DataError && /y has 49 labels but the design has 50 rows/.test(e.message));
  assert.throws(() => fitLogisticRegression(X, new Float64Array(50)), (e: unknown) => e instanceof DataError && /class 1 has no rows/.test(e.message));
  assert.throws(() => fitLogisticRegression(X, Float64Array.from(y, (v, i) => (i === 7 ? 0.5 : v))), /y\[7\] is 0.5/);
  assert.throws(() => fitLogisticRegression(X, Float64Array.from(y, (v, i) => (i === 3 ? 2 * v + 2 : v))), /class 2 has no rows|class 3 has no rows/);
  assert.throws(() => fitLogisticRegression(X, y, { C: 0 }), /C is 0/);
  assert.throws(() => fitLogisticRegression(X, y, { penalty: 'elasticnet' }), /l1Ratio/);
  assert.throws(() => fitLogisticRegression(X, y, { sampleWeight: new Float64Array(50).fill(-1) }), /sampleWeight\[0\] is -1/);
  const bad = { ...X, dense: [X.dense[0]!, Float64Array.from(X.dense[1]!, (v, i) => (i === 4 ? NaN : v))] };
  assert.throws(() => fitLogisticRegression(bad, y), (e: unknown) => e instanceof DataError && /dense column 'x1' is NaN at row 4/.test(e.message) && e.hint !== undefined);
  const m = fitLogisticRegression(X, y);
  const renamed = { ...X, denseNames: ['x0', 'other'] };
  assert.throws(() => m.predictProba(renamed), /dense columns are \[x0, other\] but the model was fitted on \[x0, x1\]/);
  assert.throws(() => designMatrix({ dense: { a: new Float64Array(3), b: new Float64Array(2) } }), /'b' has 2 values but the design has 3 rows/);
  assert.throws(() => designMatrix({ categorical: { c: { codes: new Int32Array(2), cardinality: 0 } } }), /cardinality 0/);
});

test('coefficient names follow the layout', () => {
  const X = designMatrix({ dense: { a: new Float64Array(1) }, categorical: { c: { codes: new Int32Array(1), cardinality: 2 } } });
  assert.deepEqual(coefficientNames(schemaOf(X)), ['a', 'c=0', 'c=1']);
});

test('ridge: exact least squares, sample weights, singular designs, JSON', () => {
  const X = designMatrix({ dense: { x: Float64Array.of(0, 1, 2, 3) } });
  const m = fitRidge(X, Float64Array.of(1, 3, 5, 7), { alpha: 0 });
  assert.ok(Math.abs(m.coef[0]! - 2) < 1e-12 && Math.abs(m.intercept - 1) < 1e-12);
  // Integer weights equal repeated rows.
  const w = Float64Array.of(1, 2, 1, 3);
  const yw = Float64Array.of(1, 2, 6, 6);
  const a = fitRidge(X, yw, { alpha: 0.5, sampleWeight: w });
  const rep = designMatrix({ dense: { x: Float64Array.of(0, 1, 1, 2, 3, 3, 3) } });
  const b = fitRidge(rep, Float64Array.of(1, 2, 2, 6, 6, 6, 6), { alpha: 0.5 });
  assert.ok(Math.abs(a.coef[0]! - b.coef[0]!) < 1e-12 && Math.abs(a.intercept - b.intercept) < 1e-12);
  // A full categorical block plus the intercept is collinear without a penalty.
  const C = designMatrix({ categorical: { c: { codes: Int32Array.of(0, 1, 0, 1), cardinality: 2 } } });
  assert.throws(() => fitRidge(C, Float64Array.of(1, 2, 3, 4), { alpha: 0 }), (e: unknown) => e instanceof DataError && /singular/.test(e.message) && /alpha > 0/.test(e.hint ?? ''));
  const copy = LinearRegressionModel.fromJSON(JSON.parse(JSON.stringify(a)));
  assert.deepEqual(copy.predict(X), a.predict(X));
  assert.throws(() => fitRidge(X, Float64Array.of(1, NaN, 2, 3)), /y\[1\] is NaN/);
});

test('elastic net: lasso zeros and the l1Ratio = 0 limit equals ridge', () => {
  const X = randomDesign(500, 4, [3], 18);
  const u = rng(19);
  const y = Float64Array.from({ length: X.rows }, (_, i) => 2 * X.dense[0]![i]! + normal(u));
  const lasso = fitElasticNet(X, y, { alpha: 0.3, l1Ratio: 1 });
  assert.ok(lasso.fitInfo.converged, JSON.stringify(lasso.fitInfo));
  assert.ok(lasso.coef[0]! > 1.5);
  assert.ok(Array.from(lasso.coef.subarray(1)).filter((v) => v === 0).length >= 4, `coef ${lasso.coef}`);
  // ElasticNet's objective with l1Ratio 0 is Ridge's divided by 2n, with alpha_ridge = n * alpha.
  const en = fitElasticNet(X, y, { alpha: 0.2, l1Ratio: 0, tol: 1e-12 });
  const ridge = fitRidge(X, y, { alpha: 0.2 * X.rows });
  for (let j = 0; j < ridge.coef.length; j++) assert.ok(Math.abs(en.coef[j]! - ridge.coef[j]!) < 1e-7, `coef ${j}`);
  assert.throws(() => fitElasticNet(X, y, { l1Ratio: 2 }), /l1Ratio is 2/);
});
