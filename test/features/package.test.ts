// A fitted feature pipeline and its estimator save and load as one model package, on real data
// (penguins from vega-datasets, as stored in test/golden/features.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn, type Column } from '../../src/frame/frame.ts';
import {
  FeaturePipeline, fitImputer, fitOneHotEncoder, fitStandardScaler, fitTransformColumnTransformer, fitTransformTargetEncoder,
} from '../../src/features/index.ts';
import { fitEstimator } from '../../src/ml/estimators.ts';
import { rocAuc } from '../../src/ml/metrics/index.ts';
import { crossValidateModel, stratifiedKFold, stratifiedSplit } from '../../src/ml/selection/index.ts';
import { decodeModelPackage, encodeModelPackage } from '../../src/ml/package.ts';
import { loadPredictor, Predictor } from '../../src/ml/predictor.ts';
import { goldenJson } from '../helpers/golden.ts';

interface DatasetJson { columns: { name: string; kind: 'number' | 'string'; values: (number | string | null)[] }[] }
const golden = goldenJson('features') as { datasets: Record<string, DatasetJson> };

/** Penguins of known sex, labelled male = 1. */
function penguins(): Frame {
  const d = golden.datasets.penguins!;
  const all = new Frame(d.columns.map((c) => [c.name, c.kind === 'number' ? numberColumn(c.values as (number | null)[]) : stringColumn(c.values as (string | null)[])] as [string, Column]));
  const sex = all.strings('Sex');
  const keep = Uint8Array.from(sex.codes, (c) => (c >= 0 && sex.dictionary[c] !== '.' ? 1 : 0));
  const known = all.filter(keep);
  const s = known.strings('Sex');
  return known.withColumn('male', numberColumn(Float64Array.from(s.codes, (c) => (s.dictionary[c] === 'MALE' ? 1 : 0))));
}

const numeric = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
const features = (train: Frame) => fitTransformColumnTransformer(train, [
  { name: 'num', columns: numeric, fit: [(f, c) => fitImputer(f, c, { strategy: 'median' }), fitStandardScaler] },
  { name: 'island', columns: ['Island'], fit: (f, c) => fitOneHotEncoder(f, c, { handleUnknown: 'ignore' }) },
  { name: 'species', columns: ['Species'], fit: (f, c) => fitTransformTargetEncoder(f, c, { target: 'male', seed: 1 }) },
]);

test('feature pipeline + logistic regression: one package, saved and loaded, scores the same', async () => {
  const frame = penguins();
  const y = frame.numbers('male');
  const { train, test: held } = stratifiedSplit(y, { testSize: 0.3, seed: 4 });
  const trainRows = frame.take(train);
  const { transformer, output } = features(trainRows);
  const pipeline = new FeaturePipeline([transformer], transformer.outputs);
  const estimator = await fitEstimator(output, trainRows.numbers('male'), { type: 'logistic-regression', C: 1 }, { task: 'binary', categorical: [] });
  const signature = pipeline.inputs.map((name) => ({ name, type: frame.column(name).kind }));
  const predictor = new Predictor(pipeline, estimator, signature, 'male');

  const testRows = frame.take(held);
  const before = predictor.predict(testRows);
  const auc = rocAuc(testRows.numbers('male'), before);
  assert.ok(auc > 0.85, `held-out AUC ${auc}`);

  const bytes = encodeModelPackage(predictor.toPackage({ metrics: { auc } }));
  const loaded = loadPredictor(decodeModelPackage(bytes));
  assert.deepEqual(loaded.predict(testRows), before);
  assert.deepEqual(loaded.signature.map((s) => s.name).sort(), [...numeric, 'Island', 'Species'].sort());
  // New data with a category the one-hot encoder never saw still scores (handleUnknown: 'ignore').
  const odd = testRows.withColumn('Island', stringColumn(Array.from({ length: testRows.numRows }, () => 'Atlantis')));
  assert.equal(loaded.predict(odd).length, testRows.numRows);
});

test('cross-validating the whole model fits the features inside each fold', async () => {
  const frame = penguins().select([...numeric, 'Island', 'Species', 'male']);
  const seen: number[] = [];
  const splits = stratifiedKFold(frame.numbers('male'), { k: 4, shuffle: true, seed: 8 });
  const cv = await crossValidateModel(frame, splits, {
    label: 'male', task: 'binary',
    features: (train) => { seen.push(train.numRows); return features(train); },
    estimator: { type: 'logistic-regression', C: 1 },
    metric: (yTrue, p) => ({ auc: rocAuc(yTrue, p) }),
  });
  assert.deepEqual(seen, splits.map((s) => s.train.length), 'each fold fits its features on its training rows');
  assert.ok(cv.mean.auc! > 0.85, `mean AUC ${cv.mean.auc}`);
});
