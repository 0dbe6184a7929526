/**
 * Incremental ingest: snapshots, partitions (hive folders and SQL expressions), watermarks, the late
 * data policies, running the same batch twice (no duplicates), and through a pipeline: a failed ingest
 * registers nothing and a retry picks up where it left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SluiceError } from '../../src/core/errors.ts';
import { csv, datasetSql, ingest, parquet, postgres, type IngestRequest } from '../../src/data/index.ts';
import { quoteLiteral } from '../../src/engine/index.ts';
import { pipeline, runPipeline } from '../../src/orchestrator/index.ts';
import { suite } from '../../src/quality/index.ts';
import { dataEnv, type DataEnv } from './helpers.ts';

async function run(env: DataEnv, request: Omit<IngestRequest, 'lineage'>): Promise<Awaited<ReturnType<typeof ingest>>> {
  const result = await ingest(env.engine, env.catalog, { ...request, lineage: env.lineage });
  await env.commit([...result.staged, ...result.quarantined]);
  return result;
}

async function currentRows(env: DataEnv, name: string, orderBy = 'id'): Promise<Record<string, unknown>[]> {
  const snapshot = await env.catalog.current(name);
  return snapshot ? env.engine.rows(`SELECT * FROM ${datasetSql(snapshot)} ORDER BY ${orderBy}`) : [];
}

/** Bumps a file's modification time so that its fingerprint changes even within the same millisecond. */
function touch(path: string, seconds: number): void {
  const t = new Date(Date.UTC(2030, 0, 1) + seconds * 1000);
  utimesSync(path, t, t);
}

test('snapshot: the same file twice adds nothing; a changed file is a new version', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'a.csv');
    writeFileSync(path, 'id,v\n1,a\n2,b\n');
    assert.equal((await run(env, { dataset: 'a', source: csv(path) })).staged.length, 1);
    const again = await run(env, { dataset: 'a', source: csv(path) });
    assert.equal(again.staged.length, 0);
    assert.match(again.skipped[0]!.reason, /unchanged since version 1/);
    appendFileSync(path, '3,c\n');
    touch(path, 1);
    await run(env, { dataset: 'a', source: csv(path) });
    assert.deepEqual((await env.store.listDatasetVersions('a')).map((v) => [v.version, v.rowCount]), [[2, 3], [1, 2]]);
    assert.equal((await currentRows(env, 'a')).length, 3, 'a snapshot version replaces the previous one');
  } finally { await env.close(); }
});

test('partitions from hive folders: only new partitions are read; a changed one is replaced (or ignored, or an error) per policy', async () => {
  const env = await dataEnv();
  try {
    const write = (month: string, body: string, t: number): void => {
      mkdirSync(join(env.dir, `month=${month}`), { recursive: true });
      const p = join(env.dir, `month=${month}`, 'part.csv');
      writeFileSync(p, body);
      touch(p, t);
    };
    write('2001-01', 'id,v\n1,a\n2,b\n', 1);
    write('2001-02', 'id,v\n3,c\n', 2);
    const source = csv(join(env.dir, 'month=*/*.csv'), { hive: true });
    const incremental = { by: 'partition' as const, key: 'month' };
    const first = await run(env, { dataset: 'ev', source, incremental });
    assert.deepEqual(first.staged.map((s) => s.partition), ['month=2001-01', 'month=2001-02']);
    // The same batch again: nothing new, no duplicates.
    const second = await run(env, { dataset: 'ev', source, incremental });
    assert.equal(second.staged.length, 0);
    assert.deepEqual(second.skipped.map((s) => s.partition), ['month=2001-01', 'month=2001-02']);
    assert.deepEqual((await currentRows(env, 'ev')).map((r) => r['id']), [1, 2, 3]);
    // A new month arrives, and a late row lands in January.
    write('2001-03', 'id,v\n4,d\n', 3);
    write('2001-01', 'id,v\n1,a\n2,b\n5,late\n', 4);
    await assert.rejects(run(env, { dataset: 'ev', source, incremental: { ...incremental, changed: 'fail' } }), (e: unknown) => e instanceof SluiceError && e.code === 'PARTITION_CHANGED' && /month=2001-01 changed/.test(e.message));
    const ignored = await run(env, { dataset: 'ev', source, incremental: { ...incremental, changed: 'ignore' } });
    assert.deepEqual(ignored.staged.map((s) => s.partition), ['month=2001-03']);
    assert.match(ignored.notes.join('\n'), /month=2001-01 has changed/);
    assert.deepEqual((await currentRows(env, 'ev')).map((r) => r['id']), [1, 2, 3, 4]);
    const replaced = await run(env, { dataset: 'ev', source, incremental });
    assert.deepEqual(replaced.staged.map((s) => s.partition), ['month=2001-01']);
    assert.deepEqual((await currentRows(env, 'ev')).map((r) => r['id']), [1, 2, 3, 4, 5], 'January replaced, not added twice');
    // The run's partition limits the read; an unknown partition is an error.
    const only = await run(env, { dataset: 'ev2', source, incremental, partitions: ['2001-02'] });
    assert.deepEqual(only.staged.map((s) => s.partition), ['month=2001-02']);
    await assert.rejects(run(env, { dataset: 'ev2', source, incremental, partitions: ['month=2001-09'] }), /Partition month=2001-09 has no rows/);
  } finally { await env.close(); }
});

