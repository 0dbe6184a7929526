/**
 * Yesterday's packages export too: every committed model package (test/fixtures/packages/, one per
 * family and format) exports to ONNX, and onnxruntime reproduces the predictions recorded when the
 * package was made; the calibrated one is refused by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { SluiceError } from '../../../src/core/errors.ts';
import { Frame, numberColumn, stringColumn } from '../../../src/frame/frame.ts';
import { exportOnnx } from '../../../src/index.ts';
import { decodeModelPackage } from '../../../src/ml/package.ts';
import { maxAbsDiff, runOnnx } from './onnx-helpers.ts';

const dir = new URL('../../fixtures/packages/', import.meta.url);
const packages = readdirSync(dir).filter((f) => f.endsWith('.model.gz')).sort();

for (const file of packages) {
  test(`${file} exports to ONNX and scores as it did when made`, async () => {
    const pkg = decodeModelPackage(readFileSync(new URL(file, dir)), file);
    if (pkg.estimator.type === 'calibrated') {
      assert.throws(() => exportOnnx(pkg), (e: unknown) => e instanceof SluiceError && e.code === 'EXPORT_UNSUPPORTED' && /calibrated/.test(e.message));
      return;
    }
    const expected = JSON.parse(readFileSync(new URL(file.replace('.model.gz', '.expected.json'), dir), 'utf8')) as {
      rows: { x: (number | null)[]; count: number[]; city: (string | null)[] }; predictions: number[];
    };
    const rows = new Frame([['x', numberColumn(expected.rows.x)], ['count', numberColumn(expected.rows.count)], ['city', stringColumn(expected.rows.city)]]);
    const n = rows.numRows;
    const bytes = exportOnnx(pkg);
    if (pkg.task === 'regression') {
      const { data } = await runOnnx(bytes, rows, 'prediction');
      expected.predictions.forEach((p, i) => assert.ok(Math.abs(data[i]! - p) <= 1e-5 * Math.max(1, Math.abs(p)), `row ${i}: ${data[i]} against ${p}`));
      return;
    }
    const { data, dims } = await runOnnx(bytes, rows, 'probabilities');
    const K = dims[1]!;
    const want = pkg.task === 'binary' ? Float64Array.from({ length: 2 * n }, (_, j) => (j % 2 === 1 ? expected.predictions[j >> 1]! : 1 - expected.predictions[j >> 1]!)) : Float64Array.from(expected.predictions);
    assert.equal(data.length, n * K);
    assert.ok(maxAbsDiff(data, want) <= 1e-5);
  });
}
