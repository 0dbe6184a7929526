// The defects of issue 10 (one contract for every estimator), each with the test that failed before:
// misspelled options ignored, gbdt options out of trainModel's reach, one name per idea, class codes
// trained as a regression, text labels refused, roles meaning different things per family,
// evaluateBinary on multiclass output, an unconverged logistic regression saying nothing, and
// trainModel living in the registry. (The checks every family shares are in estimator.conformance.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, SluiceError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { openEngine } from '../../src/engine/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import * as sluice from '../../src/index.ts';
import { evaluateBinary, evaluateMulticlass } from '../../src/ml/evaluate.ts';
import { checkSpec, fitEstimator, loadEstimator, type EstimatorSpec } from '../../src/ml/estimators.ts';
import type { GradientBoostedTrees } from '../../src/ml/gbdt/index.ts';
import { decodeModelPackage, encodeModelPackage } from '../../src/ml/package.ts';
import { loadPredictor, scoreDataset, trainModel, type Predictor } from '../../src/ml/train.ts';

/** x and z numeric, g text; y3 class codes 0..2, y01 0/1, value a quantity with fractions. */
function data(n: number, seed: number): Frame {
  const r = new Rng(seed);
  const x = new Float64Array(n);
  const z = new Float64Array(n);
  const g: string[] = [];
  const y3 = new Float64Array(n);
  const y01 = new Float64Array(n);
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r.next() * 4;
    z[i] = r.next();
    const k = r.int(4);
    g.push(`g${k}`);
    const s = x[i]! + (k === 2 ? 1 : 0) + 0.5 * r.next();
    y3[i] = s < 1.5 ? 0 : s < 3 ? 1 : 2;
    y01[i] = s > 2.2 ? 1 : 0;
    value[i] = s + 0.01;
  }
  return Frame.from({ x, z, g: stringColumn(g), y3, y01, value, species: stringColumn(Array.from(y3, (c) => ['adelie', 'chinstrap', 'gentoo'][c]!)) });
}

const train = data(600, 1);
const held = data(300, 2);
const gbdtOf = (m: Predictor): GradientBoostedTrees => (m.estimator as unknown as { model: GradientBoostedTrees }).model;

async function rejects(p: Promise<unknown>, re: RegExp, hint?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SluiceError, `a SluiceError, got ${String(e)}`);
    assert.match(e.message, re);
    if (hint) assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('1. a misspelled gbdt or linear option is an error with a "did you mean", not ignored', async () => {
  const base = { label: 'y01', task: 'binary' as const, numeric: ['x', 'z'] };
  // Before: gbdt trained 100 trees for numTree: 10, logistic regression ignored c: 3.
  await rejects(trainModel(train, { ...base, estimator: { type: 'gbdt', numTree: 10 } as never }), /gbdt has no option "numTree"/, /Did you mean "numTrees"/);
  await rejects(trainModel(train, { ...base, estimator: { type: 'logistic-regression', c: 3 } as never }), /logistic-regression has no option "c"/, /Did you mean "C"/);
  await rejects(trainModel(train, { ...base, estimator: { type: 'gbdt', categorical: { l3: 1 } } as never }), /no option "categorical.l3"/, /Did you mean "categorical.l2"/);
  await rejects(trainModel(train, { ...base, estimator: { type: 'logistic-regression', penalty: 'l3' } as never }), /option "penalty" must be "l2" \| "l1"/);
  await rejects(trainModel(train, { ...base, estimator: { type: 'calibrated', base: { type: 'gbdt', leaves: 4 } } as never }), /gbdt has no option "leaves"/, /maxLeaves/);
  await rejects(trainModel(train, { ...base, estimator: { type: 'gdbt' } as never }), /Unknown estimator type "gdbt"/, /Did you mean "gbdt"/);
});

