// Gradient-boosted trees: binning, missing values, categorical sets, losses, early stopping,
// serialization, thread-count determinism, TreeSHAP and input errors, on synthetic data with
// known structure. Quality against scikit-learn on real data is in gbdt.golden.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn, type Column } from '../../src/frame/frame.ts';
import {
  GradientBoostedTrees, binColumns, closeThreads, fitBinMappers, flattenForest, numBins, predictRawBinned, trainBooster,
  treeDepth, treeShap, expectedValue, type Tree,
} from '../../src/ml/gbdt/index.ts';
import { rng } from '../../src/ml/trees/sampling.ts';
import { DataError } from '../../src/core/errors.ts';
import { rocAuc } from '../../src/ml/metrics/index.ts';

function uniform(seed: number, n: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r());
}

/** A mixed data set: numeric with missing values, a string category, integer codes; binary label. */
function mixed(n: number, seed: number): { frame: Frame; label: Float64Array } {
  const r = rng(seed);
  const x = new Float64Array(n);
  const z = new Float64Array(n);
  const code = new Float64Array(n);
  const city: (string | null)[] = [];
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r() < 0.1 ? NaN : r() * 10;
    z[i] = Math.round(r() * 40);
    code[i] = Math.floor(r() * 12);
    const c = Math.floor(r() * 25);
    city.push(r() < 0.05 ? null : `city${c}`);
    const s = (Number.isNaN(x[i]!) ? 1.5 : x[i]! / 5 - 1) + (c % 3 === 0 ? 1 : -0.5) + (code[i]! % 4 === 1 ? 0.8 : 0) + (r() - 0.5);
    label[i] = s > 0.3 ? 1 : 0;
  }
  return { frame: Frame.from({ x, z, code, city: stringColumn(city) }), label };
}

test('binning: one bin per distinct value up to maxBins, missing bin last, infinities at the ends', () => {
  const values = Float64Array.of(3, 1, 2, NaN, 2, Infinity, -Infinity, 1);
  const [m] = fitBinMappers([{ name: 'v', column: numberColumn(values), categorical: false }]);
  assert.equal(m!.kind, 'numeric');
  assert.equal(numBins(m!), 5); // -inf, 1, 2, 3, +inf
  const bins = binColumns([m!], [numberColumn(values)]);
  assert.deepEqual(Array.from(bins), [3, 1, 2, 5, 2, 4, 0, 1]);
});

test('binning: many distinct values give at most maxBins bins of roughly equal counts', () => {
  const values = uniform(1, 50_000);
  const [m] = fitBinMappers([{ name: 'u', column: numberColumn(values), categorical: false }], { maxBins: 64 });
  assert.equal(numBins(m!), 64);
  const bins = binColumns([m!], [numberColumn(values)]);
  const counts = new Float64Array(64);
  for (const b of bins) counts[b]!++;
  for (const c of counts) assert.ok(c > 500 && c < 1100, `bin count ${c}`);
});

test('binning: categories most frequent first; rare beyond the cap, unseen and null share the missing bin', () => {
  const col = stringColumn(['a', 'b', 'b', 'c', 'c', 'c', 'd', null, 'e']);
  const [m] = fitBinMappers([{ name: 's', column: col, categorical: false }], { maxBins: 3 });
  assert.equal(m!.kind, 'categorical');
  assert.deepEqual(m!.kind === 'categorical' ? m!.categories : null, ['c', 'b', 'a']);
  // A different dictionary order at prediction time, an unseen category and a null.
  const later = stringColumn(['zzz', 'a', null, 'c', 'd']);
  assert.deepEqual(Array.from(binColumns([m!], [later])), [3, 2, 3, 0, 3]);
  assert.throws(() => fitBinMappers([{ name: 'k', column: numberColumn(Float64Array.of(1, 2.5)), categorical: true }]), DataError);
});

