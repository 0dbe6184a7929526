// The flattened trees' two layouts (ml/trees/flat.ts): the complete layout (heap-ordered, D steps a
// row) must add exactly what the general layout adds, on every kind of split and code: 16-bit fine
// codes and byte bins, categorical sets, missing values that go left or right, unseen categories,
// several values per leaf (multiclass forests), one output per class (multiclass gbdt), a tree limit,
// and ensembles whose trees are split between the two layouts by depth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.ts';
import { Frame, stringColumn } from '../../src/frame/frame.ts';
import { RandomForest, codesForFrame } from '../../src/ml/forest/index.ts';
import { fineCoarseMaps } from '../../src/ml/forest/model.ts';
import { GradientBoostedTrees, binFrame } from '../../src/ml/gbdt/index.ts';
import { numBins } from '../../src/ml/trees/binning.ts';
import { accumulate, flattenTrees, type FlatInput, type FlatTrees } from '../../src/ml/trees/flat.ts';
import { treeDepth } from '../../src/ml/trees/tree.ts';

/**
 * A float with missing values only from row `clean` on (row blocks before it have none, so they
 * take the complete layout), an integer, a text category with nulls and a category the training
 * rows never saw, and noise.
 */
function rows(n: number, seed: number, clean = 0): { frame: Frame; label: Float64Array; y3: Float64Array } {
  const r = new Rng(seed);
  const x = new Float64Array(n);
  const count = new Float64Array(n);
  const noise = new Float64Array(n);
  const city: (string | null)[] = [];
  const label = new Float64Array(n);
  const y3 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i >= clean && r.next() < 0.1 ? NaN : r.next() * 10;
    count[i] = r.int(40);
    noise[i] = r.next();
    const c = r.int(clean > 0 ? 26 : 25);
    city.push(r.next() < 0.05 ? null : `city${c}`);
    const s = (Number.isNaN(x[i]!) ? 1.5 : x[i]! / 5 - 1) + (c % 3 === 0 ? 1 : -0.5) + (count[i]! > 30 ? 0.7 : 0) + (r.next() - 0.5);
    label[i] = s > 0.3 ? 1 : 0;
    y3[i] = s < -0.3 ? 0 : s < 0.9 ? 1 : 2;
  }
  return { frame: Frame.from({ x, count, city: stringColumn(city), noise }), label, y3 };
}

const train = rows(3000, 1);
// 1,024 rows without a missing value first (four row blocks), then missing values.
const held = rows(2500, 2, 1024);

/** accumulate() over all rows of both layouts; asserts they agree bit for bit. */
function agree(general: FlatTrees, complete: FlatTrees, codes: Uint8Array | Uint16Array, n: number, F: number, what: string, treeLimit?: number): void {
  assert.equal(general.complete, null, `${what}: the general flat has no complete layout`);
  assert.ok(complete.complete, `${what}: some tree has the complete layout`);
  const a = new Float64Array(n * general.outputs);
  const b = new Float64Array(n * general.outputs);
  accumulate(general, codes, F, a, 0, n, treeLimit);
  // Uneven ranges: row blocks starting anywhere, and rows left over after groups of eight.
  for (let from = 0; from < n; from += 777) accumulate(complete, codes, F, b, from, Math.min(n, from + 777), treeLimit);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: output ${i} differs (${a[i]} general vs ${b[i]} complete)`);
}

async function forestCase(options: ConstructorParameters<typeof RandomForest>[0], y: Float64Array, what: string, completeMaxDepth?: number): Promise<void> {
  const forest = await new RandomForest({ seed: 3, threads: 1, ...options }).fit(train.frame, y);
  const m = forest.model;
  const inputs: FlatInput[] = m.trees.map((t) => ({ tree: t.tree, values: t.values }));
  const o = { width: m.outputs, outputs: m.outputs, treeOutput: () => 0, numBins: Int32Array.from(m.mappers, numBins), fine: fineCoarseMaps(m) };
  const general = flattenTrees(inputs, { ...o, completeMaxDepth: -1 });
  // Every tree up to the depth limit, however sparse.
  const complete = flattenTrees(inputs, { ...o, completeMaxSparsity: Infinity, ...(completeMaxDepth !== undefined ? { completeMaxDepth } : {}) });
  if (completeMaxDepth !== undefined) {
    const laid = Array.from(complete.complete?.depth ?? [], (d) => d >= 0);
    assert.ok(laid.includes(true) && laid.includes(false), `${what}: trees on both layouts (${laid.join(', ')})`);
  }
  assert.equal(complete.wide, what !== 'byte bins only', `${what}: codes are ${complete.wide ? '16' : '8'} bits`);
  const codes = codesForFrame(m, held.frame);
  agree(general, complete, codes, held.frame.numRows, m.mappers.length, what);
  // And the forest's own predictions (which take the complete layout) are the general walk's mean.
  const mean = new Float64Array(held.frame.numRows * m.outputs);
  accumulate(general, codes, m.mappers.length, mean, 0, held.frame.numRows);
  const p = forest.predictProba(held.frame);
  for (let i = 0; i < p.length; i++) if (p[i] !== mean[i]! / m.trees.length) assert.fail(`${what}: predictProba row ${i} is not the general walk's mean`);
}

test('forest on fine codes: the complete layout adds what the general one adds', async () => {
  const forest = await new RandomForest({ numTrees: 12, maxDepth: 8, seed: 3, threads: 1 }).fit(train.frame, train.label);
  assert.ok(forest.model.fine.some((e) => e !== null), 'x has fine codes (more distinct values than bins)');
  await forestCase({ numTrees: 12, maxDepth: 8 }, train.label, 'binary, depth 8');
  await forestCase({ numTrees: 8, maxDepth: 5, task: 'multiclass' }, train.y3, 'multiclass, three values a leaf');
});

test('forest with trees on both layouts (split by depth) and on byte bins only', async () => {
  const shallow = { numTrees: 10, minSamplesLeaf: 40 };
  const depths = (await new RandomForest({ ...shallow, seed: 3, threads: 1 }).fit(train.frame, train.label)).model.trees.map((t) => treeDepth(t.tree)).sort((a, b) => a - b);
  const middle = depths[5]!;
  assert.ok(depths[0]! < depths[9]!, `depths ${depths.join(', ')}`);
  await forestCase(shallow, train.label, `unlimited depth, trees up to depth ${middle} complete`, middle);
  await forestCase({ numTrees: 10, maxBins: 16, exactSplitRows: 0, maxDepth: 7 }, train.label, 'byte bins only');
});

test('gbdt (byte bins, one output per class, a tree limit): the complete layout adds what the general one adds', async () => {
  for (const [objective, y] of [['binary', train.label], ['multiclass', train.y3]] as const) {
    const model = await new GradientBoostedTrees().fit(train.frame, y, { objective, numTrees: 12, maxLeaves: 15, threads: 1, ...(objective === 'multiclass' ? { numClasses: 3 } : {}) });
    const m = model.model;
    const inputs: FlatInput[] = m.trees.map((tree) => ({ tree, values: tree.value }));
    const o = { width: 1, outputs: m.outputs, treeOutput: (t: number) => t % m.outputs, numBins: m.numBins };
    const general = flattenTrees(inputs, { ...o, completeMaxDepth: -1 });
    const complete = flattenTrees(inputs, { ...o, completeMaxSparsity: Infinity });
    const bins = binFrame(m, held.frame);
    agree(general, complete, bins, held.frame.numRows, m.numBins.length, objective);
    agree(general, complete, bins, held.frame.numRows, m.numBins.length, `${objective}, first 5 trees`, 5);
  }
});
