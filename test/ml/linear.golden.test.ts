// Linear models against scikit-learn 1.2.1 on the same inputs (test/golden/linear.json,
// written by test/golden/make_linear_golden.py): coefficients within 1e-4, same sparsity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitElasticNet, fitLogisticRegression, fitRidge, LinearRegressionModel, LogisticRegressionModel, type DesignMatrix,
} from '../../src/ml/linear/index.ts';
import { goldenJson } from '../helpers/golden.ts';

interface Dataset { dense: number[][]; denseNames: string[]; categorical: { name: string; codes: number[]; cardinality: number }[]; y: number[] }
interface Case {
  name: string; model: 'logistic' | 'ridge' | 'lasso' | 'elasticnet'; dataset: string;
  params: { C?: number; penalty?: 'l2' | 'l1' | 'elasticnet'; l1_ratio?: number; alpha?: number };
  sampleWeight: number[] | null; classWeight?: 'balanced' | null;
  coef: number[][]; intercept: number[]; proba?: number[]; pred?: number[];
}
const golden = goldenJson('linear') as { datasets: Record<string, Dataset>; cases: Case[] };

function design(d: Dataset): DesignMatrix {
  return {
    rows: d.y.length,
    dense: d.dense.map((c) => Float64Array.from(c)),
    denseNames: d.denseNames,
    categorical: d.categorical.map((c) => ({ name: c.name, codes: Int32Array.from(c.codes), cardinality: c.cardinality })),
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * scikit-learn's one-hot columns + intercept are collinear for a categorical block without
 * unknown codes; the penalty makes the solution unique, so coefficients compare directly.
 */
for (const c of golden.cases) {
  test(`${c.model} matches scikit-learn: ${c.name}`, () => {
    const d = golden.datasets[c.dataset]!;
    const X = design(d);
    const y = Float64Array.from(d.y);
    const sampleWeight = c.sampleWeight === null ? undefined : Float64Array.from(c.sampleWeight);
    const expectedCoef = c.coef.flat();
    if (c.model === 'logistic') {
      const penalty = c.params.penalty ?? 'l2';
      const m = fitLogisticRegression(X, y, {
        C: c.params.C, penalty, l1Ratio: c.params.l1_ratio, sampleWeight,
        classWeight: c.classWeight ?? undefined, tol: 1e-10, ftol: 0, maxIter: 5000,
      });
      assert.ok(m.fitInfo.converged, `not converged: ${JSON.stringify(m.fitInfo)}`);
      const coefGap = maxDiff(m.coef, expectedCoef);
      assert.ok(coefGap < 1e-4, `coefficients differ by ${coefGap}`);
      // Multinomial intercepts are defined up to a common shift: compare centered.
      const center = (v: ArrayLike<number>): number[] => { const a = Array.from(v); const mu = a.reduce((s, x) => s + x, 0) / a.length; return a.length > 1 ? a.map((x) => x - mu) : a; };
      const interceptGap = maxDiff(center(m.intercept), center(c.intercept));
      assert.ok(interceptGap < 1e-4, `intercepts differ by ${interceptGap}`);
      if (penalty !== 'l2') {
        // Same sparsity pattern: exact zeros where scikit-learn has exact zeros.
        const zeros = (v: ArrayLike<number>): string => Array.from(v, (x) => (x === 0 ? '0' : 'x')).join('');
        assert.equal(zeros(m.coef), zeros(expectedCoef), 'sparsity pattern');
      }
      const proba = m.predictProba(X).subarray(0, c.proba!.length);
      assert.ok(maxDiff(proba, c.proba!) < 1e-5, 'predictProba');
      const copy = LogisticRegressionModel.fromJSON(JSON.parse(JSON.stringify(m)));
      assert.deepEqual(copy.predictProba(X), m.predictProba(X));
    } else {
      const m = c.model === 'ridge'
        ? fitRidge(X, y, { alpha: c.params.alpha, sampleWeight })
        : fitElasticNet(X, y, { alpha: c.params.alpha, l1Ratio: c.model === 'lasso' ? 1 : c.params.l1_ratio, sampleWeight, tol: 1e-10, ftol: 0, maxIter: 20000 });
      assert.ok(m.fitInfo.converged, `not converged: ${JSON.stringify(m.fitInfo)}`);
      // Raw diabetes features have large scales: compare relative to the coefficient size.
      const scale = Math.max(1, ...expectedCoef.map(Math.abs));
      const coefGap = maxDiff(m.coef, expectedCoef) / scale;
      assert.ok(coefGap < 1e-4, `coefficients differ by ${coefGap} (relative)`);
      assert.ok(Math.abs(m.intercept - c.intercept[0]!) / Math.max(1, Math.abs(c.intercept[0]!)) < 1e-4, `intercept ${m.intercept} vs ${c.intercept[0]}`);
      if (c.model !== 'ridge') {
        const zeros = (v: ArrayLike<number>): string => Array.from(v, (x) => (x === 0 ? '0' : 'x')).join('');
        assert.equal(zeros(m.coef), zeros(expectedCoef), 'sparsity pattern');
      }
      const pred = m.predict(X).subarray(0, c.pred!.length);
      assert.ok(maxDiff(pred, c.pred!) / scale < 1e-4, 'predict');
      const copy = LinearRegressionModel.fromJSON(JSON.parse(JSON.stringify(m)));
      assert.deepEqual(copy.predict(X), m.predict(X));
    }
  });
}
