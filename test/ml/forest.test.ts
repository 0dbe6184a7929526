// Random forests: learning from float, integer, categorical (text and numeric codes) and
// missing-valued columns; depth and leaf limits; out-of-bag score; importance; sample weights;
// determinism across thread counts; serialization (bytes and model packages); input errors. On
// synthetic data with known structure; quality against scikit-learn on real data is in
// forest.golden.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { RandomForest } from '../../src/ml/forest/index.ts';
import { treeDepth } from '../../src/ml/trees/tree.ts';
import { accuracy, r2, rocAuc } from '../../src/ml/metrics/index.ts';
import { loadPredictor, trainModel } from '../../src/registry/index.ts';

/**
 * Mixed columns: a float with missing values, an integer, a text category with nulls, integer
 * category codes and pure noise. The label depends on all but the noise.
 */
function mixed(n: number, seed: number): { frame: Frame; label: Float64Array; y3: Float64Array; value: Float64Array } {
  const r = new Rng(seed);
  const x = new Float64Array(n);
  const count = new Float64Array(n);
  const code = new Float64Array(n);
  const noise = new Float64Array(n);
  const city: (string | null)[] = [];
  const label = new Float64Array(n);
  const y3 = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r.next() < 0.1 ? NaN : r.next() * 10;
    count[i] = r.int(40);
    code[i] = r.int(12);
    noise[i] = r.next();
    const c = r.int(25);
    city.push(r.next() < 0.05 ? null : `city${c}`);
    const s = (Number.isNaN(x[i]!) ? 1.5 : x[i]! / 5 - 1) + (c % 3 === 0 ? 1 : -0.5) + (code[i]! % 4 === 1 ? 0.8 : 0) + (count[i]! > 30 ? 0.7 : 0) + (r.next() - 0.5);
    label[i] = s > 0.3 ? 1 : 0;
    y3[i] = s < -0.3 ? 0 : s < 0.9 ? 1 : 2;
    value[i] = 3 * s + 0.2 * (r.next() - 0.5);
  }
  return { frame: Frame.from({ x, count, code, city: stringColumn(city), noise }), label, y3, value };
}

