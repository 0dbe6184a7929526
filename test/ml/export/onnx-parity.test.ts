/**
 * ONNX export parity: each family trained by trainModel on numeric, text and numeric-code categorical
 * columns, exported, run in onnxruntime-web, and compared with Sluice's own predict() on rows with
 * missing values, unseen categories, extreme values and values exactly on the trees' split edges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, stringColumn, numberColumn } from '../../../src/frame/frame.ts';
import { fitCategoryEncoder, fitImputer, fitRobustScaler, fitTransformColumnTransformer, type PipelineStep } from '../../../src/features/index.ts';
import { exportOnnx } from '../../../src/ml/export/index.ts';
import { decodeModelPackage, encodeModelPackage } from '../../../src/ml/package.ts';
import { trainModel, type Predictor } from '../../../src/ml/train.ts';
import type { EstimatorSpec, Task } from '../../../src/ml/estimators.ts';
import { makeRows, maxAbsDiff, runOnnx, scoringRows } from './onnx-helpers.ts';

const TOL = 1e-5;

async function train(estimator: EstimatorSpec, task: Task, o: { scale?: boolean; features?: readonly PipelineStep[] } = {}): Promise<Predictor> {
  const { frame, binary, value, klass } = makeRows(600, 7);
  const label = task === 'binary' ? stringColumn(binary) : task === 'multiclass' ? stringColumn(klass) : numberColumn(value);
  const roles = o.features ? { features: o.features } : { numeric: ['x1', 'x2', 'hour'], categorical: ['city', 'grade'] };
  return trainModel(frame.withColumn('y', label), { label: 'y', task, ...roles, ...(o.scale !== undefined ? { scale: o.scale } : {}), estimator });
}

/** A features pipeline of its own: median imputation with missing indicators, robust scaling, category codes, a passthrough. */
const OWN_FEATURES: readonly PipelineStep[] = [{
  columns: ['x1', 'x2', 'hour', 'city', 'grade'],
  fit: (f) => fitTransformColumnTransformer(f, [
    { name: 'num', columns: ['x1', 'x2'], fit: [(g, c) => fitImputer(g, c, { strategy: 'median', addIndicator: true }), fitRobustScaler] },
    { name: 'cat', columns: ['city', 'grade'], fit: fitCategoryEncoder },
    { name: 'time', columns: ['hour'], fit: 'passthrough' },
  ], { prefixNames: true }),
}];

/** Every 5th edge of the numeric features (bins, and a forest's exact-split edges), to score values on them. */
function splitEdges(model: Predictor): Partial<Record<'x1' | 'x2' | 'hour', number[]>> {
  const inner = (model.estimator as unknown as { model: { model: { mappers: { name: string; kind: string; edges?: Float64Array }[]; fine?: (Float64Array | null)[] } } }).model.model;
  const out: Partial<Record<'x1' | 'x2' | 'hour', number[]>> = {};
  inner.mappers.forEach((m, f) => {
    if (m.kind !== 'numeric' || !(m.name === 'x1' || m.name === 'x2' || m.name === 'hour')) return;
    const all = [...(m.edges ?? []), ...(inner.fine?.[f] ?? [])];
    out[m.name] = all.filter((_, i) => i % 5 === 0);
  });
  return out;
}

