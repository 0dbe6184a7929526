/**
 * Every expectation type, passing and failing, on small data whose answers are known: schema (column
 * exists, type), row level (not null, unique on one or several columns, between, in set, regex, length,
 * finite, values in another dataset, SQL predicate) and dataset level (row count, mean, quantile,
 * freshness, SQL aggregate); severity, mostly, and count-only checks. Run on both read paths: a
 * Parquet batch streamed from its file, and a CSV batch read into a table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { csv, parquet } from '../../src/data/index.ts';
import { quoteLiteral } from '../../src/engine/index.ts';
import { ingestValidated, suite, ValidationError, type Expectation, type ExpectationResult, type Suite } from '../../src/quality/index.ts';
import { dataEnv, type DataEnv } from '../data/helpers.ts';

interface Row { id: number; code: string; amount: number; at: Date; country: string; ratio: number }

/** 10 rows with known defects (row numbers 1-based). The column `at` is a SQL keyword: it must be quoted everywhere. */
const ROWS = [
  "(1, 'AB1', 10.0, TIMESTAMP '2001-01-01 00:00:00', 'NO', CAST(0.5 AS DOUBLE))",
  "(2, 'AB2', 20.0, TIMESTAMP '2001-01-02 00:00:00', 'SE', CAST(0.25 AS DOUBLE))",
  "(3, 'ab3', -5.0, TIMESTAMP '2001-01-03 00:00:00', 'DK', CAST(1.0 AS DOUBLE))", //  lower case code, negative amount
  "(4, 'AB4', NULL, TIMESTAMP '2001-01-04 00:00:00', 'XX', CAST(2.0 AS DOUBLE))", //  null amount, unknown country
  "(4, 'AB5', 50.0, TIMESTAMP '2001-01-05 00:00:00', 'NO', CAST('NaN' AS DOUBLE))", // duplicate id, NaN ratio
  "(6, 'ABCDEFG', 60.0, TIMESTAMP '2001-01-06 00:00:00', 'FI', CAST(0.1 AS DOUBLE))", // code too long
  "(7, 'AB7', 70.0, NULL, 'NO', CAST('Infinity' AS DOUBLE))", //                    null time, infinite ratio
  "(8, 'AB8', 80.0, TIMESTAMP '2001-01-08 00:00:00', 'SE', CAST(0.8 AS DOUBLE))",
  "(9, 'AB9', 9000.0, TIMESTAMP '2001-01-09 00:00:00', 'NO', CAST(0.9 AS DOUBLE))", //   amount out of range
  "(10, 'AB0', 100.0, TIMESTAMP '2001-01-10 00:00:00', 'NO', CAST(0.0 AS DOUBLE))",
];

async function prepare(env: DataEnv): Promise<{ parquetPath: string; csvPath: string }> {
  await env.engine.run(`CREATE TEMP TABLE fixture AS SELECT * FROM (VALUES ${ROWS.join(', ')}) t(id, code, amount, "at", country, ratio)`);
  await env.engine.run(`CREATE TEMP TABLE countries AS SELECT * FROM (VALUES ('NO'), ('SE'), ('DK'), ('FI')) t(iso)`);
  const countries = await env.catalog.commit(await env.catalog.stage(env.engine, 'countries', 'SELECT * FROM countries', env.lineage));
  assert.equal(countries.rowCount, 4);
  const parquetPath = join(env.dir, 'rows.parquet');
  const csvPath = join(env.dir, 'rows.csv');
  await env.engine.run(`COPY (SELECT id, code, CAST(amount AS DOUBLE) AS amount, "at", country, CAST(ratio AS DOUBLE) AS ratio FROM fixture) TO ${quoteLiteral(parquetPath)}`);
  await env.engine.run(`COPY (SELECT id, code, CAST(amount AS DOUBLE) AS amount, "at", country, CAST(ratio AS DOUBLE) AS ratio FROM fixture) TO ${quoteLiteral(csvPath)} (FORMAT csv, HEADER)`);
  return { parquetPath, csvPath };
}

