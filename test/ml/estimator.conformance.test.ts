// The estimator contract, proved once for all: every registered estimator family runs the same checks
// (in the spirit of scikit-learn's check_estimator). A new family gets them by registering
// (registerEstimator with its tasks, options and a fast `example` spec); nothing here names a family.
//
// Checks: options validated (unknown names with a "did you mean", wrong types, tasks it does not
// learn), task and labels (booleans, text classes, fractions; class names kept and read back),
// column roles (text declared numeric, numeric codes declared categorical, values that do not fit),
// missing and infinite values and all-missing features, unseen categories, determinism by seed and
// across thread counts, save and load giving identical predictions, clear errors, cancellation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, DataError, SluiceError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { evaluateMulticlass } from '../../src/ml/evaluate.ts';
import { fitEstimator, registeredEstimators, type EstimatorSpec, type Task } from '../../src/ml/estimators.ts';
import { decodeModelPackage, encodeModelPackage } from '../../src/ml/package.ts';
import { loadPredictor, trainModel, type Predictor, type TrainOptions } from '../../src/ml/train.ts';
import { accuracy, r2 } from '../../src/ml/metrics/index.ts';

/**
 * x: float with missing values; count: integer; city: text with nulls; code: integer category codes
 * whose effect is not monotonic. Labels: late (boolean), species (3 text classes), value (float),
 * inSet (boolean: code is 1 or 4), setValue (float, from code alone).
 */
function rows(n: number, seed: number): Frame {
  const r = new Rng(seed);
  const x = new Float64Array(n);
  const count = new Float64Array(n);
  const code = new Float64Array(n);
  const city: (string | null)[] = [];
  const late = new Float64Array(n);
  const species: string[] = [];
  const value = new Float64Array(n);
  const inSet = new Float64Array(n);
  const setValue = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r.next() < 0.1 ? NaN : r.next() * 10;
    count[i] = r.int(20);
    code[i] = r.int(6);
    const c = r.int(5);
    city.push(r.next() < 0.05 ? null : `c${c}`);
    const s = (Number.isNaN(x[i]!) ? 0.5 : x[i]! / 5 - 1) + (c % 2 === 0 ? 0.8 : -0.6) + (count[i]! > 12 ? 0.6 : 0) + 0.6 * (r.next() - 0.5);
    late[i] = s > 0.2 ? 1 : 0;
    species.push(s < -0.4 ? 'adelie' : s < 0.7 ? 'chinstrap' : 'gentoo');
    value[i] = 3 * s + 0.1 * (r.next() - 0.5);
    inSet[i] = code[i] === 1 || code[i] === 4 ? 1 : 0;
    setValue[i] = (inSet[i] ? 3 : 0) + 0.05 * (r.next() - 0.5);
  }
  return Frame.from({
    x, count, code, city: stringColumn(city),
    late: numberColumn(late, 'bool'), species: stringColumn(species), value, inSet: numberColumn(inSet, 'bool'), setValue,
  });
}

const train = rows(400, 1);
const held = rows(150, 2);
const LABEL: Record<Task, string> = { binary: 'late', multiclass: 'species', regression: 'value' };
const FEATURES = { numeric: ['x', 'count'], categorical: ['city'] };

