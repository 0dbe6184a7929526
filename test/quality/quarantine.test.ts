/**
 * The quarantine: rows that broke expectations (with the name and reason of each) and rows that did not
 * parse (with file, line and raw text) land in one quarantine version per batch; the clean rows go on;
 * clean + quarantined = rows read, on the real flights data as on small files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flightsParquetPath } from '../../examples/flights/data-path.ts';
import { flightsSuite } from '../../examples/flights/suites.ts';
import { csv, datasetSql, parquet } from '../../src/data/index.ts';
import { ingestValidated, suite, validateDataset } from '../../src/quality/index.ts';
import { dataEnv } from '../data/helpers.ts';

test('flights, March 2001: the duplicate records and impossible delays the data really has are quarantined; clean + quarantined = input', async () => {
  const env = await dataEnv();
  try {
    const result = await ingestValidated(env.engine, env.catalog, {
      dataset: 'flights', source: parquet(flightsParquetPath()), suite: flightsSuite, lineage: env.lineage,
      incremental: { by: 'partition', key: { name: 'month', sql: "strftime(date, '%Y-%m')" } }, partitions: ['2001-03'],
    });
    await env.commit([...result.staged, ...result.quarantined]);
    const report = result.reports[0]!;
    assert.equal(report.rows.input, 511_502);
    assert.equal(report.rows.clean + report.rows.quarantined, report.rows.input);
    assert.equal((await env.catalog.get('flights')).rowCount, report.rows.clean);
    assert.equal((await env.catalog.get('flights_quarantine')).rowCount, report.rows.quarantined);
    const dup = report.expectations.find((e) => e.name === 'no_duplicate_flights')!;
    const delay = report.expectations.find((e) => e.name === 'plausible_delay')!;
    assert.equal(dup.failedRows! + delay.failedRows!, report.rows.quarantined);
    assert.ok(dup.failedRows! > 0, 'March has exact duplicate records');
    assert.ok(delay.failedRows! > 0, 'and delays of more than a day');
    const reasons = await env.engine.rows(`SELECT f.expectation, count(*) AS n FROM ${datasetSql(await env.catalog.get('flights_quarantine'))} q, unnest(q._failed) AS t(f) GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(reasons, [{ expectation: 'no_duplicate_flights', n: dup.failedRows }, { expectation: 'plausible_delay', n: delay.failedRows }]);
    // Each quarantined duplicate has an identical clean twin; the clean rows have no duplicates left.
    const clean = datasetSql(await env.catalog.get('flights'));
    assert.equal(await env.engine.scalar(`SELECT count(*) - count(DISTINCT (date, delay, distance, origin, destination)) FROM ${clean}`), 0);
    assert.equal(await env.engine.scalar(`SELECT count(*) FROM ${datasetSql(await env.catalog.get('flights_quarantine'))} q
      WHERE q._failed[1].expectation = 'no_duplicate_flights' AND NOT EXISTS (SELECT 1 FROM ${clean} c WHERE c.date = q.date AND c.delay = q.delay AND c.distance = q.distance AND c.origin = q.origin AND c.destination = q.destination)`), 0);
  } finally { await env.close(); }
});

test('unparsable rows and failed rows share the batch quarantine; counts add up; lineage and meta are recorded', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'orders.csv');
    writeFileSync(path, 'id,qty,sku\n1,5,A-1\n2,x,A-2\n3,-1,A-3\n4,7\n5,8,bad sku\n6,9,A-6\n');
    const result = await ingestValidated(env.engine, env.catalog, {
      dataset: 'orders', source: csv(path, { columns: { qty: 'INTEGER' }, onBadRows: 'quarantine' }), lineage: env.lineage,
      suite: suite('orders', (e) => [e.between('qty', 0, null, { severity: 'warn' }), e.regex('sku', /^[A-Z]-\d+$/, { severity: 'warn' })]),
    });
    await env.commit([...result.staged, ...result.quarantined]);
    const report = result.reports[0]!;
    assert.deepEqual(report.rows, { input: 6, clean: 2, quarantined: 4, unparsed: 2 });
    const q = await env.engine.rows(`SELECT id, _source_row, _source_file, _source_line, _raw, _failed[1].expectation AS e, _failed[1].reason AS r FROM ${datasetSql(await env.catalog.get('orders_quarantine'))} ORDER BY coalesce(_source_line, 0), _source_row`);
    assert.deepEqual(q.map((r) => [r['id'], r['_source_line'], r['e']]), [[3, null, 'qty_between'], [5, null, 'sku_matches'], [null, 3, 'parse'], [null, 5, 'parse']]);
    assert.equal(q[2]!['_raw'], '2,x,A-2');
    assert.equal(q[2]!['_source_file'], path);
    assert.match(String(q[2]!['r']), /wrong type in column "qty"/);
    assert.match(String(q[3]!['r']), /ragged row/);
    const v = await env.store.getDatasetVersion('orders');
    assert.deepEqual(v?.inputs, [`file:${path}`]);
    assert.equal((v?.meta['validation'] as { status: string }).status, 'warned');
    assert.equal((v?.meta['ingest'] as { sourceRows: number }).sourceRows, 6);
  } finally { await env.close(); }
});

test('validateDataset: check only (nothing written) or split an existing version into clean and quarantine', async () => {
  const env = await dataEnv();
  try {
    const raw = await env.catalog.commit(await env.catalog.stage(env.engine, 'raw', 'SELECT range AS id, CASE WHEN range % 5 = 0 THEN NULL ELSE range END AS v FROM range(100)', env.lineage));
    const s = suite('v', (e) => [e.notNull('v', { severity: 'warn' }), e.rowCount({ min: 50 })]);
    const checked = await validateDataset(env.engine, env.catalog, raw, s);
    assert.equal(checked.clean, null);
    assert.deepEqual(checked.report.rows, { input: 100, clean: 80, quarantined: 20, unparsed: 0 });
    assert.deepEqual((await env.store.listDatasets()).map((d) => d.dataset), ['raw']);
    const split = await validateDataset(env.engine, env.catalog, raw, s, { output: 'clean' });
    await env.commit([split.clean!, split.quarantine!]);
    assert.equal((await env.catalog.get('clean')).rowCount, 80);
    assert.equal((await env.catalog.get('clean_quarantine')).rowCount, 20);
    assert.deepEqual((await env.store.getDatasetVersion('clean'))?.inputs, [raw.id]);
  } finally { await env.close(); }
});