test('partitions from a SQL expression over one Parquet file, month by month', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'f.parquet');
    await env.engine.run(`COPY (SELECT range AS id, TIMESTAMP '2001-01-01' + INTERVAL (range * 7) HOUR AS ts FROM range(1000)) TO ${quoteLiteral(path)}`);
    const incremental = { by: 'partition' as const, key: { name: 'month', sql: "strftime(ts, '%Y-%m')" } };
    const march = await run(env, { dataset: 'f', source: parquet(path), incremental, partitions: ['2001-03'] });
    assert.deepEqual(march.staged.map((s) => [s.partition, s.rowCount]), [['month=2001-03', 106]]);
    const rest = await run(env, { dataset: 'f', source: parquet(path), incremental });
    assert.deepEqual(rest.staged.map((s) => s.partition), ['month=2001-01', 'month=2001-02', 'month=2001-04', 'month=2001-05', 'month=2001-06', 'month=2001-07', 'month=2001-08', 'month=2001-09', 'month=2001-10']);
    assert.equal((await run(env, { dataset: 'f', source: parquet(path), incremental })).staged.length, 0);
    const all = await currentRows(env, 'f');
    assert.equal(all.length, 1000);
    assert.equal(new Set(all.map((r) => r['id'])).size, 1000);
  } finally { await env.close(); }
});

test('watermark: each run reads only rows above the last one; late rows are ignored, an error, or picked up by a keyed lookback', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'events.csv');
    writeFileSync(path, 'id,at\n1,2001-01-01 10:00:00\n2,2001-01-01 11:00:00\n');
    const source = csv(path);
    const incremental = { by: 'watermark' as const, column: 'at' };
    const first = await run(env, { dataset: 'events', source, incremental });
    assert.equal(first.rows, 2);
    assert.equal(first.staged[0]!.meta!['ingest'] && (first.staged[0]!.meta!['ingest'] as { watermarkUpTo: string }).watermarkUpTo, '2001-01-01 11:00:00');
    assert.equal((await run(env, { dataset: 'events', source, incremental })).staged.length, 0, 'the same batch twice adds nothing');
    appendFileSync(path, '3,2001-01-01 12:00:00\n4,2001-01-01 10:30:00\n');
    await assert.rejects(run(env, { dataset: 'events', source, incremental: { ...incremental, late: 'fail' } }), (e: unknown) => e instanceof SluiceError && e.code === 'LATE_DATA' && /1 rows arrived late/.test(e.message));
    const ignored = await run(env, { dataset: 'events', source, incremental });
    assert.equal(ignored.rows, 1);
    assert.match(ignored.notes.join('\n'), /1 late rows \(at at or below 2001-01-01 11:00:00\) ignored/);
    assert.deepEqual((await currentRows(env, 'events')).map((r) => r['id']), [1, 2, 3]);
    // A keyed lookback re-reads the last 2 hours and adds only the rows not in the dataset yet.
    appendFileSync(path, '5,2001-01-01 12:30:00\n');
    const lookback = await run(env, { dataset: 'events', source, incremental: { ...incremental, late: { lookback: '2 hours', key: ['id'] } } });
    assert.equal(lookback.rows, 2);
    assert.deepEqual((await currentRows(env, 'events')).map((r) => r['id']), [1, 2, 3, 4, 5], 'late row 4 once, row 3 not twice');
    assert.equal((await run(env, { dataset: 'events', source, incremental: { ...incremental, late: { lookback: '2 hours', key: ['id'] } } })).staged.length, 0);
  } finally { await env.close(); }
});