function same(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: row ${i} differs (${a[i]} vs ${b[i]})`);
}

const train = mixed(4000, 1);
const held = mixed(2000, 2);

test('binary: learns from float, integer, text-categorical, code-categorical and missing values', async () => {
  const forest = await new RandomForest({ numTrees: 60, seed: 3, categoricalFeatures: ['code'], threads: 1 }).fit(train.frame, train.label);
  const p = forest.predictProba(held.frame);
  const auc = rocAuc(held.label, p);
  assert.ok(auc > 0.9, `held-out AUC ${auc}`);
  assert.ok(accuracy(held.label, forest.predict(held.frame)) > 0.8, 'held-out accuracy above 0.8');
  const imp = forest.featureImportance();
  assert.ok(imp['noise']! < imp['x']! && imp['noise']! < imp['city']!, `noise should matter least: ${JSON.stringify(imp)}`);
  // Categorical splits: some node of some tree sends a set of cities left.
  const cityIndex = forest.featureNames.indexOf('city');
  const catSplits = forest.model.trees.reduce((s, t) => s + t.tree.categorical.filter((c, i) => c === 1 && t.tree.feature[i] === cityIndex).length, 0);
  assert.ok(catSplits > 0, 'the text column is split on as categories');
});

test('regression and multiclass on the same columns', async () => {
  const reg = await new RandomForest({ numTrees: 40, seed: 1, threads: 1 }).fit(train.frame, train.value);
  assert.equal(reg.task, 'regression', 'continuous labels give a regression forest');
  const fit = r2(held.value, reg.predict(held.frame));
  assert.ok(fit > 0.8, `held-out R² ${fit}`);
  const multi = await new RandomForest({ task: 'multiclass', numTrees: 40, seed: 1, threads: 1, categoricalFeatures: ['code'] }).fit(train.frame, train.y3);
  const acc = accuracy(held.y3, multi.predict(held.frame));
  assert.ok(acc > 0.75, `held-out multiclass accuracy ${acc}`);
  assert.equal(multi.predictProba(held.frame).length, held.frame.numRows * 3, 'three probabilities per row');
});

test('the same forest at any thread count, and for the same seed only', async () => {
  const opts = { numTrees: 12, maxDepth: 10, seed: 7, categoricalFeatures: ['code'], oobScore: true };
  const one = await new RandomForest({ ...opts, threads: 1 }).fit(train.frame, train.label);
  const three = await new RandomForest({ ...opts, threads: 3 }).fit(train.frame, train.label);
  assert.deepEqual(three.toBytes(), one.toBytes(), 'artifacts identical with 1 and 3 threads');
  same(three.predictProba(held.frame), one.predictProba(held.frame), 'predictions with 1 and 3 threads');
  same(three.oobPrediction!, one.oobPrediction!, 'OOB predictions with 1 and 3 threads');
  const multiOne = await new RandomForest({ ...opts, task: 'multiclass', threads: 1 }).fit(train.frame, train.y3);
  const multiTwo = await new RandomForest({ ...opts, task: 'multiclass', threads: 2 }).fit(train.frame, train.y3);
  assert.deepEqual(multiTwo.toBytes(), multiOne.toBytes(), 'multiclass artifacts identical with 1 and 2 threads');
  const other = await new RandomForest({ ...opts, seed: 8, threads: 1 }).fit(train.frame, train.label);
  assert.notDeepEqual(other.toBytes(), one.toBytes(), 'another seed grows another forest');
});

test('depth and leaf limits hold; without bootstrap and feature sampling every tree is the same', async () => {
  const forest = await new RandomForest({ numTrees: 5, maxDepth: 4, minSamplesLeaf: 25, seed: 2, threads: 1 }).fit(train.frame, train.label);
  for (const { tree } of forest.model.trees) {
    assert.ok(treeDepth(tree) <= 4, `depth ${treeDepth(tree)} > 4`);
    for (let i = 0; i < tree.numNodes; i++) if (tree.left[i]! < 0) assert.ok(tree.cover[i]! >= 25, `leaf ${i} holds ${tree.cover[i]} rows < 25`);
  }
  const plain = await new RandomForest({ numTrees: 3, bootstrap: false, maxFeatures: 'all', seed: 2, threads: 1 }).fit(train.frame, train.label);
  const [a, b, c] = plain.model.trees;
  same(a!.values, b!.values, 'trees 0 and 1 without randomness');
  same(a!.values, c!.values, 'trees 0 and 2 without randomness');
});

test('out-of-bag score tracks held-out accuracy; OOB predictions cover the rows', async () => {
  const forest = await new RandomForest({ numTrees: 50, seed: 4, oobScore: true, threads: 1, categoricalFeatures: ['code'] }).fit(train.frame, train.label);
  const heldAcc = accuracy(held.label, forest.predict(held.frame));
  assert.ok(Math.abs(forest.oobScore! - heldAcc) < 0.03, `OOB accuracy ${forest.oobScore} vs held-out ${heldAcc}`);
  const oob = forest.oobPrediction!;
  assert.equal(oob.length, train.frame.numRows, 'one OOB prediction per training row');
  assert.ok(oob.every((v) => v >= 0 && v <= 1), 'with 50 trees every row was out of some bag');
  // Each row is out of about e^-1 of the bags: the OOB estimate is not the training fit.
  const trainAcc = accuracy(train.label, forest.predict(train.frame));
  assert.ok(trainAcc > forest.oobScore! + 0.03, `training accuracy ${trainAcc} should exceed OOB ${forest.oobScore}`);
  const reg = await new RandomForest({ numTrees: 30, seed: 4, oobScore: true, threads: 1 }).fit(train.frame, train.value);
  const heldR2 = r2(held.value, reg.predict(held.frame));
  assert.ok(Math.abs(reg.oobScore! - heldR2) < 0.05, `OOB R² ${reg.oobScore} vs held-out ${heldR2}`);
  const few = await new RandomForest({ numTrees: 2, seed: 4, oobScore: true, threads: 1 }).fit(train.frame, train.label);
  assert.ok(few.oobPrediction!.some((v) => Number.isNaN(v)), 'with 2 trees some rows are in every bag: NaN');
  const none = await new RandomForest({ numTrees: 2, seed: 4, threads: 1 }).fit(train.frame, train.label);
  assert.equal(none.oobScore, null, 'no OOB score unless asked');
});

test('sample weights: a weight of 2 is a row twice, a weight of 0 no row', async () => {
  // Columns with few distinct values bin alike whatever the row counts, so the forests can match.
  const n = 600;
  const base = mixed(n, 9);
  const frame = base.frame.select(['count', 'code', 'city']);
  const opts = { numTrees: 2, bootstrap: false, maxFeatures: 'all' as const, seed: 1, threads: 1 };
  const close = (a: Float64Array, b: Float64Array, what: string): void => {
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-9, `${what}, row ${i}: ${a[i]} vs ${b[i]}`);
  };
  const idx = [...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: n / 2 }, (_, i) => i)];
  const w = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 2 : 1));
  const weighted = await new RandomForest(opts).fit(frame, base.label, { sampleWeight: w });
  const copied = await new RandomForest(opts).fit(frame.take(idx), Float64Array.from(idx, (i) => base.label[i]!));
  close(weighted.predictProba(held.frame), copied.predictProba(held.frame), 'weight 2 against a duplicated row');
  // The same rows again with flipped labels and weight 0 change nothing.
  const twice = Array.from({ length: 2 * n }, (_, i) => i % n);
  const flipped = Float64Array.from(twice, (r, i) => (i < n ? base.label[r]! : 1 - base.label[r]!));
  const zero = Float64Array.from(twice, (_, i) => (i < n ? 1 : 0));
  const ignored = await new RandomForest(opts).fit(frame.take(twice), flipped, { sampleWeight: zero });
  const alone = await new RandomForest(opts).fit(frame, base.label);
  close(ignored.predictProba(held.frame), alone.predictProba(held.frame), 'weight 0 against no row');
});

test('toBytes / fromBytes: identical predictions, importance and OOB score', async () => {
  for (const [task, y] of [['binary', train.label], ['multiclass', train.y3], ['regression', train.value]] as const) {
    const forest = await new RandomForest({ task, numTrees: 8, seed: 5, oobScore: true, threads: 1, categoricalFeatures: ['code'] }).fit(train.frame, y);
    const again = RandomForest.fromBytes(forest.toBytes());
    same(again.predict(held.frame), forest.predict(held.frame), `${task} predict after round trip`);
    if (task !== 'regression') same(again.predictProba(held.frame), forest.predictProba(held.frame), `${task} probabilities after round trip`);
    assert.deepEqual(again.featureImportance(), forest.featureImportance(), `${task} importance after round trip`);
    assert.equal(again.oobScore, forest.oobScore, `${task} OOB score after round trip`);
    assert.deepEqual(again.toBytes(), forest.toBytes(), `${task} bytes stable`);
  }
  assert.throws(() => RandomForest.fromBytes(new Uint8Array([1, 2, 3])), DataError, 'garbage is a DataError');
});

test('trainModel with estimator random-forest: a model package loads back to identical predictions', async () => {
  const frame = train.frame.withColumn('late', numberColumn(train.label));
  const model = await trainModel(frame, {
    label: 'late', task: 'binary', numeric: ['x', 'count', 'noise'], categorical: ['city', 'code'],
    estimator: { type: 'random-forest', numTrees: 20, maxDepth: 8, maxFeatures: 'sqrt', seed: 3, threads: 2, oobScore: true },
  });
  const p = model.predict(held.frame);
  assert.ok(rocAuc(held.label, p) > 0.85, 'the trained model ranks held-out rows');
  const pkg = JSON.parse(JSON.stringify(model.toPackage())) as ReturnType<typeof model.toPackage>;
  assert.equal(pkg.estimator.type, 'random-forest', 'package names the estimator');
  same(loadPredictor(pkg).predict(held.frame), p, 'loaded package predictions');
  await assert.rejects(
    trainModel(frame, { label: 'late', task: 'binary', numeric: ['x'], estimator: { type: 'random-forest', depth: 3 } as never }),
    (e: unknown) => e instanceof DataError && /no option "depth"/.test(e.message), 'unknown spec options are named',
  );
  await assert.rejects(
    trainModel(frame, { label: 'late', task: 'binary', numeric: ['x'], estimator: { type: 'random-forest', maxFeatures: 1.5 } }),
    (e: unknown) => e instanceof DataError && /maxFeatures/.test(e.message), 'a bad maxFeatures is named',
  );
});

test('unseen categories and missing values at prediction follow the learned direction', async () => {
  const forest = await new RandomForest({ numTrees: 10, seed: 1, threads: 1 }).fit(train.frame, train.label);
  const odd = Frame.from({
    x: Float64Array.of(NaN, 5), count: Float64Array.of(3, NaN), code: Float64Array.of(99, 1),
    city: stringColumn(['atlantis', null]), noise: Float64Array.of(0.5, 0.5),
  });
  const p = forest.predictProba(odd);
  assert.ok(p.every((v) => v >= 0 && v <= 1), `probabilities ${Array.from(p)}`);
});

test('progress reports every tree, ending at (trees, trees)', async () => {
  const calls: [number, number][] = [];
  await new RandomForest({ numTrees: 6, seed: 1, threads: 2, onProgress: (d, t) => calls.push([d, t]) }).fit(train.frame, train.label);
  assert.ok(calls.length >= 1, 'progress was reported');
  assert.deepEqual(calls[calls.length - 1], [6, 6], 'the last report is (6, 6)');
});

test('bad input: errors name the row, column or option', async () => {
  const f = new RandomForest({ numTrees: 2, threads: 1 });
  const nanLabel = train.label.slice();
  nanLabel[17] = NaN;
  await assert.rejects(f.fit(train.frame, nanLabel), (e: unknown) => e instanceof DataError && /row 17/.test(e.message) && /missing/.test(e.message), 'NaN label names its row');
  await assert.rejects(f.fit(new Frame([]), new Float64Array(0)), (e: unknown) => e instanceof DataError && /empty frame/.test(e.message), 'empty data');
  await assert.rejects(f.fit(train.frame.take([0, 1, 2]), Float64Array.of(0, 1)), (e: unknown) => e instanceof DataError && /2 entries but the frame has 3 rows/.test(e.message), 'lengths disagree');
  await assert.rejects(f.fit(train.frame, train.label.map(() => 1)), (e: unknown) => e instanceof DataError && /all 1/.test(e.message), 'one class only');
  await assert.rejects(f.fit(train.frame, train.value, { task: 'binary' }), (e: unknown) => e instanceof DataError && /expected 0 or 1/.test(e.message), 'binary needs 0/1');
  await assert.rejects(f.fit(train.frame, train.label, { features: ['x', 'nope'] }), (e: unknown) => e instanceof DataError && /"nope"/.test(e.message), 'unknown feature');
  await assert.rejects(f.fit(train.frame, train.label, { categoricalFeatures: ['x'] }), (e: unknown) => e instanceof DataError && /"x" has a non-integer value/.test(e.message), 'categorical codes must be integers');
  await assert.rejects(f.fit(train.frame, train.label, { maxFeatures: 0 }), (e: unknown) => e instanceof DataError && /maxFeatures/.test(e.message), 'maxFeatures');
  await assert.rejects(f.fit(train.frame, train.label, { bootstrap: false, oobScore: true }), (e: unknown) => e instanceof DataError && /oobScore needs bootstrap/.test(e.message), 'OOB without bootstrap');
  await assert.rejects(f.fit(train.frame, train.label, { sampleWeight: new Float64Array(3) }), (e: unknown) => e instanceof DataError && /3 entries for 4000 rows/.test(e.message), 'weights length');
  await assert.rejects(f.fit(train.frame, train.label, { numTrees: 0 }), (e: unknown) => e instanceof DataError && /numTrees/.test(e.message), 'trees >= 1');
  assert.throws(() => new RandomForest().predict(held.frame), (e: unknown) => e instanceof DataError && /not fitted/.test(e.message), 'predict before fit');

  const fitted = await f.fit(train.frame, train.label);
  const noCity = held.frame.select(['x', 'count', 'code', 'noise']);
  assert.throws(() => fitted.predict(noCity), (e: unknown) => e instanceof DataError && /lacks feature "city"/.test(e.message) && (e as DataError).context['column'] === 'city', 'missing feature at predict names it');
  const cityAsNumber = held.frame.withColumn('city', numberColumn(new Float64Array(held.frame.numRows)));
  assert.throws(() => fitted.predict(cityAsNumber), (e: unknown) => e instanceof DataError && /"city" is a numeric column here but was text/.test(e.message), 'column kind changed');
  assert.throws(() => fitted.predictProba(held.frame.select(['x'])), DataError, 'predictProba checks features too');
  const reg = await new RandomForest({ numTrees: 2, threads: 1 }).fit(train.frame, train.value);
  assert.throws(() => reg.predictProba(held.frame), (e: unknown) => e instanceof DataError && /regressor/.test(e.message), 'no probabilities from a regressor');
});