test('missing values carry the signal: the learned default direction separates NaN rows', async () => {
  const n = 4000;
  const r = rng(7);
  const x = new Float64Array(n);
  const noise = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = r() < 0.5 ? 1 : 0;
    x[i] = y[i] === 1 && r() < 0.8 ? NaN : r();
    noise[i] = r();
  }
  const frame = Frame.from({ x, noise });
  const model = await new GradientBoostedTrees().fit(frame, y, { objective: 'binary', numTrees: 20, threads: 1 });
  const p = model.predictProba(frame);
  assert.ok(rocAuc(y, p) > 0.85, `AUC ${rocAuc(y, p)}`);
  let nanMean = 0;
  let nanCount = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i]!)) { nanMean += p[i]!; nanCount++; }
  assert.ok(nanMean / nanCount > 0.9, `mean P for missing rows ${nanMean / nanCount}`);
  // The first split is on x and sends missing values to the positive side.
  const root = model.model.trees[0]!;
  assert.equal(root.feature[0], 0);
  const missingChild = root.defaultLeft[0] ? root.left[0]! : root.right[0]!;
  const otherChild = root.defaultLeft[0] ? root.right[0]! : root.left[0]!;
  assert.ok(root.value[missingChild]! > root.value[otherChild]!);
});

test('categorical splits find a set of categories in one split; numeric codes cannot', async () => {
  const n = 6000;
  const r = rng(11);
  const inSet = new Set([1, 4, 5, 9, 12, 13, 17, 20, 22, 26, 27, 29]);
  const cats: string[] = [];
  const codes = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 30);
    cats.push(`k${c}`);
    codes[i] = c;
    y[i] = inSet.has(c) ? 1 : 0;
  }
  const stump = { objective: 'binary' as const, numTrees: 1, maxLeaves: 2, threads: 1 };
  const byString = await new GradientBoostedTrees().fit(Frame.from({ cat: stringColumn(cats) }), y, stump);
  assert.equal(rocAuc(y, byString.predictRaw(Frame.from({ cat: stringColumn(cats) }))), 1);
  const t = byString.model.trees[0]!;
  assert.equal(t.categorical[0], 1);
  const asCodes = Frame.from({ code: codes });
  const declared = await new GradientBoostedTrees().fit(asCodes, y, { ...stump, categoricalFeatures: ['code'] });
  assert.equal(rocAuc(y, declared.predictRaw(asCodes)), 1);
  const numeric = await new GradientBoostedTrees().fit(asCodes, y, stump);
  assert.ok(rocAuc(y, numeric.predictRaw(asCodes)) < 0.8);
});

test('unseen and rare categories at prediction follow the missing direction', async () => {
  const { frame, label } = mixed(3000, 3);
  const model = await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 10, threads: 1, categoricalFeatures: ['code'] });
  const probe = (city: string | null, code: number): number => {
    const f = Frame.from({ x: Float64Array.of(4), z: Float64Array.of(10), code: Float64Array.of(code), city: stringColumn([city]) });
    return model.predictRaw(f)[0]!;
  };
  assert.equal(probe('never-seen', 2), probe(null, 2));
  assert.equal(probe('city3', 999), probe('city3', NaN));
  assert.notEqual(probe('city3', 2), probe(null, 2));
});

