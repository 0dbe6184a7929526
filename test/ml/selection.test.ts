// Splits and cross-validation: partitions, seeds, gaps, and the errors that name what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/core/errors.ts';
import {
  crossValidate, crossValPredict, groupKFold, kFold, randomSplit, stratifiedKFold, stratifiedSplit, timeSeriesSplit, timeSplit, type Split,
} from '../../src/ml/selection/index.ts';

function assertPartition(s: Split, n: number): void {
  const seen = new Uint8Array(n);
  for (const i of [...s.train, ...s.test]) { assert.equal(seen[i], 0, `row ${i} twice`); seen[i] = 1; }
  assert.ok(seen.every((v) => v === 1), 'every row on one side');
  assert.deepEqual(Array.from(s.train), Array.from(s.train).sort((a, b) => a - b), 'train ascending');
  assert.deepEqual(Array.from(s.test), Array.from(s.test).sort((a, b) => a - b), 'test ascending');
}

test('random split: rounds the test size up, is reproducible from its seed, differs across seeds', () => {
  const a = randomSplit(101, { testSize: 0.2, seed: 5 });
  assertPartition(a, 101);
  assert.equal(a.test.length, 21); // ceil(0.2 * 101), as train_test_split
  assert.deepEqual(randomSplit(101, { testSize: 0.2, seed: 5 }), a);
  assert.notDeepEqual(Array.from(randomSplit(101, { testSize: 0.2, seed: 6 }).test), Array.from(a.test));
  assert.deepEqual(Array.from(randomSplit(10, { testSize: 3, shuffle: false }).test), [7, 8, 9]);
  assert.throws(() => randomSplit(10, { testSize: 10 }), /leaves no training rows/);
  assert.throws(() => randomSplit(10, { testSize: 1.5 }), /fraction in \(0, 1\) or a whole number/);
});

test('stratified split keeps each class share on both sides', () => {
  const y = Float64Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : i % 10 < 4 ? 2 : 0)); // 10% / 30% / 60%
  const s = stratifiedSplit(y, { testSize: 0.25, seed: 3 });
  assertPartition(s, 1000);
  assert.equal(s.test.length, 250);
  const share = (rows: Int32Array, c: number): number => rows.reduce((a, i) => a + (y[i] === c ? 1 : 0), 0) / rows.length;
  for (const c of [0, 1, 2]) assert.ok(Math.abs(share(s.test, c) - share(s.train, c)) < 0.01, `class ${c}`);
  assert.throws(() => stratifiedSplit(Float64Array.from([0, 0, 0, 1]), { testSize: 0.5 }), /only 1 row/);
});

test('time split: the test part is the latest rows, the gap is left out, equal times stay together', () => {
  const DAY = 86_400_000;
  const times = Float64Array.from({ length: 100 }, (_, i) => Date.UTC(2024, 0, 1) + Math.floor(i / 2) * DAY); // two rows a day
  const s = timeSplit(times, { testSize: 0.21, gap: 3 * DAY });
  const cutoff = Math.min(...Array.from(s.test, (i) => times[i]!));
  assert.ok(Array.from(s.train).every((i) => times[i]! < cutoff - 3 * DAY + 1), 'training ends a gap before the cutoff');
  assert.equal(s.test.length, 22, 'the tied row of the cutoff day joins the test part');
  assert.equal(s.train.length + s.test.length, 100 - 6, 'three days (six rows) fall in the gap');
  const byCutoff = timeSplit(times, { cutoff: times[80]! });
  assert.deepEqual(Array.from(byCutoff.test), Array.from({ length: 20 }, (_, i) => 80 + i));
  assert.throws(() => timeSplit(times, { cutoff: times[99]! + DAY }), /no row at or after the cutoff/);
  assert.throws(() => timeSplit(times, { cutoff: times[10]!, gap: 30 * DAY }), /no row before the cutoff/);
  assert.throws(() => timeSplit(Float64Array.from([1, NaN, 3])), (e: unknown) => e instanceof DataError && /missing at row 1/.test(e.message));
});

test('k-fold with a seed shuffles reproducibly and still partitions the rows', () => {
  const folds = kFold(53, { k: 4, shuffle: true, seed: 9 });
  const all = folds.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 53 }, (_, i) => i));
  folds.forEach((f) => assertPartition(f, 53));
  assert.deepEqual(folds.map((f) => f.test.length), [14, 13, 13, 13]);
  assert.deepEqual(kFold(53, { k: 4, shuffle: true, seed: 9 }), folds);
  assert.notDeepEqual(kFold(53, { k: 4, shuffle: true, seed: 10 })[0]!.test, folds[0]!.test);
});

