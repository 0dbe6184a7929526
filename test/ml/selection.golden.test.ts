// Splitters and calibrators against scikit-learn 1.2.1 on real data sets: test/golden/selection.json,
// written once by test/golden/make_selection_golden.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitIsotonic, fitPlatt, groupKFold, kFold, stratifiedKFold, timeSeriesSplit, type Split } from '../../src/ml/selection/index.ts';
import { goldenJson } from '../helpers/golden.ts';

interface FoldsJson { train: number[]; test: number[] }
const golden = goldenJson('selection') as {
  kfold: { n: number; k: number; folds: FoldsJson[] }[];
  stratifiedKFold: { name: string; y: number[]; k: number; folds: FoldsJson[] }[];
  groupKFold: { name: string; groups: (number | string)[]; k: number; folds: FoldsJson[] }[];
  timeSeriesSplit: { n: number; options: { k: number; gap?: number; testSize?: number; maxTrainSize?: number }; folds: FoldsJson[] }[];
  platt: { name: string; scores: number[]; y: number[]; sampleWeight: number[] | null; sklearn: { a: number; b: number }; tight: { a: number; b: number }; grid: number[]; gridProba: number[] }[];
  isotonic: { name: string; scores: number[]; y: number[]; sampleWeight: number[] | null; thresholdsX: number[]; thresholdsY: number[]; grid: number[]; predictions: number[] }[];
};

function sameFolds(actual: Split[], expected: FoldsJson[]): void {
  assert.equal(actual.length, expected.length, 'number of folds');
  expected.forEach((e, f) => {
    assert.deepEqual(Array.from(actual[f]!.train), e.train, `fold ${f} train`);
    assert.deepEqual(Array.from(actual[f]!.test), e.test, `fold ${f} test`);
  });
}

for (const c of golden.kfold) test(`k-fold matches scikit-learn KFold: n=${c.n} k=${c.k}`, () => sameFolds(kFold(c.n, { k: c.k }), c.folds));
for (const c of golden.stratifiedKFold) {
  test(`stratified k-fold matches scikit-learn StratifiedKFold: ${c.name}, k=${c.k}`, () => sameFolds(stratifiedKFold(c.y, { k: c.k }), c.folds));
}
for (const c of golden.groupKFold) {
  test(`group k-fold matches scikit-learn GroupKFold: ${c.name}, k=${c.k}`, () => sameFolds(groupKFold(c.groups, { k: c.k }), c.folds));
}
for (const c of golden.timeSeriesSplit) {
  test(`time-series split matches scikit-learn TimeSeriesSplit: n=${c.n} ${JSON.stringify(c.options)}`, () => sameFolds(timeSeriesSplit(c.n, c.options), c.folds));
}

const close = (a: number, e: number, tol: number, what: string): void => {
  assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}: ${a} != ${e}`);
};

for (const c of golden.platt) {
  test(`Platt calibration matches scikit-learn _sigmoid_calibration: ${c.name}`, () => {
    const p = fitPlatt(c.scores, c.y, c.sampleWeight ? { sampleWeight: c.sampleWeight } : {});
    // The optimum itself, tightly; scikit-learn's BFGS stops at a 1e-5 gradient, so loosely.
    close(p.a, c.tight.a, 1e-7, 'a (tight optimum)');
    close(p.b, c.tight.b, 1e-7, 'b (tight optimum)');
    close(p.a, c.sklearn.a, 1e-3, 'a (scikit-learn)');
    close(p.b, c.sklearn.b, 1e-3, 'b (scikit-learn)');
    const proba = p.predict(c.grid);
    c.gridProba.forEach((e, i) => close(proba[i]!, e, 1e-7, `probability at ${c.grid[i]}`));
  });
}

for (const c of golden.isotonic) {
  test(`isotonic calibration matches scikit-learn IsotonicRegression(out_of_bounds='clip'): ${c.name}`, () => {
    const iso = fitIsotonic(c.scores, c.y, c.sampleWeight ? { sampleWeight: c.sampleWeight } : {});
    assert.equal(iso.x.length, c.thresholdsX.length, 'number of thresholds');
    c.thresholdsX.forEach((e, i) => close(iso.x[i]!, e, 1e-12, `threshold x ${i}`));
    c.thresholdsY.forEach((e, i) => close(iso.y[i]!, e, 1e-12, `threshold y ${i}`));
    const pred = iso.predict(c.grid);
    c.predictions.forEach((e, i) => close(pred[i]!, e, 1e-12, `prediction at ${c.grid[i]}`));
  });
}