async function checkParity(model: Predictor, rows: Frame, t: { diagnostic(s: string): void }): Promise<void> {
  // Through the package, as the registry and the CLI export it.
  const pkg = decodeModelPackage(encodeModelPackage(model.toPackage()));
  const bytes = exportOnnx(pkg);
  const expected = model.predict(rows);
  const n = rows.numRows;
  if (model.task === 'regression') {
    const { data, dims } = await runOnnx(bytes, rows, 'prediction');
    assert.deepEqual(dims, [n, 1]);
    let rel = 0;
    for (let i = 0; i < n; i++) rel = Math.max(rel, Math.abs(data[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    t.diagnostic(`${n} rows, largest relative difference ${rel.toExponential(2)}`);
    assert.ok(rel <= TOL, `regression predictions match to ${TOL} (relative), got ${rel}`);
    return;
  }
  const { data, dims } = await runOnnx(bytes, rows, 'probabilities');
  const K = model.task === 'binary' ? 2 : model.classes!.length;
  assert.deepEqual(dims, [n, K]);
  const want = model.task === 'binary' ? Float64Array.from({ length: 2 * n }, (_, j) => (j % 2 === 1 ? expected[j >> 1]! : 1 - expected[j >> 1]!)) : expected;
  const diff = maxAbsDiff(data, want);
  t.diagnostic(`${n} rows x ${K} classes, largest absolute difference ${diff.toExponential(2)}`);
  assert.ok(diff <= TOL, `probabilities match to ${TOL}, got ${diff}`);
  // The rows that probe missing and unseen values do score differently from a plain row somewhere in the suite;
  // here: every probability is a probability.
  for (let i = 0; i < data.length; i++) assert.ok(data[i]! >= 0 && data[i]! <= 1);
}

const cases: [string, EstimatorSpec, Task][] = [
  ['gbdt binary', { type: 'gbdt', numTrees: 40, maxLeaves: 15, minSamplesLeaf: 5, learningRate: 0.2, seed: 1 }, 'binary'],
  ['gbdt binary, few bins', { type: 'gbdt', numTrees: 30, maxLeaves: 8, minSamplesLeaf: 5, maxBins: 16, seed: 2 }, 'binary'],
  ['gbdt regression', { type: 'gbdt', numTrees: 40, maxLeaves: 15, minSamplesLeaf: 5, seed: 1 }, 'regression'],
  ['gbdt huber regression', { type: 'gbdt', numTrees: 20, maxLeaves: 8, loss: 'huber', seed: 1 }, 'regression'],
  ['gbdt multiclass', { type: 'gbdt', numTrees: 20, maxLeaves: 8, minSamplesLeaf: 5, seed: 1 }, 'multiclass'],
  ['random forest binary', { type: 'random-forest', numTrees: 25, maxDepth: 10, seed: 1 }, 'binary'],
  ['random forest regression', { type: 'random-forest', numTrees: 25, maxDepth: 10, seed: 1 }, 'regression'],
  ['random forest multiclass', { type: 'random-forest', numTrees: 20, maxDepth: 8, seed: 1 }, 'multiclass'],
  ['logistic regression binary', { type: 'logistic-regression', C: 1 }, 'binary'],
  ['logistic regression multiclass', { type: 'logistic-regression', C: 0.5 }, 'multiclass'],
  ['ridge', { type: 'ridge', alpha: 1 }, 'regression'],
  ['elastic net', { type: 'elastic-net', alpha: 0.05, l1Ratio: 0.5 }, 'regression'],
];

for (const [name, spec, task, o] of [
  ['gbdt binary on scaled features', { type: 'gbdt', numTrees: 20, maxLeaves: 8, seed: 1 }, 'binary', { scale: true }],
  ['gbdt regression on a features pipeline of its own', { type: 'gbdt', numTrees: 20, maxLeaves: 8, seed: 1 }, 'regression', { features: OWN_FEATURES }],
  ['logistic regression on a features pipeline of its own', { type: 'logistic-regression' }, 'binary', { features: OWN_FEATURES }],
] as const) {
  test(`ONNX export of ${name} matches Sluice's predictions`, async (t) => {
    const model = await train(spec, task, o);
    await checkParity(model, scoringRows(), t);
  });
}

for (const [name, spec, task] of cases) {
  test(`ONNX export of ${name} matches Sluice's predictions (missing values, unseen categories, split edges)`, async (t) => {
    const model = await train(spec, task);
    const trees = spec.type === 'gbdt' || spec.type === 'random-forest';
    await checkParity(model, scoringRows(trees ? splitEdges(model) : {}), t);
  });
}

test('the exported graph reads one input per signature column and records the model in its metadata', async () => {
  const model = await train({ type: 'gbdt', numTrees: 5, seed: 1 }, 'binary');
  const onnx = (await import('onnx-proto')).default.onnx;
  const proto = onnx.ModelProto.decode(exportOnnx(model, { metadata: { 'sluice.model': 'delay' } }));
  const T = onnx.TensorProto.DataType;
  assert.deepEqual(proto.graph!.input!.map((i) => [i.name, i.type!.tensorType!.elemType]), [
    ['x1', T.DOUBLE], ['x2', T.DOUBLE], ['hour', T.DOUBLE], ['city', T.STRING], ['grade', T.DOUBLE],
  ]);
  assert.deepEqual(proto.graph!.output!.map((o) => o.name), ['probabilities']);
  const meta = Object.fromEntries(proto.metadataProps!.map((p) => [p.key, p.value]));
  assert.equal(meta['sluice.task'], 'binary');
  assert.equal(meta['sluice.target'], 'y');
  assert.deepEqual(JSON.parse(meta['sluice.classes']!), ['late', 'on-time']);
  assert.equal(meta['sluice.model'], 'delay');
  assert.ok(proto.graph!.node!.some((nd) => nd.opType === 'TreeEnsemble' && nd.domain === 'ai.onnx.ml'));
});

test('the parity models exercise set splits on categories, learned missing directions and the forest\'s exact thresholds', async () => {
  const onnx = (await import('onnx-proto')).default.onnx;
  for (const spec of [{ type: 'gbdt', numTrees: 40, maxLeaves: 15, minSamplesLeaf: 5, learningRate: 0.2, seed: 1 }, { type: 'random-forest', numTrees: 25, maxDepth: 10, seed: 1 }] as const) {
    const model = await train(spec, 'binary');
    const node = onnx.ModelProto.decode(exportOnnx(model)).graph!.node!.find((nd) => nd.opType === 'TreeEnsemble')!;
    const attr = (name: string) => node.attribute!.find((a) => a.name === name)!;
    const modes = [...attr('nodes_modes').t!.rawData!];
    const missingTrue = attr('nodes_missing_value_tracks_true').ints!.map(Number);
    assert.ok(modes.filter((m) => m === 6).length > 0, `${spec.type}: some splits are on sets of categories (BRANCH_MEMBER)`);
    assert.ok(modes.filter((m) => m === 0).length > 0, `${spec.type}: some splits are numeric (BRANCH_LEQ)`);
    assert.ok(missingTrue.includes(1) && missingTrue.includes(0), `${spec.type}: missing values go left at some splits and right at others`);
  }
  const forest = await train({ type: 'random-forest', numTrees: 5, maxDepth: 10, seed: 1 }, 'regression');
  const inner = (forest.estimator as unknown as { model: { model: { fine: (Float64Array | null)[] } } }).model.model;
  assert.ok(inner.fine.some((e) => e !== null), 'the forest splits some feature on exact (fine) thresholds');
});

test('ONNX export of trees on a text column with more categories than bins (the rarest share the missing bin) matches Sluice', async (t) => {
  const n = 4000;
  const codes: string[] = [], x: number[] = [], y: string[] = [];
  let s = 12345;
  const next = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  for (let i = 0; i < n; i++) {
    // 400 categories with a skewed frequency: the rarest fall beyond gbdt's 255-bin cap.
    const c = Math.floor(400 * next() ** 2);
    const v = next();
    codes.push(`shop-${c}`);
    x.push(v);
    y.push((c % 7) / 7 + v + 0.3 * next() > 0.9 ? 'yes' : 'no');
  }
  const frame = new Frame([['shop', stringColumn(codes)], ['x', numberColumn(x)], ['y', stringColumn(y)]]);
  const score = new Frame([
    ['shop', stringColumn([...codes.slice(0, 500), 'shop-unseen', null, 'shop-399', 'shop-250'])],
    ['x', numberColumn([...x.slice(0, 500), 0.5, NaN, 0.1, 0.9])],
  ]);
  for (const estimator of [{ type: 'gbdt', numTrees: 30, maxLeaves: 16, seed: 4 }, { type: 'random-forest', numTrees: 10, maxDepth: 10, seed: 4 }] as const) {
    const model = await trainModel(frame, { label: 'y', task: 'binary', numeric: ['x'], categorical: ['shop'], estimator });
    await checkParity(model, score, t);
  }
});
