// The 'calibrated' estimator: out-of-fold scores of its base estimator fit the calibrator, the base
// is refitted on all rows, and the pair saves and loads like any estimator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import { Frame, numberColumn } from '../../src/frame/frame.ts';
import { fitEstimator, loadEstimator } from '../../src/ml/estimators.ts';
import { brierScore } from '../../src/ml/metrics/index.ts';
import { CalibratedEstimator, crossValPredict, fitIsotonic, fitPlatt, stratifiedKFold } from '../../src/ml/selection/index.ts';

/** Labels from a steep logistic curve, so an over-regularized model is badly calibrated. */
function data(n: number, seed: number): { frame: Frame; y: Float64Array } {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n }, () => rng.next() * 4 - 2);
  const y = Float64Array.from(x, (v) => (rng.next() < 1 / (1 + Math.exp(-4 * v)) ? 1 : 0));
  return { frame: new Frame([['x', numberColumn(x)]]), y };
}

for (const method of ['isotonic', 'platt'] as const) {
  test(`calibrated estimator (${method}) matches its parts, improves calibration and reloads`, async () => {
    const { frame, y } = data(1500, 1);
    const base = { type: 'logistic-regression' as const, C: 0.001 }; // heavily shrunk: probabilities squeezed towards 0.5
    const est = await fitEstimator(frame, y, { type: 'calibrated', base, method, cv: 3, seed: 5 }, { task: 'binary', categorical: [] });
    assert.ok(est instanceof CalibratedEstimator);

    // The same thing by hand: stratified shuffled folds with the same seed, out-of-fold scores, calibrator.
    const oof = await crossValPredict(y.length, stratifiedKFold(y, { k: 3, shuffle: true, seed: 5 }), {
      fit: (train) => fitEstimator(frame.take(train), Float64Array.from(train, (i) => y[i]!), base, { task: 'binary', categorical: [] }),
      predict: (m, test) => m.predict(frame.take(test)),
    });
    const byHand = method === 'isotonic' ? fitIsotonic(oof, y) : fitPlatt(oof, y);
    assert.deepEqual(est.calibrator.toJSON(), byHand.toJSON());

    const test = data(1000, 2);
    const raw = est.base.predict(test.frame);
    const calibrated = est.predict(test.frame);
    assert.ok(brierScore(test.y, calibrated) < brierScore(test.y, raw) - 0.01, `Brier ${brierScore(test.y, calibrated)} vs ${brierScore(test.y, raw)}`);
    const reloaded = loadEstimator(JSON.parse(JSON.stringify({ type: est.type, state: est.toJSON() })) as { type: string; state: never });
    assert.deepEqual(reloaded.predict(test.frame), calibrated);
  });
}

test('calibration refuses what it cannot calibrate', async () => {
  const { frame, y } = data(100, 3);
  await assert.rejects(fitEstimator(frame, y, { type: 'calibrated', base: { type: 'ridge' } }, { task: 'regression', categorical: [] }), /calibrated does not learn regression/);
  await assert.rejects(fitEstimator(frame, y, { type: 'calibrated' } as never, { task: 'binary', categorical: [] }), /needs `base`/);
  assert.throws(() => fitPlatt([0.1, NaN], [0, 1]), /score at row 1 is NaN/);
  assert.throws(() => fitIsotonic([0.1, 0.2], [0, 2]), /label at row 1 is 2; calibration needs 0\/1 labels/);
  assert.throws(() => fitIsotonic([0.1, 0.2], [0, 1], { sampleWeight: [0, 0] }), /every sample weight is zero/);
});
