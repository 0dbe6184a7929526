/**
 * The bad-file corpus (test/corpus/manifest.json): each file gives its expected error (code, message,
 * file, line, column) or its expected quarantine, and a failed ingest registers nothing. Plus the
 * inputs that cannot be files in a folder: a file that disappears mid-read, a source database that
 * goes away mid-read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { SluiceError } from '../../src/core/errors.ts';
import { arrow, csv, ingest, json, ndjson, openSource, parquet, postgres, tsv, type IncrementalPolicy, type Source } from '../../src/data/index.ts';
import { ingestValidated, suite } from '../../src/quality/index.ts';
import { dataEnv } from './helpers.ts';

const corpus = resolve(import.meta.dirname, '../corpus');

interface Case {
  file: string;
  /** The source path when it is not `file` (a glob). */
  path?: string;
  kind: 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson' | 'arrow';
  options?: Record<string, unknown>;
  why: string;
  suite?: keyof typeof suites;
  incremental?: IncrementalPolicy;
  error?: { code: string; message: string; line?: number; column?: string };
  rows?: number;
  /** The type of column `amount` in the clean rows. */
  type?: string;
  quarantine?: { line?: number; row?: number; raw?: string; reason: string }[];
}

const manifest = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as { cases: Case[] };

function sourceOf(c: Case): Source {
  const path = join(corpus, c.path ?? c.file);
  const o = (c.options ?? {}) as never;
  switch (c.kind) {
    case 'csv': return csv(path, o);
    case 'tsv': return tsv(path, o);
    case 'parquet': return parquet(path, o);
    case 'json': return json(path, o);
    case 'ndjson': return ndjson(path, o);
    case 'arrow': return arrow(path, o);
  }
}

const suites = {
  'finite': suite('corpus-finite', (e) => [e.finite('value', { severity: 'warn' })]),
  'unique-id': suite('corpus-unique', (e) => [e.unique('id', { severity: 'warn' })]),
  'amount-between': suite('corpus-between', (e) => [e.between('amount', 0, 100)]),
  'amount-typed': suite('corpus-typed', (e) => [e.columnType('amount', 'DOUBLE'), e.between('amount', 0, 100)]),
  'amount-finite': suite('corpus-finite-amount', (e) => [e.finite('amount', { severity: 'warn' })]),
};

