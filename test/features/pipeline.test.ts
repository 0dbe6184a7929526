// Composition: column transformers and feature pipelines, their inputs/outputs, training outputs
// (out of fold where a step says so), and their trip through JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import {
  FeaturePipeline, fitCategoryEncoder, fitColumnTransformer, fitDateParts, fitFeatureHasher, fitFeaturePipeline, fitImputer, fitOneHotEncoder,
  fitQuantileBinner, fitRobustScaler, fitStandardScaler, fitTargetEncoder, fitTransformColumnTransformer, fitTransformFeaturePipeline,
  fitTransformTargetEncoder, loadTransformer, type FittedTransformer,
} from '../../src/features/index.ts';

const frame = new Frame([
  ['when', numberColumn([Date.UTC(2024, 0, 6, 23), Date.UTC(2024, 0, 8, 7), Date.UTC(2024, 5, 12, 13), Date.UTC(2024, 11, 31, 0), Date.UTC(2024, 1, 29, 18), Date.UTC(2024, 2, 3, 9)], 'timestamp')],
  ['amount', numberColumn([10, NaN, 30, 1000, 20, 25])],
  ['shop', stringColumn(['a', 'b', 'a', null, 'c', 'a'])],
  ['user', stringColumn(['u1', 'u2', 'u3', 'u1', 'u2', 'u4'])],
  ['late', numberColumn([0, 1, 0, 1, 1, 0])],
]);

function roundTrip(t: FittedTransformer): FittedTransformer {
  return loadTransformer(JSON.parse(JSON.stringify(t.toJSON())) as ReturnType<FittedTransformer['toJSON']>);
}

function sameFrame(a: Frame, b: Frame): void {
  assert.deepEqual(a.names, b.names);
  assert.deepEqual(a.head(a.numRows), b.head(b.numRows));
}

test('a column transformer lays out its parts in order, then the remainder, and reloads from JSON', () => {
  const ct = fitColumnTransformer(frame, [
    { name: 'num', columns: ['amount'], fit: [(f, c) => fitImputer(f, c, { strategy: 'median', addIndicator: true }), fitRobustScaler] },
    { name: 'shop', columns: ['shop'], fit: (f, c) => fitOneHotEncoder(f, c, { handleUnknown: 'ignore' }) },
    { name: 'time', columns: ['when'], fit: (f, c) => fitDateParts(f, c, { parts: ['weekend'], cyclic: ['hour'] }) },
    { name: 'gone', columns: ['user'], fit: 'drop' },
  ], { remainder: 'passthrough', exclude: ['late'] });
  assert.deepEqual(ct.outputs, ['amount', 'missingindicator_amount', 'shop_a', 'shop_b', 'shop_c', 'shop_nan', 'when_weekend', 'when_hour_sin', 'when_hour_cos']);
  assert.deepEqual([...ct.inputs].sort(), ['amount', 'shop', 'when']);
  const out = ct.transform(frame);
  assert.deepEqual(out.names, ct.outputs);
  assert.deepEqual(Array.from(out.numbers('missingindicator_amount')), [0, 1, 0, 0, 0, 0]);
  assert.equal(out.get(1, 'amount'), 0, 'the median fill is the robust centre');
  assert.deepEqual(Array.from(out.numbers('when_weekend')), [1, 0, 0, 0, 0, 1]);
  sameFrame(roundTrip(ct).transform(frame), out);
  const passthrough = fitColumnTransformer(frame, [{ name: 'num', columns: ['amount'], fit: fitStandardScaler }], { remainder: 'passthrough' });
  assert.deepEqual(passthrough.outputs, ['amount', 'when', 'shop', 'user', 'late'], 'without exclude the label passes through too');
});

test("a target encoder inside a column transformer feeds the next step its out-of-fold values", () => {
  const big = new Frame([
    ['shop', stringColumn(Array.from({ length: 60 }, (_, i) => `s${i % 6}`))],
    ['late', numberColumn(Array.from({ length: 60 }, (_, i) => (i % 6 < 3 ? 1 : i % 5 === 0 ? 1 : 0)))],
  ]);
  const fit = (f: Frame, c: readonly string[]) => fitTransformTargetEncoder(f, c, { target: 'late', seed: 3 });
  const { transformer, output } = fitTransformColumnTransformer(big, [{ name: 'te', columns: ['shop'], fit: [fit, fitStandardScaler] }]);
  const oof = fitTransformTargetEncoder(big, ['shop'], { target: 'late', seed: 3 }).output.numbers('shop');
  // The scaler was fitted on the out-of-fold encodings, not on the in-sample ones.
  const mean = oof.reduce((a, b) => a + b, 0) / oof.length;
  const chain = transformer.parts[0]!.transformer as FeaturePipeline;
  assert.ok(Math.abs((chain.steps[1] as unknown as { means: number[] }).means[0]! - mean) < 1e-12);
  const inSample = transformer.transform(big).numbers('shop');
  assert.notDeepEqual(Array.from(output.numbers('shop')), Array.from(inSample), 'training output is out of fold; transform is the full-data encoding');
  const full = fitTargetEncoder(big, ['shop'], { target: 'late' }).transform(big).numbers('shop');
  const s = (chain.steps[1] as unknown as { means: number[]; scales: number[] });
  assert.ok(Array.from(inSample).every((v, i) => Math.abs(v - (full[i]! - s.means[0]!) / s.scales[0]!) < 1e-12));
});

test('a feature pipeline fits its steps in order, knows its inputs, and reloads', () => {
  const { transformer: pipe, output } = fitTransformFeaturePipeline(frame, [
    { columns: ['amount'], fit: (f, c) => fitImputer(f, c, { strategy: 'mean' }) },
    { columns: ['amount'], fit: (f, c) => fitQuantileBinner(f, c, { bins: 3 }) },
    { columns: ['user', 'shop'], fit: (f, c) => fitFeatureHasher(f, c, { features: 4 }) },
    { columns: ['when'], fit: (f, c) => fitDateParts(f, c, { parts: ['month'] }) },
  ], { outputs: ['amount', 'hash_0', 'hash_1', 'hash_2', 'hash_3', 'when_month'] });
  assert.deepEqual([...pipe.inputs], ['amount', 'user', 'shop', 'when']);
  sameFrame(output, pipe.transform(frame));
  sameFrame(roundTrip(pipe).transform(frame), output);
  assert.deepEqual(Array.from(output.numbers('when_month')), [1, 1, 6, 12, 2, 3]);
  // The last step's outputs are the default outputs.
  const last = fitFeaturePipeline(frame, [{ columns: ['shop'], fit: (f, c) => fitOneHotEncoder(f, c) }]);
  assert.deepEqual(last.outputs, ['shop_a', 'shop_b', 'shop_c', 'shop_nan']);
});

test('the original FeaturePipeline API (as trainModel builds it) still works and now nests', () => {
  const scaler = fitStandardScaler(frame, ['amount']);
  const encoder = fitCategoryEncoder(frame, ['shop']);
  const legacy = new FeaturePipeline([scaler, encoder], ['amount', 'shop']);
  assert.deepEqual([...legacy.inputs], ['amount', 'shop']);
  const reloaded = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(legacy.toJSON().state)));
  sameFrame(reloaded.transform(frame), legacy.transform(frame));
  const nested = fitColumnTransformer(frame, [{ name: 'legacy', columns: ['amount', 'shop'], fit: () => legacy }]);
  sameFrame(nested.transform(frame), legacy.transform(frame));
});