let counter = 0;
async function check(env: DataEnv, path: string, expectations: (e: Parameters<Parameters<typeof suite<Row>>[1]>[0]) => readonly Expectation[]) {
  const s: Suite<unknown> = suite<Row>('t', expectations);
  const source = path.endsWith('.csv') ? csv(path, { columns: { amount: 'DOUBLE', ratio: 'DOUBLE', at: 'TIMESTAMP' } }) : parquet(path);
  const result = await ingestValidated(env.engine, env.catalog, { dataset: `d${++counter}`, source, suite: s, lineage: env.lineage, now: Date.UTC(2001, 0, 12) });
  await env.commit([...result.staged, ...result.quarantined]);
  const report = result.reports[0]!;
  const byName = (name: string): ExpectationResult => report.expectations.find((e) => e.name === name) ?? assert.fail(`no result for ${name}`);
  return { result, report, byName };
}

for (const kind of ['parquet', 'csv'] as const) {
  test(`row expectations (${kind}): counts, statuses and quarantine reasons`, async () => {
    const env = await dataEnv();
    try {
      const paths = await prepare(env);
      const path = kind === 'parquet' ? paths.parquetPath : paths.csvPath;
      const warn = { severity: 'warn' } as const;
      const { result, report, byName } = await check(env, path, (e) => [
        e.notNull(['amount', 'at'], warn),
        e.unique('id', warn),
        e.unique(['country', 'code'], { name: 'country_code_unique' }),
        e.between('amount', 0, 1000, warn),
        e.inSet('country', ['NO', 'SE', 'DK', 'FI', 'XX']),
        e.regex('code', /^[A-Z]{2}\d$/, warn),
        e.regex('code', /ab/i, { name: 'code_has_ab' }),
        e.length('code', { min: 3, max: 3 }, warn),
        e.finite('ratio', warn),
        e.valuesIn('country', { dataset: 'countries', column: 'iso' }, warn),
        e.sql('ratio_below_one', 'ratio <= 1.0', warn),
      ]);
      const failed = (name: string) => byName(name).failedRows;
      assert.equal(failed('amount_at_not_null'), 2, 'rows 4 and 7');
      assert.equal(failed('id_unique'), 1, 'the second id 4');
      assert.equal(failed('country_code_unique'), 0);
      assert.equal(failed('amount_between'), 2, 'rows 3 and 9; NULL is not out of range');
      assert.equal(failed('country_in_set'), 0);
      assert.equal(failed('code_matches'), 2, 'ab3 and ABCDEFG');
      assert.equal(failed('code_has_ab'), 0, 'the i flag works');
      assert.equal(failed('code_length'), 1);
      assert.equal(failed('ratio_finite'), 2, 'NaN and Infinity');
      assert.equal(failed('country_in_countries'), 1, 'XX');
      assert.equal(failed('ratio_below_one'), 3, 'rows 4 (2.0), 5 (NaN compares greater) and 7 (Infinity): only FALSE fails');
      assert.equal(byName('amount_between').status, 'warned', "severity 'warn': quarantine and go on");
      assert.equal(byName('country_in_set').status, 'passed');
      // Rows 3, 4, 5, 6, 7, 9 broke something: quarantined, the others clean.
      assert.deepEqual(report.rows, { input: 10, clean: 4, quarantined: 6, unparsed: 0 });
      assert.equal(result.rows, 4);
      const q = await env.engine.rows(`SELECT id, _source_row, to_json(_failed) AS failed FROM read_parquet('${result.quarantined[0]!.path}') ORDER BY _source_row`);
      assert.deepEqual(q.map((r) => r['_source_row']), [3, 4, 5, 6, 7, 9]);
      const row4 = JSON.parse(String(q[1]!['failed'])) as { expectation: string; reason: string }[];
      assert.deepEqual(row4.map((f) => f.expectation), ['amount_at_not_null', 'country_in_countries', 'ratio_below_one']);
      assert.deepEqual(row4.map((f) => f.reason), ['amount is null', 'country = XX is not in countries.iso', 'breaks ratio <= 1.0']);
      const row9 = JSON.parse(String(q[5]!['failed'])) as { reason: string }[];
      assert.deepEqual(row9.map((f) => f.reason), ['amount = 9000.0 is outside [0, 1000]']);
      const row5 = JSON.parse(String(q[2]!['failed'])) as { expectation: string; reason: string }[];
      assert.deepEqual(row5.map((f) => f.expectation), ['id_unique', 'ratio_finite', 'ratio_below_one']);
      assert.equal(row5[0]!.reason, 'duplicates an earlier row on (id)');
      assert.equal(byName('code_matches').samples?.length, 2);
    } finally { await env.close(); }
  });
}

