import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/core/errors.ts';
import {
  accuracy, argsortAscending, averagePrecision, brierScore, calibrationCurve, confusionMatrix, f1, logLoss, mae, mape,
  precision, precisionRecallCurve, r2, recall, rmse, rocAuc, rocCurve,
} from '../../src/ml/metrics/index.ts';

const f = (...v: number[]): Float64Array => Float64Array.from(v);

/** Asserts a DataError whose message matches and that carries a hint. */
function throwsData(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.ok(e.hint !== undefined && e.hint.length > 0, 'hint');
    return true;
  });
}

test('documented examples', () => {
  const y = f(0, 0, 1, 1);
  const s = f(0.1, 0.4, 0.35, 0.8);
  assert.equal(rocAuc(y, s), 0.75);
  assert.ok(Math.abs(averagePrecision(y, s) - 0.8333333333333333) < 1e-15);
  const roc = rocCurve(y, s);
  assert.deepEqual(Array.from(roc.fpr), [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(Array.from(roc.tpr), [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(Array.from(roc.thresholds), [1.8, 0.8, 0.4, 0.35, 0.1]);
  const pr = precisionRecallCurve(y, s);
  assert.deepEqual(Array.from(pr.recall), [1, 1, 0.5, 0.5, 0]);
  assert.deepEqual(Array.from(pr.thresholds), [0.1, 0.35, 0.4, 0.8]);
  assert.ok(Math.abs(logLoss(f(0, 1), f(0.2, 0.7)) - (-Math.log(0.8) - Math.log(0.7)) / 2) < 1e-15);
  assert.ok(Math.abs(logLoss(f(2), f(0.1, 0.2, 0.7)) + Math.log(0.7)) < 1e-15);
  assert.ok(Math.abs(brierScore(f(0, 1, 1), f(0.1, 0.9, 0.8)) - 0.02) < 1e-15);
  assert.equal(accuracy(f(0, 1, 2, 2), f(0, 2, 2, 2)), 0.75);
  assert.deepEqual(Array.from(confusionMatrix(f(0, 1, 1), f(0, 0, 1)).matrix), [1, 0, 1, 1]);
  assert.equal(precision(f(0, 1, 1), f(1, 1, 0)), 0.5);
  assert.equal(recall(f(0, 1, 1), f(1, 1, 0)), 0.5);
  assert.ok(Math.abs(f1(f(0, 1, 2, 2), f(0, 2, 2, 2), { average: 'macro' }) - 0.6) < 1e-15);
  assert.ok(Math.abs(rmse(f(1, 2), f(1, 4)) - Math.SQRT2) < 1e-15);
  assert.equal(mae(f(1, 2), f(2, 4)), 1.5);
  assert.ok(Math.abs(mape(f(100, 200), f(110, 180)) - 0.1) < 1e-15);
  assert.equal(r2(f(1, 2, 3), f(1, 2, 4)), 0.5);
  const cal = calibrationCurve(f(0, 0, 0, 0, 1, 1, 1, 1, 1), f(0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1), { nBins: 3 });
  assert.deepEqual(Array.from(cal.probTrue), [0, 0.5, 1]);
  assert.deepEqual(Array.from(cal.probPred, (v) => Math.round(v * 1e12) / 1e12), [0.2, 0.525, 0.85]);
});

test('ties count as half right in the AUC', () => {
  assert.equal(rocAuc(f(0, 1), f(0.5, 0.5)), 0.5);
  assert.equal(rocAuc(f(0, 1, 0, 1), f(0.2, 0.2, 0.1, 0.9)), 0.875);
  // Zero-weight rows are ignored entirely.
  assert.equal(rocAuc(f(0, 1, 1), f(0.1, 0.9, 0.0), { sampleWeight: f(1, 1, 0) }), 1);
});

test('errors: length mismatch, empty input, NaN, single class, bad labels, bad weights', () => {
  throwsData(() => rocAuc(f(0, 1), f(0.5)), /rocAuc: yTrue has 2 values but yScore has 1/);
  throwsData(() => rocAuc(f(), f()), /rocAuc: yTrue is empty/);
  throwsData(() => rocAuc(f(0, 1, 1), f(0.1, NaN, 0.3)), /rocAuc: yScore\[1\] is NaN/);
  throwsData(() => rocAuc(f(0, 1), f(0.1, Infinity)), /yScore\[1\] is Infinity/);
  throwsData(() => rocAuc(f(1, 1, 1), f(0.1, 0.2, 0.3)), /rocAuc: yTrue contains only class 1/);
  throwsData(() => rocAuc(f(0, 0), f(0.1, 0.2)), /only class 0/);
  throwsData(() => rocAuc(f(0, 2), f(0.1, 0.2)), /yTrue\[1\] is 2; binary labels must be 0 or 1/);
  throwsData(() => averagePrecision(f(0, 0), f(0.1, 0.2)), /no positive rows/);
  throwsData(() => rocAuc(f(0, 1), f(0.1, 0.2), { sampleWeight: f(1) }), /sampleWeight has 1 values but there are 2 rows/);
  throwsData(() => rocAuc(f(0, 1), f(0.1, 0.2), { sampleWeight: f(1, -1) }), /sampleWeight\[1\] is -1/);
  throwsData(() => rocAuc(f(0, 1), f(0.1, 0.2), { sampleWeight: f(0, 0) }), /sum to zero/);
  throwsData(() => logLoss(f(0, 1), f(0.1, 0.2, 0.3)), /not a multiple of the 2 rows/);
  throwsData(() => logLoss(f(0, 3), f(0.1, 0.9, 0.2, 0.8)), /yTrue\[1\] is class 3 but yProb has probabilities for 2 classes/);
  throwsData(() => logLoss(f(0, 1), f(0.1, 1.2)), /yProb\[1\] is 1.2; probabilities must be within \[0, 1\]/);
  throwsData(() => brierScore(f(0, 1), f(0.1, -0.2)), /yProb\[1\] is -0.2/);
  throwsData(() => calibrationCurve(f(0, 1), f(0.1, 0.2), { nBins: 0 }), /nBins is 0/);
  throwsData(() => f1(f(0, 1, 2), f(0, 1, 1)), /average 'binary' needs at most two labels but found 3/);
  throwsData(() => precision(f(0, 2), f(2, 0)), /posLabel 1 is not one of the labels 0, 2/);
  throwsData(() => r2(f(1), f(1)), /fewer than two rows/);
  throwsData(() => mae(f(1, NaN), f(1, 2)), /mae: yTrue\[1\] is NaN/);
});

test('log loss clips probabilities of exactly 0 and 1 (finite loss)', () => {
  const v = logLoss(f(1, 0), f(0, 1));
  assert.ok(Number.isFinite(v) && v > 30, `${v}`);
  assert.ok(Math.abs(logLoss(f(1, 0), f(0, 1), { eps: 1e-7 }) + Math.log(1e-7)) < 1e-8);
});

test('argsortAscending: radix path equals a stable comparator sort, with ties, negatives and -0', () => {
  let seed = 1;
  const next = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  for (const n of [10, 1023, 1024, 5000]) {
    const v = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -0 : i % 11 === 0 ? 0 : Math.round((next() - 0.5) * 200) / 10 * (i % 5 === 0 ? 1e-300 : 1)));
    const got = argsortAscending(v);
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
    assert.deepEqual(Array.from(got), want, `n = ${n}`);
  }
  const special = f(Infinity, -Infinity, 1e308, -1e308, 5e-324, -5e-324, 0, -0);
  const big = Float64Array.from({ length: 2048 }, (_, i) => special[i % special.length]!);
  const got = argsortAscending(big);
  for (let k = 1; k < got.length; k++) {
    const a = big[got[k - 1]!]!;
    const b = big[got[k]!]!;
    assert.ok(a < b || (a === b && got[k - 1]! < got[k]!), `order broken at ${k}`);
  }
});

test('rocAuc on a million rows stays fast (O(n) radix sort)', (t) => {
  const n = 1_000_000;
  let seed = 3;
  const next = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const y = new Float64Array(n);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) { y[i] = next() < 0.2 ? 1 : 0; s[i] = Math.round((next() + 0.3 * y[i]!) * 1000) / 1000; }
  const t0 = performance.now();
  const auc = rocAuc(y, s);
  t.diagnostic(`rocAuc on 1M rows: ${(performance.now() - t0).toFixed(0)} ms`);
  // Mann-Whitney U with ties counted half, computed by brute force over the 1001 score levels.
  const pos = new Float64Array(1301);
  const neg = new Float64Array(1301);
  for (let i = 0; i < n; i++) (y[i] === 1 ? pos : neg)[Math.round(s[i]! * 1000)]!++;
  let u = 0;
  let negBelow = 0;
  let P = 0;
  let N = 0;
  for (let k = 0; k < 1301; k++) { u += pos[k]! * (negBelow + neg[k]! / 2); negBelow += neg[k]!; P += pos[k]!; N += neg[k]!; }
  assert.ok(Math.abs(auc - u / (P * N)) < 1e-12, `${auc} vs ${u / (P * N)}`);
});
