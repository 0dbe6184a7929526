/**
 * The dataset catalog: immutable versions (Parquet snapshot, schema, row count, content hash,
 * lineage), partitions and the current content, the retention policy, the column profile, and file
 * listing with globs and hive folders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { datasetSql, estimateDistinct, filesFingerprint, listFiles, profileDataset } from '../../src/data/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { quoteLiteral, readParquetSql } from '../../src/engine/index.ts';
import { dataEnv } from './helpers.ts';

test('stage + commit: a version with schema, rows, hash, profile and lineage; get, find, toRef', async () => {
  const env = await dataEnv();
  try {
    const staged = await env.catalog.stage(env.engine, 'sales', 'SELECT range AS id, range * 1.5 AS amount FROM range(10)', { runId: null, step: 'make', inputs: ['file:/x.csv'], partition: null });
    assert.equal(staged.kind, 'staged-dataset');
    assert.equal(staged.rowCount, 10);
    assert.deepEqual(await env.store.listDatasets(), [], 'nothing registered before commit');
    const ref = await env.catalog.commit(staged);
    assert.equal(ref.version, 1);
    assert.deepEqual(ref.schema.map((c) => c.name), ['id', 'amount']);
    assert.match(ref.schema[1]!.type, /^DECIMAL/);
    assert.match(ref.contentHash, /^[0-9a-f]{64}$/);
    const v2 = await env.catalog.commit(await env.catalog.stage(env.engine, 'sales', new Frame([['id', numberColumn([1, 2], 'int')], ['who', stringColumn(['a', null])]]), env.lineage));
    assert.equal(v2.version, 2);
    assert.equal((await env.catalog.get('sales', 1)).rowCount, 10);
    assert.equal((await env.catalog.find('sales'))?.version, 2);
    assert.equal(await env.catalog.find('nope'), undefined);
    await assert.rejects(env.catalog.get('nope'), /No dataset named "nope"/);
    const record = await env.store.getDatasetVersion('sales', 1);
    assert.deepEqual(record?.inputs, ['file:/x.csv']);
    assert.equal(record?.step, 'make');
    assert.deepEqual(env.catalog.toRef(record!).path, ref.path);
    await assert.rejects(env.catalog.stage(env.engine, 'bad name', 'SELECT 1', env.lineage), /is not valid/);
  } finally { await env.close(); }
});

test('partitions: the current content is the latest live version of each partition', async () => {
  const env = await dataEnv();
  try {
    const put = async (partition: string, sql: string) => env.catalog.commit(await env.catalog.stage(env.engine, 'm', sql, env.lineage, { partition }));
    await put('month=01', 'SELECT 1 AS id');
    await put('month=02', 'SELECT 2 AS id');
    await put('month=01', 'SELECT 11 AS id UNION ALL SELECT 12');
    const snap = (await env.catalog.current('m'))!;
    assert.deepEqual(snap.parts.map((p) => [p.partition, p.version]), [['month=01', 3], ['month=02', 2]]);
    assert.equal(snap.rowCount, 3);
    assert.deepEqual((await env.engine.rows(`SELECT id FROM ${datasetSql(snap)} ORDER BY id`)).map((r) => r['id']), [2, 11, 12]);
    assert.equal(await env.catalog.current('nope'), undefined);
  } finally { await env.close(); }
});

test('retention: versions beyond the policy expire, their files are deleted, the latest of each partition stays', async () => {
  let now = Date.now();
  const env = await dataEnv({ now: () => now });
  try {
    const refs = [];
    for (let i = 1; i <= 4; i++) {
      refs.push(await env.catalog.commit(await env.catalog.stage(env.engine, 'daily', `SELECT ${i} AS v`, env.lineage, { retention: { keepVersions: 2 } })));
    }
    const versions = await env.store.listDatasetVersions('daily');
    assert.deepEqual(versions.map((v) => [v.version, v.expiredAt !== null]), [[4, false], [3, false], [2, true], [1, true]]);
    assert.equal(existsSync(refs[0]!.path), false, 'the expired snapshot is deleted');
    assert.equal(existsSync(refs[3]!.path), true);
    await assert.rejects(env.catalog.get('daily', 1), (e: unknown) => e instanceof SluiceError && e.code === 'EXPIRED');
    assert.deepEqual((await env.catalog.current('daily'))!.parts.map((p) => p.version), [4]);
    // Age-based: everything older than a day goes, except the latest.
    now += 10 * 86_400_000;
    assert.deepEqual(await env.catalog.applyRetention('daily', { maxAgeDays: 1 }), [3]);
    await assert.rejects(env.catalog.applyRetention('daily', { keepVersions: 0 }), /keepVersions must be an integer >= 1/);
  } finally { await env.close(); }
});

test('profile: nulls, min/max, mean/std, distinct, quantiles, top values and a histogram; sampled when large', async () => {
  const env = await dataEnv();
  try {
    const p = await profileDataset(env.engine, `(SELECT CASE WHEN range % 10 = 0 THEN NULL ELSE range END AS x, CASE WHEN range % 4 = 0 THEN 'a' ELSE 'b' END AS s, CAST(range AS DOUBLE) / 0 AS inf, DATE '2001-01-01' + CAST(range % 31 AS INTEGER) AS d FROM range(1000))`);
    const x = p.find((c) => c.name === 'x')!;
    assert.equal(x.count, 1000);
    assert.equal(x.nulls, 100);
    assert.equal(x.nullFraction, 0.1);
    assert.equal(x.min, '1');
    assert.equal(x.max, '999');
    assert.ok(Math.abs(x.mean! - 500) < 1e-9, 'the mean of 1..999 without multiples of 10');
    assert.equal(x.distinct, 900);
    assert.equal(x.quantiles?.length, 7);
    assert.equal(x.q50, '499');
    assert.equal(x.histogram?.length, 20);
    assert.ok(Math.abs(x.histogram!.reduce((a, b) => a + b.share, 0) - 1) < 1e-9);
    const s = p.find((c) => c.name === 's')!;
    assert.deepEqual(s.top, [{ value: 'b', share: 0.75 }, { value: 'a', share: 0.25 }]);
    assert.equal(s.distinct, 2);
    const inf = p.find((c) => c.name === 'inf')!;
    assert.equal(inf.nonFinite, 1000, 'NaN (0/0) and infinities are counted, not averaged');
    assert.equal(inf.mean, null);
    assert.equal(p.find((c) => c.name === 'd')!.max, '2001-01-31');
    // Large: distinct and histogram from an even sample, exact counts and extremes.
    const big = await profileDataset(env.engine, readParquetSql(join(import.meta.dirname, '../../node_modules/vega-datasets/data/flights-3m.parquet')));
    const delay = big.find((c) => c.name === 'delay')!;
    assert.equal(delay.count, 3_000_000);
    assert.equal(delay.min, '-1116');
    assert.ok(delay.sampledRows > 50_000 && delay.sampledRows < 100_000);
    const origin = big.find((c) => c.name === 'origin')!;
    assert.ok(Math.abs(origin.distinct! - 229) <= 10, `distinct origins ~229, got ${origin.distinct}`);
    assert.ok(big.find((c) => c.name === 'date')!.q50!.startsWith('2001-0'), 'the median date is mid-range, not the start of the file');
  } finally { await env.close(); }
});

test('estimateDistinct: exact on the whole column, near d for repetitive columns, near N for unique ones', () => {
  assert.equal(estimateDistinct(50, 0, 1000, 1000), 50);
  assert.equal(estimateDistinct(229, 0, 130_000, 3_000_000), 229);
  assert.ok(Math.abs(estimateDistinct(130_000, 130_000, 130_000, 3_000_000) - 3_000_000) < 1);
});

test('files: globs (*, **, ?, [..], {a,b}), hive partition values, hidden files skipped, a fingerprint that changes with the files', async () => {
  const env = await dataEnv();
  try {
    for (const p of ['y=2001/m=01/a.csv', 'y=2001/m=02/b.csv', 'y=2002/m=01/c.tsv', 'y=2002/.hidden.csv', 'top.csv']) {
      mkdirSync(join(env.dir, p, '..'), { recursive: true });
      writeFileSync(join(env.dir, p), 'x\n1\n');
    }
    const rel = (fs: { path: string }[]) => fs.map((f) => f.path.slice(env.dir.length + 1));
    assert.deepEqual(rel(await listFiles('**/*.csv', { cwd: env.dir })), ['top.csv', 'y=2001/m=01/a.csv', 'y=2001/m=02/b.csv']);
    assert.deepEqual(rel(await listFiles('y=200?/m=0[1]/*.{csv,tsv}', { cwd: env.dir })), ['y=2001/m=01/a.csv', 'y=2002/m=01/c.tsv']);
    const files = await listFiles(join(env.dir, 'y=*/m=*/*'));
    assert.deepEqual(files.map((f) => f.partition), [{ y: '2001', m: '01' }, { y: '2001', m: '02' }, { y: '2002', m: '01' }]);
    const fp = filesFingerprint(files);
    writeFileSync(join(env.dir, 'y=2001/m=01/a.csv'), 'x\n1\n2\n');
    assert.notEqual(filesFingerprint(await listFiles(join(env.dir, 'y=*/m=*/*'))), fp);
    await assert.rejects(listFiles('nothing/*.csv', { cwd: env.dir }), /No files match "nothing\/\*\.csv"/);
  } finally { await env.close(); }
});

test('user names and values never reach SQL unquoted', async () => {
  const env = await dataEnv();
  try {
    const odd = `we"ird ' name; DROP TABLE x`;
    const path = join(env.dir, `it's "here".csv`);
    writeFileSync(path, `${JSON.stringify(odd).replace(/\\"/g, '""')},v\n1,"a'b"\n`);
    const staged = await env.catalog.stage(env.engine, 'odd', `SELECT * FROM read_csv(${quoteLiteral(path)})`, env.lineage);
    assert.deepEqual(staged.schema.map((c) => c.name), [odd, 'v']);
    const profile = staged.profile as { name: string }[];
    assert.deepEqual(profile.map((c) => c.name), [odd, 'v']);
  } finally { await env.close(); }
});