test('watermark over a PostgreSQL table: new rows only, pushed down to the database', { skip: process.env.SLUICE_TEST_DATABASE_URL ? undefined : 'SLUICE_TEST_DATABASE_URL is not set' }, async () => {
  const env = await dataEnv();
  const url = process.env.SLUICE_TEST_DATABASE_URL!;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const table = `sluice_wm_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE TABLE ${table} AS SELECT g AS id, TIMESTAMP '2001-01-01' + g * INTERVAL '1 minute' AS updated_at FROM generate_series(1, 300) g`);
    const source = postgres({ url, query: `SELECT id, updated_at FROM ${table}`, batchSize: 100 });
    const incremental = { by: 'watermark' as const, column: 'updated_at' };
    assert.equal((await run(env, { dataset: 'pgwm', source, incremental })).rows, 300);
    await admin.query(`INSERT INTO ${table} SELECT g, TIMESTAMP '2001-01-01' + g * INTERVAL '1 minute' FROM generate_series(301, 350) g`);
    assert.equal((await run(env, { dataset: 'pgwm', source, incremental })).rows, 50);
    assert.equal((await run(env, { dataset: 'pgwm', source, incremental })).staged.length, 0);
    const rows = await currentRows(env, 'pgwm');
    assert.equal(rows.length, 350);
    assert.equal(new Set(rows.map((r) => r['id'])).size, 350);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
    await env.close();
  }
});

test('through a pipeline: the same partition twice adds no rows; a failing validation registers nothing and the retry succeeds', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'f.parquet');
    await env.engine.run(`COPY (SELECT range AS id, TIMESTAMP '2001-01-01' + INTERVAL (range) DAY AS ts, range % 7 AS v FROM range(90)) TO ${quoteLiteral(path)}`);
    let strict = true;
    const checks = () => suite('p', (e) => [e.between('v', 0, strict ? 5 : 10, { severity: 'fail' })]);
    const graph = pipeline('ingest-twice')
      .step('ingest', [], (_in, ctx) => ctx.datasets.ingest('days', parquet(path), { incremental: { by: 'partition', key: { name: 'month', sql: "strftime(ts, '%Y-%m')" } }, suite: checks() }))
      .build();
    const opts = { store: env.store, artifacts: env.artifacts, engine: env.engine, partition: '2001-02' };
    const failed = await runPipeline(graph, opts);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error!.message, /v_between: v within \[0, 5\] \(\d+ of 28 rows\)/);
    assert.deepEqual(await env.store.listDatasets(), [], 'nothing registered');
    strict = false;
    const ok = await runPipeline(graph, opts);
    assert.equal(ok.state, 'succeeded', ok.error?.message);
    const again = await runPipeline(graph, opts);
    assert.equal(again.state, 'succeeded');
    const versions = await env.store.listDatasetVersions('days');
    assert.deepEqual(versions.map((v) => [v.partition, v.rowCount, v.runId]), [['month=2001-02', 28, ok.runId]]);
    assert.equal((await currentRows(env, 'days')).length, 28);
  } finally { await env.close(); }
});