for (const c of manifest.cases) {
  test(`corpus: ${c.file}${c.options ? ` ${JSON.stringify(c.options)}` : ''}: ${c.why}`, async () => {
    const env = await dataEnv();
    try {
      const request = { dataset: 'corpus', source: sourceOf(c), lineage: env.lineage, ...(c.incremental ? { incremental: c.incremental } : {}) };
      const run = () => (c.suite ? ingestValidated(env.engine, env.catalog, { ...request, suite: suites[c.suite] }) : ingest(env.engine, env.catalog, request));
      if (c.error) {
        const err = await run().then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
        assert.equal(err.code, c.error.code, err.message);
        assert.ok(err.message.includes(c.error.message), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(c.error.message)}`);
        if (c.file !== 'does-not-exist.csv') assert.ok(String(err.context['file'] ?? err.message).includes(c.file), 'the error names the file');
        if (c.error.line !== undefined) assert.equal(err.context['line'], c.error.line);
        if (c.error.column !== undefined) assert.equal(err.context['column'], c.error.column);
        assert.ok(err.hint, 'the error says what to do');
        assert.deepEqual(await env.store.listDatasets(), [], 'a failed ingest registers nothing');
        return;
      }
      const result = await run();
      await env.commit([...result.staged, ...result.quarantined]);
      assert.equal(result.rows, c.rows);
      const q = c.quarantine ?? [];
      assert.equal(result.quarantinedRows, q.length);
      if (q.length) {
        const rows = await env.engine.rows(`SELECT _source_line AS line, _source_row AS row, _raw AS raw, _failed[1].reason AS reason, len(_failed) AS n FROM read_parquet('${(await env.catalog.get('corpus_quarantine')).path}') ORDER BY coalesce(_source_line, _source_row)`);
        assert.equal(rows.length, q.length);
        q.forEach((want, i) => {
          const got = rows[i]!;
          if (want.line !== undefined) assert.equal(got['line'], want.line);
          if (want.row !== undefined) assert.equal(got['row'], want.row);
          if (want.raw !== undefined) assert.equal(got['raw'], want.raw);
          assert.equal(got['n'], 1, 'one reason');
          assert.ok(String(got['reason']).startsWith(want.reason), `reason ${String(got['reason'])} should start with ${want.reason}`);
        });
        const clean = await env.catalog.current('corpus');
        assert.equal((clean?.rowCount ?? 0) + rows.length, c.rows! + q.length, 'clean + quarantined = read');
      }
      if (c.type) {
        const clean = await env.catalog.get('corpus');
        assert.equal(clean.schema.find((col) => col.name === 'amount')?.type, c.type, 'the clean rows keep the declared type');
      }
    } finally {
      await env.close();
    }
  });
}

test('a file that disappears between listing and reading: an error naming it, nothing registered, and a retry works', async () => {
  const env = await dataEnv();
  try {
    for (const n of ['a', 'b', 'c']) writeFileSync(join(env.dir, `${n}.csv`), `id,v\n1,${n}\n`);
    const source = csv(join(env.dir, '*.csv'));
    const reader = openSource(source);
    const files = await reader.files();
    assert.equal(files.length, 3);
    rmSync(join(env.dir, 'b.csv'));
    const err = await reader.scan(env.engine).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'FILE_GONE');
    assert.match(err.message, /b\.csv disappeared/);
    // Through ingest, a Parquet file removed after listing fails the same way, at read time.
    const p = join(env.dir, 'gone.parquet');
    await env.engine.run(`COPY (SELECT 1 AS id) TO '${p}'`);
    const preader = openSource(parquet(p));
    await preader.files();
    rmSync(p);
    const perr = await preader.scan(env.engine).then((s) => env.engine.rows(`SELECT * FROM ${s.sql}`).catch(async (e: unknown) => { throw await s.explain(e); })).then(() => undefined, (e: unknown) => e);
    assert.ok(perr instanceof SluiceError && perr.code === 'FILE_GONE', String(perr));
    assert.match(perr.message, /gone\.parquet/);
    // The next run lists what is there and succeeds.
    const result = await ingest(env.engine, env.catalog, { dataset: 'files', source, lineage: env.lineage });
    await env.commit(result.staged);
    assert.equal((await env.catalog.get('files')).rowCount, 2);
  } finally { await env.close(); }
});

test('an Arrow file cut while it is read fails with its name, not garbage rows', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'f.arrow');
    copyFileSync(join(resolve(import.meta.dirname, '../../node_modules/vega-datasets/data'), 'flights-200k.arrow'), path);
    const reader = openSource(arrow(path));
    await reader.files();
    writeFileSync(path, readFileSync(path).subarray(0, 50_000));
    const err = await reader.scan(env.engine).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SluiceError && err.code === 'CORRUPT_FILE', String(err));
    assert.match(err.message, /f\.arrow/);
  } finally { await env.close(); }
});

test('a source database that goes away mid-read: a clear error, nothing registered, and the retry succeeds', { skip: process.env.SLUICE_TEST_DATABASE_URL ? undefined : 'SLUICE_TEST_DATABASE_URL is not set' }, async () => {
  const env = await dataEnv();
  const url = process.env.SLUICE_TEST_DATABASE_URL!;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const table = `sluice_gone_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE TABLE ${table} AS SELECT g AS id, md5(g::text) AS s FROM generate_series(1, 20000) g`);
    const source = postgres({ url, query: `SELECT * FROM ${table} ORDER BY id`, batchSize: 1000 });
    // Kill the reading session once it has started: the server goes away under the cursor.
    const killer = setInterval(() => {
      void admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice-ingest' AND query LIKE 'FETCH%'`).catch(() => {});
    }, 5);
    const err = await ingest(env.engine, env.catalog, { dataset: 'gone', source, lineage: env.lineage }).then(() => undefined, (e: unknown) => e);
    clearInterval(killer);
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
    assert.equal(err.code, 'SOURCE_GONE', err.message);
    assert.match(err.message, /PostgreSQL source postgres:\/\/.* went away after \d+ rows/);
    assert.ok(!err.message.includes(`:${new URL(url).password}@`), 'no password in the message');
    assert.match(err.hint ?? '', /nothing was registered/);
    assert.deepEqual(await env.store.listDatasets(), []);
    const again = await ingest(env.engine, env.catalog, { dataset: 'gone', source, lineage: env.lineage });
    await env.commit(again.staged);
    assert.equal((await env.catalog.get('gone')).rowCount, 20000);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
    await env.close();
  }
});

test('an unreachable source database: an error naming it without its password', async () => {
  const env = await dataEnv();
  try {
    const err = await ingest(env.engine, env.catalog, {
      dataset: 'x', source: postgres({ url: 'postgres://me:s3cret@127.0.0.1:1/db', query: 'SELECT 1' }), lineage: env.lineage,
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SluiceError);
    assert.match(err.message, /postgres:\/\/me@127\.0\.0\.1:1\/db could not be reached/);
    assert.ok(!err.message.includes('s3cret'));
  } finally { await env.close(); }
});