test('1. the tree classes used directly (plain JavaScript callers) refuse a misspelled option too', async () => {
  // Before: new GradientBoostedTrees().fit(frame, label, { numLeaves: 3 }) fitted 31 leaves, and the
  // forest ignored { numTree: 3 }, with no word.
  const frame = Frame.from({ x: train.column('x'), z: train.column('z') });
  const y = train.numbers('y01');
  await rejects(new sluice.GradientBoostedTrees().fit(frame, y, { numLeaves: 3 } as never), /GradientBoostedTrees.fit has no option "numLeaves"/, /Did you mean "maxLeaves"/);
  assert.throws(() => new sluice.GradientBoostedTrees({ learnRate: 0.1 } as never), /GradientBoostedTrees has no option "learnRate"/);
  await rejects(new sluice.RandomForest().fit(frame, y, { numTree: 3 } as never), /RandomForest.fit has no option "numTree"/, /Did you mean "numTrees"/);
  assert.throws(() => new sluice.RandomForest({ max_depth: 3 } as never), /RandomForest has no option "max_depth"/);
  // Every real option is still accepted.
  await new sluice.GradientBoostedTrees({ numTrees: 3, maxLeaves: 4, seed: 1, threads: 1 }).fit(frame, y, { objective: 'binary', signal: new AbortController().signal });
  await new sluice.RandomForest({ numTrees: 3, maxDepth: 3, seed: 1, threads: 1 }).fit(frame, y, { oobScore: true });
});

test('1. the compiler catches a misspelled option in a spec (EstimatorSpec is a discriminated union)', () => {
  // Each line below fails `npm run typecheck` if its spec stops being an error for the compiler.
  // @ts-expect-error numTree is not a gbdt option
  const a: EstimatorSpec = { type: 'gbdt', numTree: 10 };
  // @ts-expect-error c is not a logistic-regression option (C is)
  const b: EstimatorSpec = { type: 'logistic-regression', c: 3 };
  // @ts-expect-error the forest's old option name
  const c: EstimatorSpec = { type: 'random-forest', trees: 10 };
  // @ts-expect-error a misspelled categorical setting
  const d: EstimatorSpec = { type: 'gbdt', categorical: { l3: 1 } };
  // @ts-expect-error maxLeaves is a gbdt option, not the forest's
  const e: EstimatorSpec = { type: 'random-forest', maxLeaves: 8 };
  const ok: EstimatorSpec[] = [{ type: 'gbdt', numTrees: 10, categorical: { l2: 1 } }, { type: 'random-forest', numTrees: 10 }, { type: 'calibrated', base: { type: 'gbdt', numTrees: 5 } }];
  // And the run-time check agrees with the compiler.
  for (const bad of [a, b, c, d, e]) assert.throws(() => checkSpec(bad), DataError);
  for (const good of ok) checkSpec(good);
});

test('1. one name per idea: numTrees in gbdt and the forest; the old forest name says it was renamed', async () => {
  const base = { label: 'y01', task: 'binary' as const, numeric: ['x', 'z'] };
  const forest = await trainModel(train, { ...base, estimator: { type: 'random-forest', numTrees: 7, seed: 1 } });
  assert.equal((forest.estimator as unknown as { model: { model: { trees: unknown[] } } }).model.model.trees.length, 7);
  const gbdt = await trainModel(train, { ...base, estimator: { type: 'gbdt', numTrees: 7 } });
  assert.equal(gbdtOf(gbdt).model.trees.length, 7);
  await rejects(trainModel(train, { ...base, estimator: { type: 'random-forest', trees: 7 } as never }), /option "trees" was renamed to "numTrees"/, /numTrees: 7/);
});