test('serialization round trip gives identical predictions (binary, multiclass, regression)', async () => {
  const { frame, label } = mixed(3000, 5);
  const test2 = Frame.from({
    x: Float64Array.of(NaN, 1, 9.5, 3), z: Float64Array.of(1, 2, 3, 40), code: Float64Array.of(3, NaN, 77, 1),
    city: stringColumn(['city1', 'unknown', null, 'city24']),
  });
  const three = label.map((y, i) => (y === 1 ? (i % 2) + 1 : 0));
  const sq = label.map((y, i) => y * 3 + (frame.numbers('x')[i]! || 0));
  for (const [objective, y] of [['binary', label], ['multiclass', three], ['regression', sq], ['huber', sq]] as const) {
    const model = await new GradientBoostedTrees().fit(frame, y, { objective, numTrees: 15, threads: 1, categoricalFeatures: ['code'] });
    const bytes = model.toBytes();
    const again = GradientBoostedTrees.fromBytes(bytes);
    assert.deepEqual(again.predictRaw(frame), model.predictRaw(frame));
    assert.deepEqual(again.predictRaw(test2), model.predictRaw(test2));
    assert.deepEqual(again.predictContributions(test2), model.predictContributions(test2));
    assert.deepEqual(again.featureImportance('gain'), model.featureImportance('gain'));
    assert.deepEqual(again.featureNames, ['x', 'z', 'code', 'city']);
    assert.deepEqual(again.toBytes(), bytes);
    assert.ok(bytes.length < 60_000 * (objective === 'multiclass' ? 3 : 1), `artifact ${bytes.length} bytes`);
  }
  assert.throws(() => GradientBoostedTrees.fromBytes(new Uint8Array([1, 2, 3])), DataError);
  const bytes = (await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 2, threads: 1 })).toBytes();
  assert.throws(() => GradientBoostedTrees.fromBytes(bytes.slice(0, bytes.length - 40)), DataError);
});

test('the same seed gives the same model at any thread count', async () => {
  // 100k rows make 3 row blocks: thread counts change who computes a block, never the sums.
  const n = 100_000;
  const r = rng(21);
  const cols: Record<string, Column | Float64Array> = {};
  const feats = Array.from({ length: 5 }, () => new Float64Array(n));
  const city: string[] = [];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (const f of feats) f[i] = r() < 0.05 ? NaN : r();
    const c = Math.floor(r() * 40);
    city.push(`c${c}`);
    y[i] = (feats[0]![i]! || 0.5) + (c % 5 === 0 ? 0.5 : 0) + 0.3 * r() > 0.9 ? 1 : 0;
  }
  feats.forEach((f, j) => { cols[`f${j}`] = f; });
  cols['city'] = stringColumn(city);
  const frame = Frame.from(cols);
  const opts = { objective: 'binary' as const, numTrees: 12, subsample: 0.8, colsample: 0.8, seed: 42 };
  const bytes: Uint8Array[] = [];
  for (const threads of [1, 2, 3]) bytes.push((await new GradientBoostedTrees().fit(frame, y, { ...opts, threads })).toBytes());
  assert.deepEqual(bytes[1], bytes[0]);
  assert.deepEqual(bytes[2], bytes[0]);
  // Prediction on the worker threads left running by the fit equals prediction on one thread.
  const model = await new GradientBoostedTrees().fit(frame, y, { ...opts, threads: 2 });
  const parallel = model.predictRaw(frame);
  await closeThreads();
  assert.deepEqual(model.predictRaw(frame), parallel);
  const other = (await new GradientBoostedTrees().fit(frame, y, { ...opts, threads: 2, seed: 43 })).toBytes();
  assert.notDeepEqual(other, bytes[0]);
});

/** Exact Shapley values of one tree by enumerating subsets, with TreeSHAP's path-dependent expectation. */
function bruteShap(t: Tree, row: Uint8Array, F: number): Float64Array {
  const cond = (node: number, S: number): number => {
    if (t.left[node]! < 0) return t.value[node]!;
    const f = t.feature[node]!;
    const l = t.left[node]!;
    const r = t.right[node]!;
    if (S & (1 << f)) {
      const bin = row[f]!;
      const left = ((t.leftBits[8 * node + (bin >> 5)]! >>> (bin & 31)) & 1) === 1;
      return cond(left ? l : r, S);
    }
    return (t.cover[l]! * cond(l, S) + t.cover[r]! * cond(r, S)) / t.cover[node]!;
  };
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    for (let S = 0; S < 1 << F; S++) {
      if (S & (1 << f)) continue;
      let size = 0;
      for (let j = 0; j < F; j++) if (S & (1 << j)) size++;
      const w = (fact(size) * fact(F - size - 1)) / fact(F);
      phi[f]! += w * (cond(0, S | (1 << f)) - cond(0, S));
    }
  }
  return phi;
}

