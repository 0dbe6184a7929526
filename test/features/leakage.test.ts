// No leakage: inside cross-validation, scalers and target encoders are fitted on the training folds
// only, and the out-of-fold target encoding of a training row never uses that row's own label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import {
  fitStandardScaler, fitTargetEncoder, kFoldAssignment, fitTransformColumnTransformer, fitTransformTargetEncoder, type ColumnPart,
} from '../../src/features/index.ts';
import { rocAuc } from '../../src/ml/metrics/index.ts';
import { crossValidate, kFold, stratifiedKFold } from '../../src/ml/selection/index.ts';

/** Rows with a numeric x, a category with a real effect, and a binary label. */
function data(n: number, seed: number): Frame {
  const rng = new Rng(seed);
  const x = new Float64Array(n), y = new Float64Array(n);
  const city: string[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = rng.next() * 10;
    const c = rng.int(12);
    city.push(`c${c}`);
    y[i] = rng.next() < 0.2 + c * 0.05 ? 1 : 0;
  }
  return new Frame([['x', numberColumn(x)], ['city', stringColumn(city)], ['y', numberColumn(y)]]);
}

const parts: ColumnPart[] = [
  { name: 'num', columns: ['x'], fit: fitStandardScaler },
  { name: 'cat', columns: ['city'], fit: (f, c) => fitTransformTargetEncoder(f, c, { target: 'y', seed: 5 }) },
];

/** Copy of `frame` where the given rows carry absurd features and flipped labels. */
function poison(frame: Frame, rows: Int32Array): Frame {
  const x = Float64Array.from(frame.numbers('x'));
  const y = Float64Array.from(frame.numbers('y'));
  const city = frame.strings('city');
  const codes = Int32Array.from(city.codes);
  const dictionary = [...city.dictionary, 'poison'];
  for (const i of rows) { x[i] = 1e9; y[i] = 1 - y[i]!; codes[i] = dictionary.length - 1; }
  return new Frame([['x', numberColumn(x)], ['city', { kind: 'string', codes, dictionary }], ['y', numberColumn(y)]]);
}

test('in cross-validation, the scaler and the target encoder see only the training folds', async () => {
  const frame = data(400, 1);
  const splits = stratifiedKFold(frame.numbers('y'), { k: 5, shuffle: true, seed: 2 });
  const fitted: string[] = [];
  const fitFold = (f: Frame) => async (train: Int32Array) => {
    const { transformer } = fitTransformColumnTransformer(f.take(train), parts);
    return transformer;
  };
  await crossValidate(splits, {
    fit: fitFold(frame),
    score: (t, test, fold) => {
      fitted.push(JSON.stringify(t.toJSON()));
      // The scaler's statistics are the training rows' own.
      const train = splits[fold]!.train;
      const xs = Array.from(train, (i) => frame.numbers('x')[i]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const scaler = t.parts[0]!.transformer as unknown as { means: number[] };
      assert.ok(Math.abs(scaler.means[0]! - mean) < 1e-9, `fold ${fold}: scaler mean is the training mean`);
      return t.transform(frame.take(test)).numRows;
    },
  });
  // Poisoning every test fold's rows (features, categories and labels) changes nothing that was fitted.
  for (const [fold, split] of splits.entries()) {
    const poisoned = poison(frame, split.test);
    const t = await fitFold(poisoned)(split.train);
    assert.equal(JSON.stringify(t.toJSON()), fitted[fold], `fold ${fold}: fitted state independent of the test rows`);
  }
});

test("out of fold, a training row's encoding does not depend on its own label", () => {
  const frame = data(300, 3);
  // Fixed folds: with the default stratified folds, flipping a label would also move rows between folds.
  const folds = kFoldAssignment(300, 5, { seed: 9 });
  const base = fitTransformTargetEncoder(frame, ['city'], { target: 'y', folds }).output.numbers('city');
  const inSample = fitTargetEncoder(frame, ['city'], { target: 'y' }).transform(frame).numbers('city');
  for (const row of [0, 17, 123, 299]) {
    const y = Float64Array.from(frame.numbers('y'));
    y[row] = 1 - y[row]!;
    const flipped = frame.withColumn('y', numberColumn(y));
    const oof = fitTransformTargetEncoder(flipped, ['city'], { target: 'y', folds }).output.numbers('city');
    assert.equal(oof[row], base[row], `row ${row}: its out-of-fold encoding ignores its own label`);
    const leaky = fitTargetEncoder(flipped, ['city'], { target: 'y' }).transform(flipped).numbers('city');
    assert.notEqual(leaky[row], inSample[row], `row ${row}: the in-sample encoding would have used it`);
  }
});

test('a target-encoded noise column: in-sample encoding fakes skill, out-of-fold encoding shows none', () => {
  // Labels independent of a high-cardinality category: any apparent skill is leakage.
  const rng = new Rng(11);
  const n = 2000;
  const y = Float64Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
  const id = Array.from({ length: n }, () => `u${rng.int(500)}`);
  const frame = new Frame([['id', stringColumn(id)], ['y', numberColumn(y)]]);
  const leaky = fitTargetEncoder(frame, ['id'], { target: 'y', smooth: 1 }).transform(frame).numbers('id');
  const oof = fitTransformTargetEncoder(frame, ['id'], { target: 'y', smooth: 1, seed: 4 }).output.numbers('id');
  const aucLeaky = rocAuc(y, leaky), aucOof = rocAuc(y, oof);
  assert.ok(aucLeaky > 0.75, `in-sample AUC ${aucLeaky}`);
  assert.ok(Math.abs(aucOof - 0.5) < 0.06, `out-of-fold AUC ${aucOof}`);
});

test('k-fold cross-validation scores a target-encoded feature on held-out rows only', async () => {
  const frame = data(600, 7);
  const y = frame.numbers('y');
  const cv = await crossValidate(kFold(600, { k: 5, shuffle: true, seed: 1 }), {
    fit: (train) => fitTransformColumnTransformer(frame.take(train), parts).transformer,
    score: (t, test) => rocAuc(Float64Array.from(test, (i) => y[i]!), t.transform(frame.take(test)).numbers('city')),
  });
  // The category carries real signal (rates 0.2 .. 0.75), which held-out rows confirm.
  assert.ok(cv.mean.score! > 0.6 && cv.mean.score! < 0.85, `held-out AUC ${cv.mean.score}`);
});
