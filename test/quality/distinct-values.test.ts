/**
 * Text checks of a batch held in a table (CSV) run once per distinct value of their column when values
 * repeat (validate.ts, checkDistinctValues), and once per row otherwise. Either way the verdicts must be
 * the ones a per-row evaluation gives: the same rows of the same file, read as Parquet (streamed, each
 * check evaluated per row), must give the same counts, the same quarantined rows and the same reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { csv, parquet, type Source } from '../../src/data/index.ts';
import { quoteLiteral } from '../../src/engine/index.ts';
import { ingestValidated, suite } from '../../src/quality/index.ts';
import { dataEnv, type DataEnv } from '../data/helpers.ts';

interface Row { id: number; code: string; country: string; serial: string; amount: number }

const ROWS = 6_000;

/**
 * 6,000 rows: `code` and `country` repeat a dozen values (some bad, some NULL), `serial` is distinct on
 * every row (the per-row path), and a few rows break several checks at once.
 */
async function prepare(env: DataEnv): Promise<{ csvPath: string; parquetPath: string }> {
  await env.engine.run(`CREATE TEMP TABLE countries AS SELECT * FROM (VALUES ('NO'), ('SE'), ('DK'), ('FI')) t(iso)`);
  await env.commit([await env.catalog.stage(env.engine, 'countries', 'SELECT * FROM countries', env.lineage)]);
  const codes = `['AB1', 'AB2', 'AB3', 'ab4', 'ABCDEFG', NULL, 'AB7', 'AB8']`;
  const countries = `['NO', 'SE', 'DK', 'FI', 'XX', NULL, 'NO', 'SE', 'DK', 'YY', 'FI']`;
  await env.engine.run(`CREATE TEMP TABLE fixture AS SELECT i AS id,
      ${codes}[1 + (i * 7) % 8] AS code,
      ${countries}[1 + (i * 3) % 11] AS country,
      CASE WHEN i % 997 = 0 THEN 'bad-' || i ELSE 'S' || lpad(CAST(i AS VARCHAR), 6, '0') END AS serial,
      CAST(i % 50 AS DOUBLE) AS amount
    FROM range(${ROWS}) r(i)`);
  const csvPath = join(env.dir, 'rows.csv');
  const parquetPath = join(env.dir, 'rows.parquet');
  await env.engine.run(`COPY (SELECT * FROM fixture ORDER BY id) TO ${quoteLiteral(csvPath)} (FORMAT csv, HEADER)`);
  await env.engine.run(`COPY (SELECT * FROM fixture ORDER BY id) TO ${quoteLiteral(parquetPath)}`);
  return { csvPath, parquetPath };
}

const checks = suite<Row>('text', (e) => [
  e.regex('code', /^[A-Z]{2}\d$/, { severity: 'warn' }),
  e.length('code', { min: 3, max: 3 }, { severity: 'warn' }),
  e.inSet('country', ['NO', 'SE', 'DK', 'FI', 'XX'], { severity: 'warn' }),
  e.valuesIn('country', { dataset: 'countries', column: 'iso' }, { severity: 'warn', name: 'country_known' }),
  e.regex('serial', /^S\d{6}$/, { severity: 'warn' }),
  e.length('serial', { max: 7 }, { severity: 'warn', quarantine: false, name: 'serial_short' }),
  e.sql('code_not_country', 'code <> country', { severity: 'warn' }),
]);

let counter = 0;
async function run(env: DataEnv, source: Source) {
  const result = await ingestValidated(env.engine, env.catalog, { dataset: `d${++counter}`, source, suite: checks, lineage: env.lineage });
  await env.commit([...result.staged, ...result.quarantined]);
  const report = result.reports[0]!;
  const quarantined = await env.engine.rows(`SELECT id, _source_row, to_json(_failed) AS failed FROM read_parquet(${quoteLiteral(result.quarantined[0]!.path)}) ORDER BY id`);
  const clean = Number(await env.engine.scalar(`SELECT count(*) FROM read_parquet(${quoteLiteral(result.staged[0]!.path)})`));
  return { report, quarantined, clean };
}

test('text checks on repeated values (CSV, once per distinct value) agree row for row with the per-row checks of the same rows from Parquet', async () => {
  const env = await dataEnv();
  try {
    const { csvPath, parquetPath } = await prepare(env);
    const fromCsv = await run(env, csv(csvPath));
    const fromParquet = await run(env, parquet(parquetPath));
    const failed = (r: typeof fromCsv) => Object.fromEntries(r.report.expectations.map((e) => [e.name, e.failedRows ?? null]));
    // The answers, counted from the generator: 1 in 8 codes is 'ab4', 1 in 8 'ABCDEFG', 1 in 8 NULL
    // (NULL passes every check but not_null); 'YY' is 1 in 11 countries and 'XX' another 1 in 11.
    const expected = await env.engine.rows(`SELECT
        count(*) FILTER (WHERE code IN ('ab4', 'ABCDEFG')) AS code_matches,
        count(*) FILTER (WHERE code = 'ABCDEFG') AS code_length,
        count(*) FILTER (WHERE country = 'YY') AS country_in_set,
        count(*) FILTER (WHERE country IN ('XX', 'YY')) AS country_known,
        count(*) FILTER (WHERE serial LIKE 'bad-%') AS serial_matches,
        count(*) FILTER (WHERE length(serial) > 7) AS serial_short,
        count(*) FILTER (WHERE code IN ('ab4', 'ABCDEFG') OR country IN ('XX', 'YY') OR serial LIKE 'bad-%') AS quarantined
      FROM fixture`);
    const want = expected[0]!;
    assert.deepEqual(failed(fromCsv), {
      code_matches: Number(want['code_matches']), code_length: Number(want['code_length']), country_in_set: Number(want['country_in_set']),
      country_known: Number(want['country_known']), serial_matches: Number(want['serial_matches']), serial_short: Number(want['serial_short']), code_not_country: 0,
    });
    assert.ok(Number(want['code_matches']) > 0 && Number(want['country_known']) > 0 && Number(want['serial_matches']) > 0, 'every kind of bad value occurs');
    assert.deepEqual(failed(fromCsv), failed(fromParquet));
    assert.equal(fromCsv.report.rows.quarantined, Number(want['quarantined']));
    assert.deepEqual(fromCsv.report.rows, fromParquet.report.rows);
    assert.equal(fromCsv.clean, ROWS - Number(want['quarantined']));
    assert.equal(fromCsv.clean, fromParquet.clean);
    // The same rows, with the same source row numbers and the same reasons.
    assert.deepEqual(fromCsv.quarantined, fromParquet.quarantined);
    const row4 = fromCsv.quarantined.find((r) => Number(r['id']) === 4)!;
    assert.equal(Number(row4['_source_row']), 5, 'the fifth data row of the file');
  } finally { await env.close(); }
});