test('TreeSHAP contributions equal exact Shapley values and sum to the raw score', async () => {
  const { frame, label } = mixed(2000, 9);
  const model = await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 8, maxLeaves: 12, threads: 1, categoricalFeatures: ['code'] });
  const probe = frame.take([0, 1, 2, 3, 4, 5, 6, 7]);
  const raw = model.predictRaw(probe);
  const phi = model.predictContributions(probe);
  const F = 4;
  const m = model.model;
  const bins = binColumns(m.mappers, m.mappers.map((mp) => probe.column(mp.name)));
  for (let r = 0; r < probe.numRows; r++) {
    let sum = 0;
    for (let f = 0; f <= F; f++) sum += phi[r * (F + 1) + f]!;
    assert.ok(Math.abs(sum - raw[r]!) < 1e-9, `row ${r}: contributions sum ${sum}, raw ${raw[r]}`);
    const exact = new Float64Array(F);
    for (const t of m.trees) bruteShap(t, bins.subarray(r * F, (r + 1) * F), F).forEach((v, f) => { exact[f]! += v; });
    for (let f = 0; f < F; f++) assert.ok(Math.abs(exact[f]! - phi[r * (F + 1) + f]!) < 1e-9, `row ${r} feature ${f}`);
  }
  const bias = m.baseScore[0]! + m.trees.reduce((s, t) => s + expectedValue(t), 0);
  assert.ok(Math.abs(phi[F]! - bias) < 1e-12);
  // Multiclass: per class, contributions sum to that class's raw score.
  const three = label.map((y, i) => (y === 1 ? (i % 2) + 1 : 0));
  const mc = await new GradientBoostedTrees().fit(frame, three, { objective: 'multiclass', numTrees: 5, threads: 1 });
  const rawK = mc.predictRaw(probe);
  const phiK = mc.predictContributions(probe);
  for (let i = 0; i < probe.numRows * 3; i++) {
    let s = 0;
    for (let f = 0; f <= F; f++) s += phiK[i * (F + 1) + f]!;
    assert.ok(Math.abs(s - rawK[i]!) < 1e-9);
  }
  assert.equal(treeShap(m.trees, 1, m.baseScore, bins, probe.numRows, F).length, probe.numRows * (F + 1));
});

test('early stopping keeps the best iteration; the kept model equals one trained that long', async () => {
  const { frame, label } = mixed(4000, 13);
  const noisy = label.map((y, i) => (i % 7 === 0 ? 1 - y : y));
  const train = frame.take(Int32Array.from({ length: 3000 }, (_, i) => i));
  const valid = frame.take(Int32Array.from({ length: 1000 }, (_, i) => 3000 + i));
  const yt = noisy.slice(0, 3000);
  const yv = noisy.slice(3000);
  const opts = { objective: 'binary' as const, learningRate: 0.5, maxLeaves: 63, minSamplesLeaf: 2, threads: 1 };
  const model = await new GradientBoostedTrees().fit(train, yt, { ...opts, numTrees: 200, earlyStoppingRounds: 5, validation: { frame: valid, label: yv } });
  const m = model.model;
  assert.ok(m.iterations < 200, `stopped after ${m.iterations}`);
  assert.equal(m.bestIteration, m.iterations - 1);
  assert.equal(m.validLoss.length, m.iterations + 5);
  assert.equal(Math.min(...m.validLoss), m.validLoss[m.bestIteration]);
  const plain = await new GradientBoostedTrees().fit(train, yt, { ...opts, numTrees: m.iterations });
  assert.deepEqual(model.predictRaw(valid), plain.predictRaw(valid));
});

