/**
 * Every connector, read through DuckDB into a dataset version: CSV and TSV (delimiter, header, quoting,
 * encoding, date formats, declared types), Parquet, JSON and NDJSON, Arrow IPC (file and stream
 * formats), globs with hive partition folders, and a PostgreSQL query read in batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { flightsParquetPath } from '../../examples/flights/data-path.ts';
import { arrow, csv, datasetSql, ingest, json, ndjson, parquet, postgres, tsv, type Source } from '../../src/data/index.ts';
import { openArrowFile, quoteLiteral } from '../../src/engine/index.ts';
import { arrowStream } from './arrow-writer.ts';
import { dataEnv, type DataEnv } from './helpers.ts';

/** Ingests `source` as a fresh dataset and returns its rows (as JS values) and schema. */
async function read(env: DataEnv, source: Source, orderBy?: string): Promise<{ rows: Record<string, unknown>[]; schema: { name: string; type: string }[] }> {
  const name = `t${Math.random().toString(36).slice(2, 10)}`;
  const result = await ingest(env.engine, env.catalog, { dataset: name, source, lineage: env.lineage, cwd: env.dir });
  await env.commit([...result.staged, ...result.quarantined]);
  const ref = await env.catalog.get(name);
  const rows = await env.engine.rows(`SELECT * FROM ${datasetSql(ref)}${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
  return { rows, schema: [...ref.schema] };
}

test('CSV: header, quoting with embedded delimiters, quotes and newlines, nulls, detected types', async () => {
  const env = await dataEnv();
  try {
    writeFileSync(join(env.dir, 'a.csv'), 'id,name,score,when\n1,"Smith, J.",1.5,2001-01-02 03:04:05\n2,"say ""hi""",,2001-02-03 00:00:00\n3,"two\nlines",-2,\n');
    const { rows, schema } = await read(env, csv('a.csv'), 'id');
    assert.deepEqual(schema.map((c) => c.type), ['BIGINT', 'VARCHAR', 'DOUBLE', 'TIMESTAMP']);
    assert.deepEqual(rows.map((r) => r['name']), ['Smith, J.', 'say "hi"', 'two\nlines']);
    assert.equal(rows[1]!['score'], null);
    assert.equal(rows[2]!['when'], null);
    assert.equal((rows[0]!['when'] as Date).toISOString(), '2001-01-02T03:04:05.000Z');
  } finally { await env.close(); }
});

test('CSV options: delimiter, no header with declared columns, date formats, null strings, latin-1', async () => {
  const env = await dataEnv();
  try {
    writeFileSync(join(env.dir, 'semi.csv'), 'a;b\n1;x\n2;NA\n');
    const semi = await read(env, csv('semi.csv', { delimiter: ';', nullValues: ['NA'] }), 'a');
    assert.deepEqual(semi.rows.map((r) => r['b']), ['x', null]);

    writeFileSync(join(env.dir, 'tab.tsv'), 'a\tb\n1\thello world\n');
    assert.deepEqual((await read(env, tsv('tab.tsv'))).rows, [{ a: 1, b: 'hello world' }]);

    writeFileSync(join(env.dir, 'dates.csv'), 'day,at\n31/12/2001,31/12/2001 23:59\n01/02/2002,01/02/2002 00:30\n');
    const dates = await read(env, csv('dates.csv', { dateFormat: '%d/%m/%Y', timestampFormat: '%d/%m/%Y %H:%M', columns: { day: 'DATE', at: 'TIMESTAMP' } }), 'day');
    assert.deepEqual(dates.schema.map((c) => c.type), ['DATE', 'TIMESTAMP']);
    assert.equal((dates.rows[0]!['at'] as Date).toISOString(), '2001-12-31T23:59:00.000Z');

    writeFileSync(join(env.dir, 'latin1.csv'), Buffer.from('city,n\nZ\u00fcrich,1\nS\u00e3o Paulo,2\n', 'latin1'));
    const latin = await read(env, csv('latin1.csv', { encoding: 'latin-1' }), 'n');
    assert.deepEqual(latin.rows.map((r) => r['city']), ['Z\u00fcrich', 'S\u00e3o Paulo']);

    writeFileSync(join(env.dir, 'nohead.csv'), '1,a\n2,b\n');
    const nohead = await read(env, csv('nohead.csv', { header: false }), 'column0');
    assert.deepEqual(nohead.rows.map((r) => r['column1']), ['a', 'b']);

    writeFileSync(join(env.dir, 'typed.csv'), 'id,code\n1,007\n2,010\n');
    const typed = await read(env, csv('typed.csv', { columns: { code: 'VARCHAR' } }), 'id');
    assert.deepEqual(typed.rows.map((r) => r['code']), ['007', '010'], 'a declared VARCHAR keeps leading zeros');
  } finally { await env.close(); }
});

test('globs over hive partition folders: partition values become columns; files with different headers are matched by name', async () => {
  const env = await dataEnv();
  try {
    for (const [month, body] of [['2001-01', 'id,v\n1,a\n2,b\n'], ['2001-02', 'v,id,extra\nc,3,x\n']] as const) {
      mkdirSync(join(env.dir, 'land', `month=${month}`), { recursive: true });
      writeFileSync(join(env.dir, 'land', `month=${month}`, 'part-0.csv'), body);
    }
    writeFileSync(join(env.dir, 'land', '_SUCCESS'), '');
    const { rows, schema } = await read(env, csv('land/month=*/*.csv', { hive: true }), 'id');
    assert.deepEqual(rows, [
      { id: 1, v: 'a', month: '2001-01', extra: null },
      { id: 2, v: 'b', month: '2001-01', extra: null },
      { id: 3, v: 'c', month: '2001-02', extra: 'x' },
    ].map((r) => Object.fromEntries(schema.map((c) => [c.name, r[c.name as keyof typeof r]]))));
    assert.equal(schema.find((c) => c.name === 'month')?.type, 'VARCHAR');
    const all = await read(env, csv(join(env.dir, 'land'), { hive: { month: 'VARCHAR' } }), 'id');
    assert.equal(all.rows.length, 3, 'a folder means every file below it (markers such as _SUCCESS left out)');
  } finally { await env.close(); }
});

test('Parquet: a file, several files with union by name, and hive folders', async () => {
  const env = await dataEnv();
  try {
    mkdirSync(join(env.dir, 'p', 'region=eu'), { recursive: true });
    mkdirSync(join(env.dir, 'p', 'region=us'), { recursive: true });
    await env.engine.run(`COPY (SELECT 1 AS id, 'a' AS s) TO ${quoteLiteral(join(env.dir, 'p', 'region=eu', 'x.parquet'))}`);
    await env.engine.run(`COPY (SELECT 2 AS id, 2.5 AS w) TO ${quoteLiteral(join(env.dir, 'p', 'region=us', 'y.parquet'))}`);
    const { rows } = await read(env, parquet('p/*/*.parquet', { hive: true }), 'id');
    assert.deepEqual(rows.map((r) => [r['id'], r['s'], r['w'], r['region']]), [[1, 'a', null, 'eu'], [2, null, 2.5, 'us']]);
    const r = await ingest(env.engine, env.catalog, { dataset: 'flights', source: parquet(flightsParquetPath()), lineage: env.lineage });
    await env.commit(r.staged);
    const flights = await env.catalog.get('flights');
    assert.equal(flights.rowCount, 3_000_000);
    assert.deepEqual(flights.schema.map((c) => c.type), ['TIMESTAMP', 'BIGINT', 'BIGINT', 'VARCHAR', 'VARCHAR']);
  } finally { await env.close(); }
});

test('JSON (an array of objects) and NDJSON (one object per line), with declared types', async () => {
  const env = await dataEnv();
  try {
    writeFileSync(join(env.dir, 'a.json'), JSON.stringify([{ id: 1, tags: 'x', at: '2001-01-01T10:00:00' }, { id: 2, tags: null, at: '2001-01-02T00:00:00' }]));
    const a = await read(env, json('a.json', { columns: { at: 'TIMESTAMP' } }), 'id');
    assert.deepEqual(a.rows.map((r) => r['tags']), ['x', null]);
    assert.equal(a.schema.find((c) => c.name === 'at')?.type, 'TIMESTAMP');
    writeFileSync(join(env.dir, 'b.ndjson'), '{"id": 1, "v": 2.5}\n{"id": 2, "v": null}\n{"id": 3, "v": -1}\n');
    const b = await read(env, ndjson('b.ndjson'), 'id');
    assert.deepEqual(b.rows.map((r) => r['v']), [2.5, null, -1]);
  } finally { await env.close(); }
});

test('Arrow IPC: the file format (vega-datasets flights-200k.arrow) matches the same data as JSON', async () => {
  const env = await dataEnv();
  try {
    const path = join(flightsParquetPath(), '..', 'flights-200k.arrow');
    const file = await openArrowFile(path);
    assert.deepEqual(file.columns.map((c) => c.name), ['delay', 'distance', 'time']);
    const { rows } = await read(env, arrow(path));
    assert.equal(rows.length, 200_000);
    const diff = await env.engine.scalar(`SELECT count(*) FROM (
      SELECT delay, distance, round(time::DOUBLE, 3) FROM ${datasetSql(await env.catalog.get((await env.store.listDatasets())[0]!.dataset))}
      EXCEPT ALL SELECT delay, distance, round(time, 3) FROM read_json(${quoteLiteral(join(flightsParquetPath(), '..', 'flights-200k.json'))}))`);
    assert.equal(diff, 0);
  } finally { await env.close(); }
});

test('Arrow IPC: the stream format with text, nulls, booleans, timestamps (with and without zone), dates, decimals and dictionaries', async () => {
  const env = await dataEnv();
  try {
    const t0 = Date.UTC(2001, 0, 1, 10, 30);
    writeFileSync(join(env.dir, 's.arrows'), arrowStream([
      { name: 'id', type: 'int32', values: [1, 2, 3, 4] },
      { name: 'big', type: 'int64', values: [2 ** 40, null, -5, 0] },
      { name: 'x', type: 'float64', values: [0.5, NaN, null, -1] },
      { name: 'ok', type: 'bool', values: [true, false, null, true] },
      { name: 'name', type: 'utf8', values: ['a', null, 'héllo', ''] },
      { name: 'city', type: 'utf8', values: ['Oslo', 'Lima', 'Oslo', null], dictionary: true },
      { name: 'at', type: 'timestamp_ms', values: [t0, null, t0 + 60_000, 0] },
      { name: 'at_utc', type: 'timestamp_ms', timezone: 'UTC', values: [t0, t0, null, 0] },
      { name: 'day', type: 'date32', values: [11323, null, 0, 1] },
      { name: 'price', type: 'decimal', precision: 10, scale: 2, values: [12345n, -1n, null, 0n] },
    ]));
    const { rows, schema } = await read(env, arrow('s.arrows'), 'id');
    assert.deepEqual(schema.map((c) => c.type), ['INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'VARCHAR', 'VARCHAR', 'TIMESTAMP_MS', 'TIMESTAMP WITH TIME ZONE', 'DATE', 'DECIMAL(10,2)']);
    assert.deepEqual(rows.map((r) => r['big']), [2 ** 40, null, -5, 0]);
    assert.ok(Number.isNaN(rows[1]!['x'] as number));
    assert.deepEqual(rows.map((r) => r['ok']), [true, false, null, true]);
    assert.deepEqual(rows.map((r) => r['name']), ['a', null, 'héllo', '']);
    assert.deepEqual(rows.map((r) => r['city']), ['Oslo', 'Lima', 'Oslo', null]);
    assert.equal((rows[0]!['at'] as Date).getTime(), t0);
    assert.equal((rows[2]!['at'] as Date).getTime(), t0 + 60_000);
    assert.equal(rows[1]!['at'], null);
    assert.equal((rows[0]!['day'] as Date).toISOString().slice(0, 10), '2001-01-01', 'date32 11323 = 2001-01-01');
    assert.deepEqual(await env.engine.rows(`SELECT CAST(price AS VARCHAR) AS p FROM ${datasetSql(await env.catalog.get((await env.store.listDatasets())[0]!.dataset))} ORDER BY id`), [{ p: '123.45' }, { p: '-0.01' }, { p: null }, { p: '0.00' }]);
  } finally { await env.close(); }
});

test('PostgreSQL: a query read in batches through a cursor, types mapped, values bound as parameters', { skip: process.env.SLUICE_TEST_DATABASE_URL ? undefined : 'SLUICE_TEST_DATABASE_URL is not set' }, async () => {
  const env = await dataEnv();
  const url = process.env.SLUICE_TEST_DATABASE_URL!;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const table = `sluice_src_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE TABLE ${table} (id bigint, name text, score double precision, price numeric(10,2), ok boolean, at timestamp, at_tz timestamptz, day date, blob bytea, doc jsonb)`);
    await admin.query(`INSERT INTO ${table} SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' || g END, g / 4.0, g * 1.25, g % 2 = 0,
      TIMESTAMP '2001-01-01 00:00:00' + g * INTERVAL '1 minute', TIMESTAMPTZ '2001-01-01 00:00:00+00' + g * INTERVAL '1 hour', DATE '2001-01-01' + g,
      decode('00ff', 'hex'), jsonb_build_object('g', g) FROM generate_series(1, 2500) g`);
    const source = postgres({ url, query: `SELECT * FROM ${table} WHERE id > $1 ORDER BY id`, params: [500], batchSize: 700 });
    const { rows, schema } = await read(env, source, 'id');
    assert.equal(rows.length, 2000);
    assert.deepEqual(schema.map((c) => [c.name, c.type]), [
      ['id', 'BIGINT'], ['name', 'VARCHAR'], ['score', 'DOUBLE'], ['price', 'DECIMAL(10,2)'], ['ok', 'BOOLEAN'], ['at', 'TIMESTAMP'],
      ['at_tz', 'TIMESTAMP WITH TIME ZONE'], ['day', 'DATE'], ['blob', 'BLOB'], ['doc', 'JSON'],
    ]);
    const first = rows[0]!;
    assert.equal(first['id'], 501);
    assert.equal(first['name'], 'n501');
    assert.equal(first['score'], 125.25);
    assert.equal(first['ok'], false);
    assert.equal((first['at'] as Date).toISOString(), '2001-01-01T08:21:00.000Z');
    assert.equal(rows.find((r) => r['id'] === 510)!['name'], null);
    const checks = (await env.engine.rows(`SELECT CAST(price AS VARCHAR) AS price, hex(blob) AS blob, CAST(doc AS VARCHAR) AS doc, CAST(at_tz AS VARCHAR) AS tz FROM ${datasetSql(await env.catalog.get((await env.store.listDatasets())[0]!.dataset))} WHERE id = 501`))[0]!;
    assert.deepEqual(checks['price'], '626.25');
    assert.equal(checks['blob'], '00FF');
    assert.equal(checks['doc'], '{"g": 501}');
    assert.match(String(checks['tz']), /^2001-01-21 21:00:00/);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
    await env.close();
  }
});