test('dataset expectations: row count, mean, quantile, freshness, SQL aggregate; schema: column exists and type', async () => {
  const env = await dataEnv();
  try {
    const { parquetPath } = await prepare(env);
    const { report, byName } = await check(env, parquetPath, (e) => [
      e.columnExists('code'),
      e.columnType('amount', 'DOUBLE'),
      e.columnType('id', 'VARCHAR', { severity: 'warn' }),
      e.rowCount({ min: 5, max: 10 }),
      e.rowCount({ min: 100 }, { name: 'at_least_100', severity: 'warn' }),
      e.mean('amount', { min: 0, max: 2000 }),
      e.mean('amount', { max: 10 }, { name: 'small_mean', severity: 'warn' }),
      e.quantile('amount', 0.5, { min: 40, max: 80 }),
      e.quantile('at', 0.5, { min: '2001-01-02', max: '2001-01-09' }, { name: 'median_time' }),
      e.freshness('at', { maxAge: '3 days' }),
      e.freshness('at', { maxAge: '1 hour', asOf: '2001-02-01' }, { name: 'stale', severity: 'warn' }),
      e.sqlAggregate('three_countries', 'count(DISTINCT country) >= 3'),
    ]);
    assert.equal(report.status, 'warned');
    assert.equal(byName('code_exists').status, 'passed');
    assert.equal(byName('amount_type').status, 'passed');
    assert.equal(byName('id_type').status, 'warned');
    assert.match(byName('id_type').message ?? '', /has type INTEGER, expected VARCHAR/);
    assert.equal(byName('row_count').status, 'passed');
    assert.equal(byName('row_count').observed, 10, 'no row check: every row is clean');
    assert.equal(byName('at_least_100').status, 'warned');
    assert.ok(Math.abs(Number(byName('amount_mean').observed) - 9385 / 9) < 1e-9);
    assert.equal(byName('small_mean').status, 'warned');
    assert.equal(byName('amount_q50').status, 'passed');
    assert.equal(byName('amount_q50').observed, 60);
    assert.equal(byName('median_time').status, 'passed');
    assert.equal(byName('at_fresh').status, 'passed', 'newest 2001-01-10 within 3 days of 2001-01-12');
    assert.equal(byName('stale').status, 'warned');
    assert.equal(byName('three_countries').status, 'passed');
  } finally { await env.close(); }
});

test('severity fail: a failing expectation fails the validation and nothing is written; mostly tolerates a share; quarantine: false only counts', async () => {
  const env = await dataEnv();
  try {
    const { parquetPath } = await prepare(env);
    // Row checks fail by default: no severity given.
    const err = await check(env, parquetPath, (e) => [e.between('amount', 0, 1000), e.rowCount({ min: 1 })]).then(() => undefined, (x: unknown) => x);
    assert.ok(err instanceof ValidationError, String(err));
    assert.match(err.message, /amount_between: amount within \[0, 1000\] \(2 of 10 rows\)/);
    assert.equal(err.report.status, 'failed');
    assert.deepEqual((await env.store.listDatasets()).map((d) => d.dataset), ['countries']);
    const tolerant = await check(env, parquetPath, (e) => [e.between('amount', 0, 1000, { severity: 'fail', mostly: 0.8 })]);
    assert.equal(tolerant.byName('amount_between').status, 'passed');
    assert.equal(tolerant.report.rows.quarantined, 2, 'the failing rows still go to the quarantine');
    const counted = await check(env, parquetPath, (e) => [e.between('amount', 0, 1000, { quarantine: false, severity: 'warn' }), e.finite('ratio', { severity: 'warn' })]);
    assert.equal(counted.byName('amount_between').failedRows, 2);
    assert.deepEqual(counted.report.rows, { input: 10, clean: 8, quarantined: 2, unparsed: 0 });
  } finally { await env.close(); }
});

