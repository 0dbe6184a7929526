// Quality against scikit-learn 1.2's RandomForestClassifier / RandomForestRegressor on real data
// sets: golden metrics in test/golden/forest.json (made once by test/golden/make_forest_golden.py),
// same deterministic split (row i is a test row when i % 3 == 0), 100 trees, scikit-learn's
// defaults otherwise (Sluice's defaults match them).
//
// A forest is random, so the golden file holds scikit-learn's metrics over 5 seeds (min, mean,
// max) and Sluice's forest (seed 0) must land within that spread widened by:
//   accuracy and OOB accuracy: 0.02 (one test row of iris; two of wine), AUC: 0.01,
//   Brier score: 0.005, mean probability of the true class: 0.02,
//   R²: 0.03 (OOB R²: 0.04), RMSE: 3%,
//   feature importance: cosine similarity with scikit-learn's mean importance >= 0.97 (0.99 measured).
// The two differ in binning (255 quantile bins against exact thresholds), in the bootstrap
// (Poisson counts against a multinomial draw) and in their random streams, so equality is not
// expected; being better is always fine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn } from '../../src/frame/frame.ts';
import { RandomForest } from '../../src/ml/forest/index.ts';
import { accuracy, brierScore, r2, rmse, rocAuc } from '../../src/ml/metrics/index.ts';
import { goldenJson, loadDataset, type NumericDataset } from '../helpers/golden.ts';

interface Spread { mean: number; min: number; max: number }
interface GoldenSet { classes?: number; importance: number[]; [metric: string]: Spread | number[] | number | undefined }
const golden = goldenJson<Record<string, GoldenSet>>('forest');

function set(name: string): GoldenSet {
  const g = golden[name];
  assert.ok(g, `test/golden/forest.json has no data set "${name}"`);
  return g;
}

function spread(g: GoldenSet, metric: string): Spread {
  const v = g[metric];
  assert.ok(typeof v === 'object' && v !== null && 'min' in v, `the golden data set lacks metric "${metric}"`);
  return v;
}

function split(d: NumericDataset): { train: Frame; ytrain: Float64Array; test: Frame; ytest: Float64Array } {
  const tr: number[] = [];
  const te: number[] = [];
  d.y.forEach((_, i) => (i % 3 === 0 ? te : tr).push(i));
  const F = d.x[0]!.length;
  const frame = (rows: number[]): Frame => new Frame(Array.from({ length: F }, (_, f) => [`f${f}`, numberColumn(Float64Array.from(rows, (i) => d.x[i]![f]!))]));
  return { train: frame(tr), ytrain: Float64Array.from(tr, (i) => d.y[i]!), test: frame(te), ytest: Float64Array.from(te, (i) => d.y[i]!) };
}

function atLeast(name: string, value: number, g: Spread, tol: number): void {
  assert.ok(value >= g.min - tol, `${name} ${value.toFixed(4)} is below scikit-learn's ${g.min.toFixed(4)}..${g.max.toFixed(4)} (mean ${g.mean.toFixed(4)}) by more than ${tol}`);
}

function atMost(name: string, value: number, g: Spread, limit: number): void {
  assert.ok(value <= limit, `${name} ${value.toFixed(4)} is above scikit-learn's ${g.min.toFixed(4)}..${g.max.toFixed(4)} (mean ${g.mean.toFixed(4)}) by more than allowed (${limit.toFixed(4)})`);
}

function checkImportance(forest: RandomForest, expected: number[]): void {
  const imp = Object.values(forest.featureImportance());
  assert.equal(imp.length, expected.length, 'one importance per feature');
  const sum = imp.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `importances sum to ${sum}, expected 1`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  imp.forEach((v, f) => { dot += v * expected[f]!; na += v * v; nb += expected[f]! * expected[f]!; });
  const cos = dot / Math.sqrt(na * nb);
  assert.ok(cos >= 0.97, `importance cosine similarity with scikit-learn's is ${cos.toFixed(3)} (< 0.97)`);
}

/** Mean probability given to each test row's true class. */
function trueClassProba(p: Float64Array, y: Float64Array, k: number): number {
  let s = 0;
  for (let r = 0; r < y.length; r++) s += k === 1 ? (y[r] === 1 ? p[r]! : 1 - p[r]!) : p[r * k + y[r]!]!;
  return s / y.length;
}

test('breast cancer (binary): accuracy, AUC, Brier, OOB and importance within scikit-learn\'s spread', async () => {
  const g = set('breast_cancer');
  const { train, ytrain, test: te, ytest } = split(loadDataset('breast_cancer'));
  const forest = await new RandomForest({ numTrees: 100, seed: 0, oobScore: true, threads: 1 }).fit(train, ytrain);
  assert.equal(forest.task, 'binary', 'labels 0/1 make a binary forest');
  const p = forest.predictProba(te);
  atLeast('accuracy', accuracy(ytest, forest.predict(te)), spread(g, 'accuracy'), 0.02);
  atLeast('AUC', rocAuc(ytest, p), spread(g, 'auc'), 0.01);
  atMost('Brier score', brierScore(ytest, p), spread(g, 'brier'), spread(g, 'brier').max + 0.005);
  atLeast('true-class probability', trueClassProba(p, ytest, 1), spread(g, 'true_class_proba'), 0.02);
  atLeast('OOB accuracy', forest.oobScore!, spread(g, 'oob_score'), 0.02);
  checkImportance(forest, g.importance);
});

for (const name of ['iris', 'wine', 'digits'] as const) {
  test(`${name} (multiclass): accuracy, probabilities, OOB and importance within scikit-learn's spread`, async () => {
    const g = set(name);
    const k = g.classes ?? 0;
    const { train, ytrain, test: te, ytest } = split(loadDataset(name));
    const forest = await new RandomForest({ task: 'multiclass', numTrees: 100, seed: 0, oobScore: true, threads: 1 }).fit(train, ytrain);
    const p = forest.predictProba(te);
    assert.equal(p.length, ytest.length * k, 'row-major probabilities, one per class');
    for (let r = 0; r < ytest.length; r++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += p[r * k + c]!;
      assert.ok(Math.abs(s - 1) < 1e-9, `row ${r} probabilities sum to ${s}`);
    }
    atLeast('accuracy', accuracy(ytest, forest.predict(te)), spread(g, 'accuracy'), 0.02);
    atLeast('true-class probability', trueClassProba(p, ytest, k), spread(g, 'true_class_proba'), 0.02);
    atLeast('OOB accuracy', forest.oobScore!, spread(g, 'oob_score'), 0.02);
    checkImportance(forest, g.importance);
  });
}

for (const name of ['diabetes', 'boston'] as const) {
  test(`${name} (regression): R², RMSE, OOB R² and importance within scikit-learn's spread`, async () => {
    const g = set(name);
    const { train, ytrain, test: te, ytest } = split(loadDataset(name));
    // diabetes' targets are whole numbers: the task must be said (they could be class codes).
    const forest = await new RandomForest({ task: 'regression', numTrees: 100, seed: 0, oobScore: true, threads: 1 }).fit(train, ytrain);
    assert.equal(forest.task, 'regression');
    const pred = forest.predict(te);
    atLeast('R²', r2(ytest, pred), spread(g, 'r2'), 0.03);
    atMost('RMSE', rmse(ytest, pred), spread(g, 'rmse'), spread(g, 'rmse').max * 1.03);
    atLeast('OOB R²', forest.oobScore!, spread(g, 'oob_score'), 0.04);
    checkImportance(forest, g.importance);
  });
}