test('sample weights act like repeated rows', async () => {
  const n = 1500;
  const r = rng(17);
  const x = Float64Array.from({ length: n }, () => Math.floor(r() * 50));
  const z = Float64Array.from({ length: n }, () => Math.floor(r() * 20));
  const y = Float64Array.from({ length: n }, (_, i) => x[i]! / 10 + (z[i]! % 3) + r());
  const w = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : 1));
  const rep: number[] = [];
  for (let i = 0; i < n; i++) { rep.push(i); if (w[i] === 2) rep.push(i); }
  const opts = { objective: 'regression' as const, numTrees: 20, minSamplesLeaf: 1, minHessianLeaf: 0, threads: 1 };
  const weighted = await new GradientBoostedTrees().fit(Frame.from({ x, z }), y, { ...opts, sampleWeight: w });
  const repeated = await new GradientBoostedTrees().fit(Frame.from({ x, z }).take(rep), Float64Array.from(rep, (i) => y[i]!), opts);
  const probe = Frame.from({ x, z });
  const a = weighted.predict(probe);
  const b = repeated.predict(probe);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `row ${i}: ${a[i]} vs ${b[i]}`);
});

test('huber loss resists outliers that pull squared error', async () => {
  const n = 3000;
  const r = rng(19);
  const x = Float64Array.from({ length: n }, () => r() * 6);
  const clean = x.map((v) => Math.sin(v) * 3);
  const y = clean.map((v, i) => (i % 20 === 0 ? v + 200 : v + 0.1 * (r() - 0.5)));
  const frame = Frame.from({ x });
  const mae = (p: Float64Array): number => p.reduce((s, v, i) => s + Math.abs(v - clean[i]!), 0) / n;
  const sq = await new GradientBoostedTrees().fit(frame, y, { objective: 'regression', threads: 1 });
  const hub = await new GradientBoostedTrees().fit(frame, y, { objective: 'huber', threads: 1 });
  assert.ok(mae(hub.predict(frame)) < 0.5 * mae(sq.predict(frame)), `huber ${mae(hub.predict(frame))} vs squared ${mae(sq.predict(frame))}`);
  assert.ok(mae(hub.predict(frame)) < 0.3);
});

test('constraints: depth, leaves, samples per leaf; importance favours the informative feature', async () => {
  const { frame, label } = mixed(5000, 23);
  // Squared error: constant hessians make the split search's row-count estimate exact.
  const model = await new GradientBoostedTrees().fit(frame, label, { objective: 'regression', numTrees: 10, maxDepth: 3, maxLeaves: 15, minSamplesLeaf: 50, threads: 1 });
  for (const t of model.model.trees) {
    assert.ok(treeDepth(t) <= 3);
    let leaves = 0;
    for (let i = 0; i < t.numNodes; i++) if (t.left[i]! < 0) { leaves++; assert.ok(t.cover[i]! >= 50); }
    assert.ok(leaves <= 8);
  }
  const gain = model.featureImportance('gain');
  const splits = model.featureImportance('split');
  assert.ok(gain['x']! > gain['z']!, JSON.stringify(gain));
  const internal = model.model.trees.reduce((s, t) => s + Array.from(t.left).filter((l) => l >= 0).length, 0);
  assert.equal(Object.values(splits).reduce((a, b) => a + b, 0), internal);
});

test('row and column subsampling follow the seed', async () => {
  const { frame, label } = mixed(3000, 29);
  const fit = async (seed: number): Promise<Uint8Array> =>
    (await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 10, subsample: 0.7, colsample: 0.5, seed, threads: 1 })).toBytes();
  assert.deepEqual(await fit(1), await fit(1));
  assert.notDeepEqual(await fit(1), await fit(2));
});