test('a check that cannot be evaluated (missing column, wrong type) is an error naming check, column, type found and needed, whatever its severity', async () => {
  const env = await dataEnv();
  try {
    const { parquetPath } = await prepare(env);
    const before = (await env.store.listDatasets()).length;
    const missing = await check(env, parquetPath, (e) => [e.notNull('nope' as 'id', { severity: 'warn' })]).then(() => undefined, (x: unknown) => x);
    assert.ok(missing instanceof SluiceError, String(missing));
    assert.equal(missing.code, 'CHECK_NOT_EVALUABLE');
    assert.match(missing.message, /Expectation "nope_not_null" \(nope not null\) cannot be evaluated: column "nope" is not in the data \(it has "id", "code"/);
    assert.equal(missing.context['column'], 'nope');
    const typed = await check(env, parquetPath, (e) => [e.between('code' as 'amount', 0, 1, { severity: 'warn' })]).then(() => undefined, (x: unknown) => x);
    assert.ok(typed instanceof SluiceError, String(typed));
    assert.equal(typed.code, 'CHECK_NOT_EVALUABLE');
    assert.match(typed.message, /Expectation "code_between" .* cannot be evaluated: column "code" has type VARCHAR; between needs a number or time column/);
    assert.deepEqual([typed.context['expectation'], typed.context['column'], typed.context['type'], typed.context['needed']], ['code_between', 'code', 'VARCHAR', 'a number or time column']);
    assert.match(typed.hint ?? '', /columns: \{ "code": 'DOUBLE' \}/);
    for (const [exp, needed] of [[(e: Parameters<Parameters<typeof suite<Row>>[1]>[0]) => e.mean('code' as 'amount', { max: 1 }, { severity: 'warn' }), 'a number column'],
      [(e: Parameters<Parameters<typeof suite<Row>>[1]>[0]) => e.freshness('amount' as 'at', { maxAge: '1 day' }, { severity: 'warn' }), 'a time column']] as const) {
      const err = await check(env, parquetPath, (e) => [exp(e)]).then(() => undefined, (x: unknown) => x);
      assert.ok(err instanceof SluiceError && err.code === 'CHECK_NOT_EVALUABLE', String(err));
      assert.equal(err.context['needed'], needed);
    }
    const ref = await check(env, parquetPath, (e) => [e.valuesIn('country', { dataset: 'nations', column: 'iso' }, { severity: 'warn' })]).then(() => undefined, (x: unknown) => x);
    assert.ok(ref instanceof SluiceError && ref.code === 'CHECK_NOT_EVALUABLE', String(ref));
    assert.match(ref.message, /the referenced dataset "nations" does not exist/);
    assert.equal((await env.store.listDatasets()).length, before, 'nothing registered');
  } finally { await env.close(); }
});

test('suites are typed by their row: wrong column names and kinds do not compile', () => {
  const s = suite<Row>('typed', (e) => [
    e.between('amount', 0, 1),
    e.between('at', new Date('2001-01-01'), null),
    e.regex('code', /x/),
    // @ts-expect-error: no such column
    e.notNull('amout'),
    // @ts-expect-error: between needs a number or time column
    e.between('code', 0, 1),
    // @ts-expect-error: regex needs a text column
    e.regex('amount', /1/),
  ]);
  assert.equal(s.expectations.length, 6);
  assert.throws(() => suite('dup', (e) => [e.notNull('a'), e.notNull('a')]), /two expectations named "a_not_null"/);
  assert.throws(() => suite('bad', (e) => [e.sql('x', '1 = 1; DROP TABLE t')]), /one expression/);
  assert.throws(() => suite('bad', (e) => [e.between('a', null, null)]), /needs a min or a max/);
});