test('1. every gbdt option is reachable through trainModel: earlyStoppingRounds, numClasses, huberDelta, categorical settings', async () => {
  const stopped = await trainModel(train, {
    label: 'y01', task: 'binary', numeric: ['x', 'z'], categorical: ['g'], validation: held,
    estimator: { type: 'gbdt', numTrees: 300, learningRate: 0.5, earlyStoppingRounds: 3, categorical: { l2: 0, smoothing: 1, maxOneHot: 8 } },
  });
  const g = gbdtOf(stopped);
  assert.ok(g.model.trees.length < 300, `early stopping stopped at ${g.model.trees.length} trees`);
  assert.equal(g.options.catL2, 0);
  assert.equal(g.options.catSmoothing, 1);
  assert.equal(g.options.catMaxOneHot, 8);
  await rejects(trainModel(train, { label: 'y01', task: 'binary', numeric: ['x'], estimator: { type: 'gbdt', earlyStoppingRounds: 3 } }), /earlyStoppingRounds needs validation/);
  const huber = await trainModel(train, { label: 'value', numeric: ['x', 'z'], estimator: { type: 'gbdt', loss: 'huber', huberDelta: 0.25, numTrees: 5 } });
  assert.equal(gbdtOf(huber).options.objective, 'huber');
  assert.equal(gbdtOf(huber).options.huberDelta, 0.25);
  const three = await trainModel(train, { label: 'y3', task: 'multiclass', numeric: ['x'], estimator: { type: 'gbdt', numClasses: 3, numTrees: 5 } });
  assert.equal(gbdtOf(three).options.numClasses, 3);
  await rejects(trainModel(train, { label: 'y3', task: 'multiclass', numeric: ['x'], estimator: { type: 'gbdt', numClasses: 4 } }), /numClasses is 4, but label "y3" has 3 classes/, /without training rows/);
});

test('2. class codes with no task are not trained as a regression: the task is asked for by name', async () => {
  for (const type of ['gbdt', 'random-forest'] as const) {
    // Before: a regressor whose "probabilities" ran past 1.
    await rejects(trainModel(train, { label: 'y3', numeric: ['x', 'z'], estimator: { type } }), /Label "y3" holds whole numbers \(0, 1, 2\)/, /task: 'multiclass'/);
    await rejects(trainModel(train, { label: 'y01', numeric: ['x', 'z'], estimator: { type } }), /Label "y01" holds whole numbers \(0, 1\)/, /task: 'binary'/);
    const m = await trainModel(train, { label: 'y3', task: 'multiclass', numeric: ['x', 'z'], estimator: { type, numTrees: 10 } });
    const p = m.predict(held);
    assert.equal(p.length, 3 * held.numRows);
    assert.ok(p.every((v) => v >= 0 && v <= 1));
  }
  // Where it is certain, no question: fractions are a quantity, booleans and text are classes.
  assert.equal((await trainModel(train, { label: 'value', numeric: ['x'], estimator: { type: 'ridge' } })).task, 'regression');
  const bool = train.withColumn('late', numberColumn(train.numbers('y01'), 'bool'));
  assert.equal((await trainModel(bool, { label: 'late', numeric: ['x'], estimator: { type: 'logistic-regression' } })).task, 'binary');
  assert.equal((await trainModel(train, { label: 'species', numeric: ['x'], estimator: { type: 'logistic-regression' } })).task, 'multiclass');
  // The RandomForest class API: 0/1 is binary as documented, other whole numbers ask.
  await assert.rejects(new sluice.RandomForest({ numTrees: 2 }).fit(train.select(['x']), train.numbers('y3')), /task must be given/);
});

test('3. text and boolean class labels: the package keeps the names, predictions as probabilities or names', async () => {
  // Before: `Column "species" is a string column`.
  for (const type of ['gbdt', 'random-forest', 'logistic-regression'] as const) {
    const model = await trainModel(train, { label: 'species', numeric: ['x', 'z'], categorical: ['g'], estimator: { type } });
    assert.deepEqual(model.classes, ['adelie', 'chinstrap', 'gentoo']);
    const names = model.predictClasses(held);
    const truth = Array.from({ length: held.numRows }, (_, i) => held.get(i, 'species'));
    const acc = names.filter((c, i) => c === truth[i]).length / names.length;
    assert.ok(acc > 0.8, `${type}: accuracy by name ${acc}`);
    const pkg = decodeModelPackage(encodeModelPackage(model.toPackage({ metrics: model.evaluate(held) })));
    assert.deepEqual(pkg.classes, ['adelie', 'chinstrap', 'gentoo']);
    assert.equal(pkg.confusion?.matrix.length, 3, 'the confusion matrix travels in the package');
    assert.deepEqual(loadPredictor(pkg).predictClasses(held), names);
  }
  // A chosen positive class: the last of `classes`.
  const late = await trainModel(train.withColumn('status', stringColumn(Array.from(train.numbers('y01'), (v) => (v ? 'late' : 'on time')))), {
    label: 'status', classes: ['on time', 'late'], numeric: ['x'], categorical: ['g'], estimator: { type: 'logistic-regression' },
  });
  assert.deepEqual(late.classes, ['on time', 'late']);
  const p = late.predict(held);
  assert.ok(evaluateBinary(held.numbers('y01'), p).auc > 0.9, 'predict gives P(late)');
});

