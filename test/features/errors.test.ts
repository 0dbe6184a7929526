// Bad input gets a clear error naming the column (and the value and row where there is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/core/errors.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import {
  fitCategoryEncoder, fitColumnTransformer, fitDateParts, fitFeatureHasher, fitImputer, fitOneHotEncoder, fitOrdinalEncoder,
  fitQuantileBinner, fitRobustScaler, fitStandardScaler, fitTargetEncoder, fitTransformTargetEncoder,
} from '../../src/features/index.ts';

const train = new Frame([
  ['city', stringColumn(['Paris', 'Lyon', 'Paris', 'Nice', null, 'Lyon'])],
  ['age', numberColumn([31, 45, NaN, 22, 38, 50])],
  ['y', numberColumn([1, 0, 1, 0, 1, 0])],
]);
const unseen = new Frame([
  ['city', stringColumn(['Paris', 'Brest'])],
  ['age', numberColumn([30, 40])],
]);

function dataError(pattern: RegExp, column: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof DataError, `a DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.equal(e.context.column, column, 'the error names the column in its context');
    return true;
  };
}

test('a category never seen in training is an error under the error policy, naming column, value and row', () => {
  assert.throws(() => fitOneHotEncoder(train, ['city']).transform(unseen), dataError(/column "city" has category "Brest" at row 1, never seen in training/, 'city'));
  assert.throws(() => fitOrdinalEncoder(train, ['city']).transform(unseen), dataError(/column "city" has category "Brest" at row 1/, 'city'));
  assert.throws(() => fitTargetEncoder(train, ['city'], { target: 'y', unknown: 'error' }).transform(unseen), dataError(/column "city" has category "Brest" at row 1/, 'city'));
  assert.throws(() => fitCategoryEncoder(train, ['city'], { unknown: 'error' }).transform(unseen), dataError(/"Brest" at row 1, never seen in training/, 'city'));
  const noNulls = fitOneHotEncoder(train.filter(Uint8Array.from([1, 1, 1, 1, 0, 1])), ['city']);
  assert.throws(() => noNulls.transform(train), dataError(/column "city" has a missing value at row 4, never seen in training/, 'city'));
});

test('the other unknown-category policies accept new categories', () => {
  const ignore = fitOneHotEncoder(train, ['city'], { handleUnknown: 'ignore' }).transform(unseen);
  assert.deepEqual(ignore.names, ['age', 'city_Lyon', 'city_Nice', 'city_Paris', 'city_nan']);
  assert.deepEqual(ignore.head(2).map((r) => [r.city_Lyon, r.city_Nice, r.city_Paris, r.city_nan]), [[0, 0, 1, 0], [0, 0, 0, 0]]);
  const infrequent = fitOneHotEncoder(train, ['city'], { minFrequency: 2, handleUnknown: 'infrequent_if_exist' });
  assert.deepEqual(infrequent.outputs, ['city_Lyon', 'city_Paris', 'city_infrequent_sklearn']);
  assert.equal(infrequent.transform(unseen).get(1, 'city_infrequent_sklearn'), 1);
  assert.equal(fitOrdinalEncoder(train, ['city'], { unknown: 'use_encoded_value', unknownValue: -1 }).transform(unseen).get(1, 'city'), -1);
  const te = fitTargetEncoder(train, ['city'], { target: 'y' });
  assert.equal(te.transform(unseen).get(1, 'city'), 0.5, 'the target mean');
});

test('a non-numeric value in a numeric column is an error naming the column, value and row', () => {
  const dirty = new Frame([['age', stringColumn(['31', '45', 'n/a', '22'])]]);
  for (const fit of [fitStandardScaler, fitRobustScaler, fitQuantileBinner, (f: Frame, c: readonly string[]) => fitImputer(f, c, { strategy: 'median' })]) {
    assert.throws(() => fit(dirty, ['age']), dataError(/column "age" is numeric but holds the non-numeric value "n\/a" at row 2/, 'age'));
  }
  const scaler = fitStandardScaler(train, ['age']);
  assert.throws(() => scaler.transform(dirty), dataError(/"n\/a" at row 2/, 'age'));
  // Numbers stored as text (a CSV read without types) are read as numbers; empty text is missing.
  const asText = new Frame([['age', stringColumn(['31', ' 45 ', '', '22', '38', '50'])]]);
  assert.deepEqual(scaler.transform(asText).numbers('age'), scaler.transform(train).numbers('age'));
  assert.throws(() => fitStandardScaler(new Frame([['x', numberColumn([1, Infinity])]]), ['x']), dataError(/column "x" has an infinite value at row 1/, 'x'));
});

test('text-only transformers refuse numeric columns, with the way out', () => {
  assert.throws(() => fitOneHotEncoder(train, ['age']), (e: unknown) => e instanceof DataError && /column "age" is numeric/.test(e.message) && /CAST\("age" AS VARCHAR\)/.test(e.hint ?? ''));
  assert.throws(() => fitOrdinalEncoder(train, ['age']), /column "age" is numeric/);
  assert.throws(() => fitTargetEncoder(train, ['age'], { target: 'y' }), /column "age" is numeric/);
});

test('missing columns, empty columns, bad options and misuse are named', () => {
  assert.throws(() => fitStandardScaler(train, ['agee']), dataError(/column "agee" is not in the data \(columns: city, age, y\)/, 'agee'));
  assert.throws(() => fitImputer(new Frame([['x', numberColumn([NaN, NaN])]]), ['x']), dataError(/column "x" has no non-missing value/, 'x'));
  assert.equal(fitImputer(new Frame([['x', numberColumn([NaN, NaN])]]), ['x'], { strategy: 'constant', fillValue: 0 }).transform(train.select(['age']).withColumn('x', numberColumn([NaN, 1, NaN, 1, 1, 1]))).get(0, 'x'), 0);
  assert.throws(() => fitImputer(train, ['city'], { strategy: 'constant', fillValue: 0 }), dataError(/column "city" is text but fillValue is the number 0/, 'city'));
  assert.throws(() => fitStandardScaler(train, ['age', 'age']), /column "age" is listed twice/);
  assert.throws(() => fitOneHotEncoder(train, ['city'], { maxCategories: 1 }), /maxCategories must be an integer >= 2/);
  assert.throws(() => fitQuantileBinner(train, ['age'], { bins: 1 }), /bins must be an integer >= 2/);
  assert.throws(() => fitTargetEncoder(train, ['y'], { target: 'y' }), /column "y" is the target itself/);
  assert.throws(() => fitTargetEncoder(train, ['city'], { target: 'y', smooth: -1 }), /smooth must be 'auto' or a number >= 0/);
  assert.throws(() => fitTransformTargetEncoder(train.withColumn('y', numberColumn([1, NaN, 0, 1, 0, 1])), ['city'], { target: 'y' }), dataError(/target column "y" has a missing value at row 1/, 'y'));
  assert.throws(() => fitFeatureHasher(train, ['city'], { features: 0 }), /features must be a positive integer/);
  const wide = new Frame([['id', stringColumn(Array.from({ length: 50 }, (_, i) => `id${i}`))]]);
  assert.throws(() => fitOneHotEncoder(wide, ['id'], { maxColumns: 20 }), (e: unknown) => e instanceof DataError && /would make 50 columns/.test(e.message) && /feature hashing/.test(e.hint ?? ''));
});

test('date parts: unreadable text and plain numbers are errors naming the column', () => {
  const text = new Frame([['when', stringColumn(['2024-01-31', '2024-02-30', 'yesterday'])]]);
  assert.throws(() => fitDateParts(text, ['when']), dataError(/column "when" holds "2024-02-30" at row 1, which is not a date or timestamp/, 'when'));
  assert.throws(() => fitDateParts(train, ['age']), (e: unknown) => e instanceof DataError && /plain number, not a timestamp/.test(e.message) && /numberColumn\(values, 'timestamp'\)/.test(e.hint ?? ''));
  assert.throws(() => fitDateParts(new Frame([['when', stringColumn(['2024-01-31'])]]), ['when'], { cyclic: ['year' as never] }), /"year" has no cycle/);
});

test('a column transformer refuses two parts writing the same column, naming both', () => {
  assert.throws(() => fitColumnTransformer(train, [
    { name: 'scaled', columns: ['age'], fit: fitStandardScaler },
    { name: 'raw', columns: ['age'], fit: 'passthrough' },
  ]), (e: unknown) => e instanceof DataError && /output column "age" comes from both "scaled" and "raw"/.test(e.message) && /prefixNames/.test(e.hint ?? ''));
  const ok = fitColumnTransformer(train, [
    { name: 'scaled', columns: ['age'], fit: fitStandardScaler },
    { name: 'raw', columns: ['age'], fit: 'passthrough' },
  ], { prefixNames: true });
  assert.deepEqual(ok.outputs, ['scaled__age', 'raw__age']);
  assert.throws(() => fitColumnTransformer(train, [{ name: 'x', columns: ['nope'], fit: fitStandardScaler }]), /part "x": column "nope" is not in the data/);
});