function same(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: row ${i} differs (${a[i]} vs ${b[i]})`);
}

function rejectsWith(p: Promise<unknown>, check: (e: SluiceError) => boolean, what: string): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SluiceError, `${what}: a SluiceError, got ${String(e)}`);
    assert.ok(check(e), `${what}: got "${e.message}" (hint: ${e.hint})`);
    return true;
  });
}

const families = registeredEstimators();

test('every family the project ships is registered (and so runs this suite)', () => {
  const types: string[] = families.map((f) => f.type);
  for (const t of ['gbdt', 'random-forest', 'logistic-regression', 'ridge', 'elastic-net', 'calibrated']) assert.ok(types.includes(t), `${t} is registered`);
});

for (const family of families) {
  const spec = { type: family.type, ...family.example } as EstimatorSpec;
  const primary = family.tasks[0]!;
  const fit = (frame: Frame, options: Partial<TrainOptions> = {}): Promise<Predictor> =>
    trainModel(frame, { label: LABEL[primary], ...FEATURES, estimator: spec, ...(primary === 'binary' ? {} : { task: primary }), ...options });

  describe(`estimator ${family.type}`, () => {
    test('options: an unknown option is an error that suggests the right name', async () => {
      const name = Object.keys(family.options)[0]!;
      const typo = name.slice(0, -1);
      await rejectsWith(fit(train, { estimator: { ...spec, [typo]: 1 } as never }),
        (e) => e instanceof DataError && e.message.includes(`no option "${typo}"`) && (e.hint ?? '').includes(`Did you mean "${name}"`), 'misspelled option');
      await rejectsWith(fit(train, { estimator: { ...spec, noSuchOption: 1 } as never }),
        (e) => e.message.includes('no option "noSuchOption"') && (e.hint ?? '').includes(name), 'unknown option lists the options');
    });

    test('options: a value of the wrong type names the option', async () => {
      const [name] = Object.entries(family.options).find(([, r]) => r.kind === 'number' || r.kind === 'integer' || r.kind === 'boolean') ?? [];
      if (name === undefined) return;
      await rejectsWith(fit(train, { estimator: { ...spec, [name]: 'lots' } as never }), (e) => e.message.includes(`option "${name}" must be`), 'wrong type');
    });

    test('options: a misspelled type suggests the registered one', async () => {
      await rejectsWith(fit(train, { estimator: { ...spec, type: `${family.type}s` as never } }),
        (e) => e.message.includes('Unknown estimator type') && (e.hint ?? '').includes(`"${family.type}"`), 'type typo');
    });

    for (const task of (['binary', 'multiclass', 'regression'] as const).filter((t) => !family.tasks.includes(t))) {
      test(`task: ${task} is refused, naming the families that learn it`, async () => {
        await rejectsWith(fit(train, { label: LABEL[task], task, estimator: spec }), (e) => e.message.includes(`does not learn`) && (e.hint ?? '').length > 0, `task ${task}`);
      });
    }

    for (const task of family.tasks) {
      test(`${task}: trains from the label as users hold it, keeps the classes, and a saved package predicts the same`, async () => {
        // Booleans and text are classes without asking; fractions are a quantity without asking.
        const model = await trainModel(train, { label: LABEL[task], ...FEATURES, estimator: spec, ...(task === 'multiclass' && train.column('species').kind !== 'string' ? { task } : {}) });
        assert.equal(model.task, task, 'task inferred from the label column');
        const p = model.predict(held);
        const K = task === 'multiclass' ? 3 : 1;
        assert.equal(p.length, held.numRows * K, 'one value per row (K per row for multiclass)');
        assert.ok(p.every((v) => Number.isFinite(v)), 'finite predictions');
        if (task === 'binary') {
          assert.deepEqual(model.classes, [false, true], 'boolean classes kept');
          assert.ok(p.every((v) => v >= 0 && v <= 1), 'probabilities');
          assert.ok(accuracy(held.numbers('late'), p.map((v) => (v >= 0.5 ? 1 : 0))) > 0.7, 'learns the label');
          assert.ok(model.predictClasses(held).every((c) => typeof c === 'boolean'), 'classes read back as booleans');
        } else if (task === 'multiclass') {
          assert.deepEqual(model.classes, ['adelie', 'chinstrap', 'gentoo'], 'text classes kept, sorted');
          for (let r = 0; r < held.numRows; r++) assert.ok(Math.abs(p[3 * r]! + p[3 * r + 1]! + p[3 * r + 2]! - 1) < 1e-9, `row ${r} probabilities sum to 1`);
          const names = model.predictClasses(held);
          assert.ok(names.every((c) => c === 'adelie' || c === 'chinstrap' || c === 'gentoo'), 'classes read back by name');
          const m = evaluateMulticlass(model.labelCodes(held), p, model.classes!);
          assert.ok(m.accuracy > 0.6, `multiclass accuracy ${m.accuracy}`);
          assert.deepEqual(model.evaluate(held), m, 'evaluate picks evaluateMulticlass');
        } else {
          assert.equal(model.classes, null);
          assert.ok(r2(held.numbers('value'), p) > 0.5, `R² ${r2(held.numbers('value'), p)}`);
        }
        const pkg = decodeModelPackage(encodeModelPackage(model.toPackage({ metrics: model.evaluate(held) })));
        assert.equal(pkg.task, task);
        const again = loadPredictor(pkg);
        same(again.predict(held), p, 'loaded package');
        assert.deepEqual(again.classes, model.classes, 'class names survive the package');
      });
    }

    test('roles: a text column declared numeric is an error naming column, row and value, with the fix', async () => {
      await rejectsWith(fit(train, { numeric: ['x', 'city'], categorical: [] }),
        (e) => e.context['column'] === 'city' && e.message.includes('declared numeric') && /"c\d" at row \d+/.test(e.message) && (e.hint ?? '').includes('categorical'), 'text as numeric');
    });

    test('roles: integer codes declared categorical are categories (a non-monotonic effect is learned)', async () => {
      const task: Task = family.tasks.includes('binary') ? 'binary' : 'regression';
      const label = task === 'binary' ? 'inSet' : 'setValue';
      const model = await trainModel(train, { label, task, numeric: [], categorical: ['code'], estimator: spec });
      const p = model.predict(held);
      if (task === 'binary') assert.ok(accuracy(held.numbers('inSet'), p.map((v) => (v >= 0.5 ? 1 : 0))) > 0.95, 'code in {1, 4} learned as a set of categories');
      else assert.ok(r2(held.numbers('setValue'), p) > 0.95, `code in {1, 4} learned as a set of categories: R² ${r2(held.numbers('setValue'), p)}`);
    });

    test('roles: a value that does not fit its categorical role is an error naming column, row and value', async () => {
      const bad = train.withColumn('code', numberColumn(train.numbers('code').map((v, i) => (i === 7 ? 2.5 : v))));
      await rejectsWith(fit(bad, { categorical: ['city', 'code'] }),
        (e) => e.context['column'] === 'code' && e.context['row'] === 7 && e.message.includes('2.5') && (e.hint ?? '').includes('numeric'), 'fractional category code');
    });

    test('missing values train and score; a feature missing on every row and an infinite value are errors naming the column', async () => {
      const model = await fit(train);
      const gaps = held.withColumn('x', numberColumn(new Float64Array(held.numRows).fill(NaN))).withColumn('city', stringColumn(new Array<string | null>(held.numRows).fill(null)));
      assert.ok(model.predict(gaps).every((v) => Number.isFinite(v)), 'missing values score');
      const empty = train.withColumn('x', numberColumn(new Float64Array(train.numRows).fill(NaN)));
      await rejectsWith(fit(empty), (e) => e.context['column'] === 'x' && e.message.includes('missing on every'), 'all-missing feature');
      const inf = train.withColumn('count', numberColumn(train.numbers('count').map((v, i) => (i === 11 ? Infinity : v))));
      await rejectsWith(fit(inf), (e) => e.context['column'] === 'count' && e.context['row'] === 11 && e.message.includes('Infinity'), 'infinite value in training');
      const infHeld = held.withColumn('count', numberColumn(held.numbers('count').map((v, i) => (i === 3 ? -Infinity : v))));
      assert.throws(() => model.predict(infHeld), (e: unknown) => e instanceof DataError && e.context['column'] === 'count' && e.context['row'] === 3, 'infinite value in scoring');
    });

    test('unseen categories score as missing ones', async () => {
      const model = await fit(train);
      const unseen = held.withColumn('city', stringColumn(new Array<string>(held.numRows).fill('atlantis')));
      const missing = held.withColumn('city', stringColumn(new Array<string | null>(held.numRows).fill(null)));
      same(model.predict(unseen), model.predict(missing), 'unseen = missing');
    });

    test('determinism: the same spec gives the same model, whatever the thread count', async () => {
      const a = (await fit(train)).predict(held);
      same((await fit(train)).predict(held), a, 'refit');
      if ('threads' in family.options) same((await fit(train, { estimator: { ...spec, threads: 2 } as EstimatorSpec })).predict(held), a, 'threads 2 against the default');
      if ('seed' in family.options) {
        const s = spec as { seed?: number };
        same((await fit(train, { estimator: { ...spec, seed: (s.seed ?? 0) } as EstimatorSpec })).predict(held), a, 'seed given explicitly');
      }
    });

    test('clear errors: a column missing at scoring is named; a declared class without rows is refused', async () => {
      const model = await fit(train);
      assert.throws(() => model.predict(held.select(['x', 'city'])), (e: unknown) => e instanceof DataError && e.context['column'] === 'count', 'missing column named');
      if (family.tasks.includes('multiclass')) {
        await rejectsWith(trainModel(train, { label: 'species', ...FEATURES, estimator: spec, classes: ['adelie', 'chinstrap', 'gentoo', 'emperor'] }),
          (e) => e.code === 'ABSENT_CLASS' && e.message.includes('emperor'), 'declared class without rows');
        const codes = train.withColumn('k', numberColumn(train.strings('species').codes.map((c) => (c === 2 ? 3 : c)) as unknown as Float64Array));
        await rejectsWith(fitEstimator(codes.select(['x', 'count']), codes.numbers('k'), spec, { task: 'multiclass', categorical: [] }),
          (e) => e.code === 'ABSENT_CLASS' && e.message.includes('2'), 'class code without rows');
      }
      if (family.tasks.includes('binary')) {
        const one = train.withColumn('late', numberColumn(new Float64Array(train.numRows).fill(1), 'bool'));
        await rejectsWith(trainModel(one, { label: 'late', ...FEATURES, estimator: spec }), (e) => e.message.includes('two') || e.message.includes('class'), 'one class only');
      }
    });

    test('cancellation: an aborted signal stops the fit with CancelledError', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(fit(train, { signal: controller.signal }), CancelledError);
    });
  });
}
