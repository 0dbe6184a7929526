/**
 * What ONNX cannot express is refused by name: a calibrated model, a transformer the graph does not
 * rebuild. The error is a SluiceError (code EXPORT_UNSUPPORTED) that names what and why, with a way out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../../src/core/errors.ts';
import { stringColumn } from '../../../src/frame/frame.ts';
import { fitFeatureHasher } from '../../../src/features/index.ts';
import { exportOnnx } from '../../../src/ml/export/index.ts';
import { trainModel } from '../../../src/ml/train.ts';
import { makeRows } from './onnx-helpers.ts';

function rows() {
  const { frame, binary } = makeRows(300, 3);
  return frame.withColumn('y', stringColumn(binary));
}

test('exporting a calibrated model fails with a SluiceError naming the estimator and the families that export', async () => {
  const model = await trainModel(rows(), {
    label: 'y', task: 'binary', numeric: ['x1', 'x2'], categorical: ['city'],
    estimator: { type: 'calibrated', base: { type: 'gbdt', numTrees: 5, seed: 1 }, method: 'platt', cv: 3, seed: 1 },
  });
  assert.throws(() => exportOnnx(model), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'EXPORT_UNSUPPORTED');
    assert.match(e.message, /estimator "calibrated" cannot be exported/);
    assert.match(e.message, /gbdt, random-forest, logistic-regression, ridge, elastic-net/);
    assert.match(e.hint ?? '', /calibration/);
    return true;
  });
});

test('exporting a model whose features include a transformer ONNX cannot rebuild names the transformer and the way out', async () => {
  const model = await trainModel(rows(), {
    label: 'y', task: 'binary',
    features: [{ columns: ['city', 'x1'], fit: (f, c) => fitFeatureHasher(f, c, { features: 8 }) }],
    estimator: { type: 'logistic-regression' },
  });
  assert.throws(() => exportOnnx(model.toPackage()), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'EXPORT_UNSUPPORTED');
    assert.match(e.message, /feature transformer "feature-hasher" cannot be exported/);
    assert.match(e.hint ?? '', /default features/);
    return true;
  });
});
