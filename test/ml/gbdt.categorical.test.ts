// Categorical splits on small data, against scikit-learn 1.2's HistGradientBoosting on a real data
// set: Palmer penguins (test/golden/penguins.csv, 344 rows), golden metrics in
// test/golden/gbdt-categorical.json (made by test/golden/make_gbdt_categorical_golden.py).
// Same tolerances as gbdt.golden.test.ts: log loss at most 15% + 0.02 above scikit-learn's, AUC at
// most 0.02 below.
//
// The island has three categories, so its splits are one category against the rest. Such a split
// carries plain L2 (as in LightGBM); applying the categorical L2 of 10 to it as well nearly hid the
// island from a model trained on 230 rows (log loss 0.178 against scikit-learn's 0.092).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Frame, numberColumn } from '../../src/frame/frame.ts';
import { GradientBoostedTrees } from '../../src/ml/gbdt/index.ts';
import { findBestSplit } from '../../src/ml/trees/split.ts';
import { histogramLayout } from '../../src/ml/trees/histogram.ts';
import { logLoss, rocAuc } from '../../src/ml/metrics/index.ts';

interface Task { species: string; features: string[]; log_loss: number; auc: number }
const golden = JSON.parse(readFileSync(new URL('../golden/gbdt-categorical.json', import.meta.url), 'utf8')) as { tasks: Record<string, Task> };
const CATEGORIES: Record<string, string[]> = { Island: ['Biscoe', 'Dream', 'Torgersen'], Sex: ['FEMALE', 'MALE'] };

function penguins(): Record<string, string>[] {
  const [head, ...lines] = readFileSync(new URL('../golden/penguins.csv', import.meta.url), 'utf8').trim().split('\n');
  const names = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

function value(row: Record<string, string>, column: string): number {
  const v = row[column]!;
  const cats = CATEGORIES[column];
  if (cats) return cats.includes(v) ? cats.indexOf(v) : NaN;
  return v === '' ? NaN : Number(v);
}

for (const [name, task] of Object.entries(golden.tasks)) {
  test(`categorical island on small data (${name}): log loss and AUC level with HistGradientBoosting`, async () => {
    const rows = penguins();
    assert.equal(rows.length, 344);
    const pick = (test: boolean) => rows.filter((_, i) => (i % 3 === 0) === test);
    const frame = (rs: Record<string, string>[]) => new Frame(task.features.map((c) => [c, numberColumn(Float64Array.from(rs, (r) => value(r, c)))]));
    const label = (rs: Record<string, string>[]) => Float64Array.from(rs, (r) => (r['Species'] === task.species ? 1 : 0));
    const train = pick(false);
    const held = pick(true);
    const model = await new GradientBoostedTrees().fit(frame(train), label(train), {
      objective: 'binary', categoricalFeatures: task.features.filter((c) => c in CATEGORIES),
    });
    const p = model.predictProba(frame(held));
    const ll = logLoss(label(held), p);
    const auc = rocAuc(label(held), p);
    assert.ok(ll <= task.log_loss * 1.15 + 0.02, `log loss ${ll.toFixed(4)} vs scikit-learn ${task.log_loss.toFixed(4)}`);
    assert.ok(auc >= task.auc - 0.02, `AUC ${auc.toFixed(4)} vs scikit-learn ${task.auc.toFixed(4)}`);
  });
}

test('a one-category-versus-rest split is scored with plain L2; many-versus-many splits add categorical L2', () => {
  const split = (numCategories: number, maxOneHot: number) => {
    // Category c: 30 rows, gradient sum g[c], hessian 30 (squared error). No missing rows.
    const layout = histogramLayout([numCategories]);
    const hist = new Float64Array(layout.slots * 2);
    const g = [-24, 6, 9, 9, 0, 0].slice(0, numCategories);
    g.forEach((v, c) => { hist[c * 2] = v; hist[c * 2 + 1] = 30; });
    const G = g.reduce((a, b) => a + b, 0);
    const H = 30 * numCategories;
    return findBestSplit(hist, layout, [0], 1, Uint8Array.of(1), G, H, H, {
      l2: 1, minSamplesLeaf: 1, minHessianLeaf: 0, minGain: 0,
      catSmoothing: 10, catL2: 10, catMaxSetSize: 32, catMinSamples: 10, catMaxOneHot: maxOneHot,
    })!;
  };
  const gain = (gl: number, hl: number, gr: number, hr: number, lam: number) =>
    0.5 * (gl * gl / (hl + lam) + gr * gr / (hr + lam) - (gl + gr) ** 2 / (hl + hr + 1));
  // Four categories, one-hot mode: category 0 alone against the rest, with L2 = 1 only.
  const one = split(4, 4);
  assert.equal(one.categorical, true);
  assert.equal(one.lut[0], 1);
  assert.deepEqual([one.lut[1], one.lut[2], one.lut[3]], [0, 0, 0]);
  assert.ok(Math.abs(one.gain - gain(-24, 30, 24, 90, 1)) < 1e-9, `gain ${one.gain}`);
  // Six categories, sorted mode: the same best set, its children regularized by 1 + 10.
  const many = split(6, 4);
  assert.equal(many.lut[0], 1);
  assert.ok(Math.abs(many.gain - (0.5 * ((-24) ** 2 / (30 + 11) + 24 ** 2 / (150 + 11) - 0 / 181))) < 1e-9, `gain ${many.gain}`);
});