test('3. a bad label is named as the label', async () => {
  const holes = train.withColumn('species', stringColumn(Array.from({ length: train.numRows }, (_, i) => (i === 5 ? null : train.get(i, 'species') as string))));
  await rejects(trainModel(holes, { label: 'species', numeric: ['x'], estimator: { type: 'gbdt' } }), /Label "species" is missing at row 5/);
  await rejects(trainModel(train, { label: 'species', task: 'regression', numeric: ['x'], estimator: { type: 'gbdt' } }), /Label "species" is a text column; regression needs a numeric label/);
  await rejects(trainModel(train, { label: 'nope', numeric: ['x'], estimator: { type: 'gbdt' } }), /Label column "nope" is not in the training data/);
});

test('3. evaluateMulticlass: accuracy, log loss, macro and weighted F1, confusion matrix; evaluateBinary points at it', () => {
  // y: 0 0 1 1 2 2; predicted 0 1 1 1 2 0.
  const y = Float64Array.of(0, 0, 1, 1, 2, 2);
  const p = Float64Array.of(0.8, 0.1, 0.1, 0.2, 0.5, 0.3, 0.1, 0.8, 0.1, 0.2, 0.6, 0.2, 0.1, 0.1, 0.8, 0.5, 0.2, 0.3);
  const m = evaluateMulticlass(y, p, ['a', 'b', 'c']);
  assert.equal(m.accuracy, 4 / 6);
  // Per class F1: a: P 1/2 R 1/2 -> 0.5; b: P 2/3 R 1 -> 0.8; c: P 1 R 1/2 -> 2/3.
  assert.ok(Math.abs(m.macroF1 - (0.5 + 0.8 + 2 / 3) / 3) < 1e-12);
  assert.ok(Math.abs(m.weightedF1 - (0.5 + 0.8 + 2 / 3) / 3) < 1e-12, 'equal supports: weighted = macro');
  const ll = -(Math.log(0.8) + Math.log(0.2) + Math.log(0.8) + Math.log(0.6) + Math.log(0.8) + Math.log(0.3)) / 6;
  assert.ok(Math.abs(m.logLoss - ll) < 1e-12);
  assert.deepEqual(m.confusion, { classes: ['a', 'b', 'c'], matrix: [[1, 1, 0], [0, 2, 0], [1, 0, 1]] });
  // Before: a hint about row counts.
  assert.throws(() => evaluateBinary(y, p), (e: unknown) => e instanceof DataError && /3 values per row/.test(e.message) && /evaluateMulticlass/.test(e.hint ?? ''));
  assert.throws(() => evaluateBinary(y, Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)), (e: unknown) => e instanceof DataError && /evaluateMulticlass/.test(e.hint ?? ''));
});