test('stratified k-fold with shuffling keeps class shares in every fold', () => {
  const y = Float64Array.from({ length: 300 }, (_, i) => (i < 60 ? 1 : 0));
  for (const f of stratifiedKFold(y, { k: 5, shuffle: true, seed: 2 })) {
    assert.equal(Array.from(f.test).filter((i) => y[i] === 1).length, 12);
  }
});

test('group k-fold never splits a group', () => {
  const groups = Array.from({ length: 200 }, (_, i) => `g${i % 23}`);
  for (const f of groupKFold(groups, { k: 5 })) {
    const testGroups = new Set(Array.from(f.test, (i) => groups[i]));
    assert.ok(Array.from(f.train).every((i) => !testGroups.has(groups[i]!)));
  }
});

test('time-series split orders rows by time when given times', () => {
  const times = Float64Array.from([5, 1, 4, 2, 3, 0, 9, 7, 8, 6]);
  const folds = timeSeriesSplit(10, { k: 3, times });
  // Time order is rows 5,1,3,4,2,0,9,7,8,6; test blocks of 2: times {4,5}, {6,7}, {8,9}.
  assert.deepEqual(folds.map((f) => Array.from(f.test, (i) => times[i]).sort()), [[4, 5], [6, 7], [8, 9]]);
  for (const f of folds) assert.ok(Math.max(...Array.from(f.train, (i) => times[i]!)) < Math.min(...Array.from(f.test, (i) => times[i]!)));
});

test('empty folds and impossible splits are errors that say what to change', () => {
  assert.throws(() => kFold(3, { k: 5 }), (e: unknown) => e instanceof DataError && /5 folds for 3 rows would leave a fold empty/.test(e.message) && /at most 3 folds/.test(e.hint ?? ''));
  assert.throws(() => stratifiedKFold(Float64Array.from([0, 0, 1, 1]), { k: 3 }), /no class has that many rows/);
  assert.throws(() => groupKFold(['a', 'a', 'b'], { k: 3 }), /only 2 groups, so a fold would be empty/);
  assert.throws(() => timeSeriesSplit(10, { k: 3, testSize: 3, gap: 2 }), /leave no training rows/);
  assert.throws(() => kFold(10, { k: 1 }), /integer >= 2/);
});

test('cross-validation runs fit and score per fold, reports mean and std, and refuses empty folds', async () => {
  const x = Float64Array.from({ length: 40 }, (_, i) => i);
  const cv = await crossValidate(kFold(40, { k: 4 }), {
    fit: (train) => Array.from(train).reduce((a, i) => a + x[i]!, 0) / train.length, // "model": the training mean
    score: (mean, test) => ({ meanAbsError: Array.from(test).reduce((a, i) => a + Math.abs(x[i]! - mean), 0) / test.length, mean }),
  });
  assert.equal(cv.folds.length, 4);
  const trainMean = (f: number): number => {
    const train = Array.from({ length: 40 }, (_, i) => i).filter((i) => Math.floor(i / 10) !== f);
    return train.reduce((a, b) => a + b, 0) / train.length;
  };
  assert.deepEqual(cv.folds.map((f) => f.scores.mean), [0, 1, 2, 3].map(trainMean));
  assert.ok(cv.mean.meanAbsError! > 0 && cv.std.meanAbsError! > 0);
  await assert.rejects(crossValidate([{ train: Int32Array.from([0, 1]), test: new Int32Array(0) }], { fit: () => 0, score: () => 0 }), /fold 0: the test part is empty/);
  await assert.rejects(crossValidate([], { fit: () => 0, score: () => 0 }), /no folds/);
});

test('cross-validation overlaps async folds up to the concurrency', async () => {
  let running = 0, peak = 0;
  const cv = await crossValidate(kFold(12, { k: 6 }), {
    concurrency: 3,
    fit: async (train) => { running++; peak = Math.max(peak, running); await new Promise((r) => setTimeout(r, 20)); running--; return train.length; },
    score: (n) => n,
  });
  assert.equal(peak, 3);
  assert.equal(cv.mean.score, 10);
});

test('out-of-fold predictions come from the model that did not see the row', async () => {
  const y = Float64Array.from({ length: 30 }, (_, i) => i % 3);
  const oof = await crossValPredict(30, kFold(30, { k: 3, shuffle: true, seed: 1 }), {
    fit: (train) => new Set(Array.from(train)),
    predict: (seen, test) => Float64Array.from(test, (i) => (seen.has(i) ? 1 : 0)),
  });
  assert.ok(oof.every((v) => v === 0));
  assert.equal(y.length, oof.length);
});