test('the booster runs on pre-binned data (for other tree ensembles)', async () => {
  const { frame, label } = mixed(2000, 31);
  const model = await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 5, threads: 1 });
  const m = model.model;
  const bins = binColumns(m.mappers, m.mappers.map((mp) => frame.column(mp.name)));
  const booster = await trainBooster({ bins, numBins: m.numBins, categorical: m.categorical, label }, { objective: 'binary', numTrees: 5, threads: 1 });
  const raw = predictRawBinned(flattenForest(booster.trees, 1, booster.numBins), bins, frame.numRows, booster.baseScore);
  assert.deepEqual(raw, model.predictRaw(frame));
});

test('bad input gets a clear error', async () => {
  const frame = Frame.from({ a: Float64Array.of(1, 2, 3, 4), b: Float64Array.of(0, 1, 0, 1) });
  const fit = (f: Frame, y: Float64Array, o: object = {}): Promise<unknown> => new GradientBoostedTrees().fit(f, y, { objective: 'binary', threads: 1, ...o });
  await assert.rejects(fit(frame, Float64Array.of(0, 1, NaN, 1)), (e: Error) => e instanceof DataError && /row 2/.test(e.message) && /finite/.test(e.message));
  await assert.rejects(fit(frame, Float64Array.of(0, 1, Infinity, 1)), /row 2 is Infinity/);
  await assert.rejects(fit(frame, Float64Array.of(1, 1, 1, 1)), /all 1: both classes are needed/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 2, 1)), /expected 0 or 1/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0)), /label has 3 entries but the frame has 4 rows/);
  await assert.rejects(fit(Frame.from({ a: new Float64Array(0) }), new Float64Array(0)), /empty frame/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0, 1), { sampleWeight: Float64Array.of(1, 1) }), /weights have 2 entries for 4 rows/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0, 1), { learningRate: 0 }), /learningRate/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0, 1), { maxLeaves: 1 }), /maxLeaves/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0, 1), { categoricalFeatures: ['nope'] }), /"nope" is not among the features/);
  await assert.rejects(fit(frame, Float64Array.of(0, 0, 0, 0), { objective: 'multiclass' }), /one class only/);
  await assert.rejects(fit(frame, Float64Array.of(0, 1, 0, 1), { features: ['a', 'zz'] }), /lacks feature "zz"/);
  const model = await new GradientBoostedTrees().fit(frame, Float64Array.of(0, 1, 0, 1), { objective: 'binary', threads: 1, minSamplesLeaf: 1 });
  assert.throws(() => model.predict(Frame.from({ a: Float64Array.of(1) })), (e: Error) => e instanceof DataError && /lacks feature "b"/.test(e.message));
  assert.throws(() => model.predict(Frame.from({ a: Float64Array.of(1), b: stringColumn(['x']) })), /"b" was numeric in training but is a string column/);
  assert.throws(() => new GradientBoostedTrees().predict(frame), /not fitted/);
  const reg = await new GradientBoostedTrees().fit(frame, Float64Array.of(1, 2, 3, 4), { objective: 'regression', threads: 1 });
  assert.throws(() => reg.predictProba(frame), /needs a classifier/);
});

test("the 'gbdt' estimator type fits, predicts and loads back from JSON", async () => {
  await import('../../src/ml/gbdt/register.ts');
  const { fitEstimator, loadEstimator } = await import('../../src/ml/estimator.ts');
  const { frame, label } = mixed(2000, 37);
  const progress: number[] = [];
  const est = await fitEstimator(frame, label, { type: 'gbdt', numTrees: 7, threads: 1 }, {
    task: 'binary', categorical: ['code', 'city'], onProgress: (done) => progress.push(done),
  });
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7]);
  const p = est.predict(frame);
  assert.ok(p.every((v) => v > 0 && v < 1));
  const again = loadEstimator({ type: 'gbdt', state: JSON.parse(JSON.stringify(est.toJSON())) });
  assert.deepEqual(again.predict(frame), p);
  await assert.rejects(fitEstimator(frame, label, { type: 'gbdt', numTrees: 'many' } as never, { task: 'binary', categorical: [] }), /numTrees/);
});
