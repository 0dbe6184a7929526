// Every transformer against scikit-learn 1.2.1 (and, for target encoding, scikit-learn 1.3's algorithm
// computed by hand) on real small data sets: test/golden/features.json, written once by
// test/golden/make_features_golden.py. Each case is also saved, reloaded and run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn, type Column } from '../../src/frame/frame.ts';
import {
  fitColumnTransformer, fitDateParts, fitFeatureHasher, fitImputer, fitOneHotEncoder, fitOrdinalEncoder, fitQuantileBinner,
  fitRobustScaler, fitStandardScaler, fitTransformColumnTransformer, fitTransformTargetEncoder, loadTransformer, murmurhash3,
  QuantileBinner, type FittedTransformer, type TargetEncoderOptions,
} from '../../src/features/index.ts';
import { goldenJson } from '../helpers/golden.ts';

type Value = number | string | null;
interface DatasetJson { columns: { name: string; kind: 'number' | 'string'; logical?: 'timestamp'; values: Value[] }[] }
interface FrameJson { names: string[]; values: Value[][] }
interface Case {
  name: string; dataset: string; transformer: string; columns: string[]; options: Record<string, unknown>;
  fitRows: number[] | null; expected: FrameJson;
  edges?: number[][]; transformRows?: number[]; folds?: number[]; outOfFold?: FrameJson;
}
const golden = goldenJson('features') as {
  datasets: Record<string, DatasetJson>; murmurhash: { text: string; hash: number }[]; cases: Case[];
};

function frameOf(d: DatasetJson): Frame {
  return new Frame(d.columns.map((c) => [c.name, c.kind === 'number'
    ? numberColumn(c.values as (number | null)[], c.logical ?? 'float')
    : stringColumn(c.values as (string | null)[])] as [string, Column]));
}
const datasets = new Map(Object.entries(golden.datasets).map(([k, v]) => [k, frameOf(v)]));

const TOL = 1e-9;
function assertFrame(actual: Frame, expected: FrameJson, what: string): void {
  assert.deepEqual(actual.names, expected.names, `${what}: output names`);
  expected.names.forEach((name, j) => {
    const want = expected.values[j]!;
    assert.equal(actual.numRows, want.length, `${what}: rows`);
    for (let i = 0; i < want.length; i++) {
      const got = actual.get(i, name);
      const e = want[i]!;
      if (typeof e === 'number' && typeof got === 'number') {
        assert.ok(Math.abs(got - e) <= TOL * Math.max(1, Math.abs(e)), `${what}: ${name}[${i}] = ${got}, scikit-learn ${e}`);
      } else {
        assert.equal(got, e, `${what}: ${name}[${i}]`);
      }
    }
  });
}

/** The same transformer after a trip through JSON text, as a model package would store it. */
function reloaded(t: FittedTransformer): FittedTransformer {
  return loadTransformer(JSON.parse(JSON.stringify(t.toJSON())) as ReturnType<FittedTransformer['toJSON']>);
}

const penguinNumbers = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];

function fit(c: Case, train: Frame): FittedTransformer {
  const o = c.options as never;
  switch (c.transformer) {
    case 'standard-scaler': return fitStandardScaler(train, c.columns, o);
    case 'robust-scaler': return fitRobustScaler(train, c.columns, o);
    case 'imputer': return fitImputer(train, c.columns, o);
    case 'one-hot-encoder': return fitOneHotEncoder(train, c.columns, o);
    case 'ordinal-encoder': return fitOrdinalEncoder(train, c.columns, o);
    case 'quantile-binner': return fitQuantileBinner(train, c.columns, o);
    case 'feature-hasher': return fitFeatureHasher(train, c.columns, o);
    case 'date-parts': return fitDateParts(train, c.columns, o);
    case 'column-transformer': {
      const opts = c.options as { prefixNames: boolean; remainder: 'drop' };
      return fitColumnTransformer(train, [
        { name: 'num', columns: penguinNumbers, fit: [(f, cols) => fitImputer(f, cols, { strategy: 'median' }), fitStandardScaler] },
        { name: 'cat', columns: ['Island', 'Sex'], fit: [(f, cols) => fitImputer(f, cols, { strategy: 'most_frequent' }), (f, cols) => fitOneHotEncoder(f, cols, { handleUnknown: 'ignore' })] },
      ], opts);
    }
    case 'column-transformer-diabetes':
      return fitColumnTransformer(train, [
        { name: 'bins', columns: ['age', 'bmi'], fit: (f, cols) => fitQuantileBinner(f, cols, { bins: 4 }) },
        { name: 'robust', columns: ['s1', 's2'], fit: fitRobustScaler },
      ], { remainder: 'passthrough' });
    default: throw new Error(`no fitter for ${c.transformer}`);
  }
}

for (const c of golden.cases) {
  test(`matches scikit-learn: ${c.name}`, () => {
    const data = datasets.get(c.dataset)!;
    const train = c.fitRows ? data.take(c.fitRows) : data;
    if (c.transformer === 'target-encoder') {
      const opts = { ...(c.options as unknown as TargetEncoderOptions), folds: Int32Array.from(c.folds!) };
      const { transformer, output } = fitTransformTargetEncoder(train, c.columns, opts);
      assertFrame(output.select(c.columns), c.outOfFold!, `${c.name} (out of fold)`);
      const test = data.take(c.transformRows!);
      assertFrame(transformer.transform(test).select(c.columns), c.expected, `${c.name} (new rows)`);
      assertFrame(reloaded(transformer).transform(test).select(c.columns), c.expected, `${c.name} (reloaded)`);
      return;
    }
    const t = fit(c, train);
    const outputs = t.outputs ?? t.inputs;
    assert.deepEqual([...outputs], c.expected.names, 'declared outputs');
    assertFrame(t.transform(data).select(outputs), c.expected, c.name);
    assertFrame(reloaded(t).transform(data).select(outputs), c.expected, `${c.name} (reloaded)`);
    if (t instanceof QuantileBinner) {
      t.edges.forEach((e, j) => e.forEach((v, k) => {
        const want = c.edges![j]![k]!;
        assert.ok(v === want || Math.abs(v - want) <= TOL * Math.max(1, Math.abs(want)), `edge ${j}.${k}: ${v} != ${want}`);
      }));
    }
  });
}

test('murmurhash3 matches scikit-learn murmurhash3_32 (seed 0, signed)', () => {
  for (const { text, hash } of golden.murmurhash) assert.equal(murmurhash3(Buffer.from(text, 'utf8'), 0), hash, text);
});

test('the column transformer training output equals its transform of the training rows when nothing is out of fold', () => {
  const data = datasets.get('penguins')!;
  const { transformer, output } = fitTransformColumnTransformer(data, [
    { name: 'num', columns: penguinNumbers, fit: [(f, cols) => fitImputer(f, cols, { strategy: 'median' }), fitStandardScaler] },
  ]);
  const again = transformer.transform(data);
  assertFrame(output, { names: [...again.names], values: again.names.map((n) => Array.from({ length: again.numRows }, (_, i) => again.get(i, n))) }, 'training output');
});