test('4. a numeric column declared categorical is a category for the linear models too; text declared numeric is an error', async () => {
  // Before: logistic regression read the codes as one unscaled number.
  const r = new Rng(9);
  const n = 500;
  const code = Float64Array.from({ length: n }, () => r.int(5));
  const frame = Frame.from({ code, y: Float64Array.from(code, (c) => (c === 1 || c === 3 ? 1 : 0)) });
  const model = await trainModel(frame, { label: 'y', task: 'binary', categorical: ['code'], estimator: { type: 'logistic-regression', C: 10 } });
  const p = model.predict(frame);
  assert.ok(p.every((v, i) => (v >= 0.5 ? 1 : 0) === frame.numbers('y')[i]), 'codes 1 and 3 learned as categories');
  // The same through fitEstimator, without trainModel's encoder: the linear design one-hots the codes.
  const direct = await fitEstimator(frame.select(['code']), frame.numbers('y'), { type: 'logistic-regression', C: 10 }, { task: 'binary', categorical: ['code'] });
  const q = direct.predict(Frame.from({ code: Float64Array.of(0, 1, 2, 3, 4, 7, NaN) }));
  assert.deepEqual(Array.from(q.subarray(0, 5), (v) => (v >= 0.5 ? 1 : 0)), [0, 1, 0, 1, 0], 'one coefficient per code');
  assert.equal(q[5], q[6], 'an unseen code scores as a missing one');
  const again = loadEstimator(JSON.parse(JSON.stringify({ type: direct.type, state: direct.toJSON() })) as { type: string; state: never });
  assert.deepEqual(again.predict(Frame.from({ code: Float64Array.of(0, 1, 2, 3, 4, 7, NaN) })), q);
  // Before: the trees made "distance" a categorical with one level per distinct text.
  const text = train.withColumn('x', stringColumn(Array.from(train.numbers('x'), (v) => v.toFixed(2))));
  await rejects(trainModel(text, { label: 'y01', task: 'binary', numeric: ['x'], estimator: { type: 'gbdt' } }), /Column "x" is declared numeric but holds text \("\d\.\d\d" at row 0\)/, /TRY_CAST\("x" AS DOUBLE\)/);
  await rejects(trainModel(train, { label: 'y01', task: 'binary', numeric: ['x'], categorical: ['x'], estimator: { type: 'gbdt' } }), /declared both numeric and categorical/);
  await rejects(trainModel(train, { label: 'y01', task: 'binary', numeric: ['x', 'y01'], estimator: { type: 'gbdt' } }), /label "y01" is also declared a numeric feature/);
});

test('6. a logistic regression stopped at its iteration limit says so: on the model, in the log, in the package', async () => {
  const lines: string[] = [];
  const model = await trainModel(train, { label: 'y3', task: 'multiclass', numeric: ['x', 'z'], categorical: ['g'], estimator: { type: 'logistic-regression', maxIter: 2 }, log: (m) => lines.push(m) });
  assert.equal(model.warnings.length, 1);
  assert.match(model.warnings[0]!, /logistic-regression did not converge: the solver stopped at its iteration limit \(maxIter 2\)/);
  assert.deepEqual(lines, [`warning: ${model.warnings[0]}`]);
  const pkg = decodeModelPackage(encodeModelPackage(model.toPackage()));
  assert.deepEqual(pkg.warnings, model.warnings);
  assert.deepEqual(loadPredictor(pkg).warnings, model.warnings);
  const converged = await trainModel(train, { label: 'y3', task: 'multiclass', numeric: ['x', 'z'], estimator: { type: 'logistic-regression' }, log: (m) => lines.push(m) });
  assert.deepEqual(converged.warnings, []);
  assert.equal(converged.toPackage().warnings, undefined);
});

test('scoreDataset gives probabilities per class and class names for multiclass models', async () => {
  const model = await trainModel(train, { label: 'species', numeric: ['x', 'z'], estimator: { type: 'logistic-regression' } });
  const engine = await openEngine();
  try {
    const out = await scoreDataset(engine, model.toPackage(), `SELECT x, z FROM (VALUES (0.2, 0.5), (3.9, 0.5)) t(x, z)`, { output: 'both' });
    assert.deepEqual(out.names, ['probability_adelie', 'probability_chinstrap', 'probability_gentoo', 'predicted_class']);
    assert.equal(out.get(0, 'predicted_class'), 'adelie');
    assert.equal(out.get(1, 'predicted_class'), 'gentoo');
  } finally {
    await engine.close();
  }
});

test('9. trainModel, loadPredictor and scoreDataset live with the models and are still exported by sluice', () => {
  assert.equal(sluice.trainModel, trainModel);
  assert.equal(sluice.loadPredictor, loadPredictor);
  assert.equal(sluice.scoreDataset, scoreDataset);
  assert.equal(typeof sluice.evaluateMulticlass, 'function');
});
