// Yesterday's models still load: every committed model package in test/fixtures/packages/ (one per
// estimator family, made by make-packages.ts in the format of its day) decodes, loads and predicts
// exactly what it predicted when it was made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { decodeModelPackage, loadPredictor, registeredEstimators } from '../../src/index.ts';

const dir = new URL('../fixtures/packages/', import.meta.url);
const packages = readdirSync(dir).filter((f) => f.endsWith('.model.gz')).sort();

test('there is a committed package for every estimator family', () => {
  const families = new Set(packages.map((f) => decodeModelPackage(readFileSync(new URL(f, dir))).estimator.type));
  for (const family of registeredEstimators()) assert.ok(families.has(family.type), `a package of ${family.type}`);
});

for (const file of packages) {
  test(`${file} loads and predicts what it predicted when it was made`, () => {
    const expected = JSON.parse(readFileSync(new URL(file.replace('.model.gz', '.expected.json'), dir), 'utf8')) as {
      rows: { x: (number | null)[]; count: number[]; city: (string | null)[] }; predictions: number[]; classes?: (string | number | boolean)[];
    };
    const pkg = decodeModelPackage(readFileSync(new URL(file, dir)), file);
    const rows = new Frame([['x', numberColumn(expected.rows.x)], ['count', numberColumn(expected.rows.count)], ['city', stringColumn(expected.rows.city)]]);
    const model = loadPredictor(pkg);
    const got = model.predict(rows);
    assert.equal(got.length, expected.predictions.length, 'prediction count');
    expected.predictions.forEach((p, i) => assert.ok(Object.is(got[i], p), `row ${i}: ${got[i]} against ${p} when made`));
    if (expected.classes) assert.deepEqual(model.predictClasses(rows), expected.classes, 'class names as predicted when made');
    if (pkg.task !== 'regression') assert.equal(model.predictClasses(rows).length, rows.numRows, 'old packages read back classes too');
  });
}
