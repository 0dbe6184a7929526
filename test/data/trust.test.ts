/**
 * No bad input gets past the data layer, through the public API (ingest, ingestValidated, sources and a
 * pipeline step's ctx.datasets.ingest) on real DuckDB and SQLite: a stray value never switches validation
 * off, rows never vanish or count twice, and bad arguments fail before any work starts.
 * (The bad files themselves are in test/corpus, checked by corpus.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { csv, datasetSql, ingest, json, listFiles, ndjson, tsv } from '../../src/data/index.ts';
import { pipeline, runPipeline } from '../../src/orchestrator/index.ts';
import { ingestValidated, suite } from '../../src/quality/index.ts';
import { dataEnv, type DataEnv } from './helpers.ts';

async function rowsOf(env: DataEnv, path: string, order = 'id'): Promise<Record<string, unknown>[]> {
  return env.engine.rows(`SELECT * FROM read_parquet('${path}') ORDER BY ${order}`);
}

const errorOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

test('a stray text value or +inf in a numeric column never turns the checks into warnings: the batch stops, nothing registered', async () => {
  const env = await dataEnv();
  try {
    const checks = suite('orders', (e) => [e.between('amount', 0, 100, { severity: 'warn' }), e.finite('amount', { severity: 'warn' })]);
    for (const [name, value] of [['text', 'abc'], ['inf', '+inf']] as const) {
      const path = join(env.dir, `${name}.csv`);
      writeFileSync(path, `id,amount\n1,5\n2,${value}\n3,7\n`);
      const err = await errorOf(ingestValidated(env.engine, env.catalog, { dataset: name, source: csv(path), suite: checks, lineage: env.lineage }));
      assert.ok(err instanceof SluiceError, String(err));
      assert.equal(err.code, 'CHECK_NOT_EVALUABLE');
      assert.match(err.message, /Expectation "amount_between" \(amount within \[0, 100\]\) cannot be evaluated: column "amount" has type VARCHAR; between needs a number or time column, reading csv:.*\.csv/);
      assert.equal(err.context['file'], path);
      assert.match(err.hint ?? '', /columnType\("amount", 'DOUBLE'\)/);
    }
    assert.deepEqual(await env.store.listDatasets(), []);
  } finally { await env.close(); }
});

test('declared column types: a value that does not convert is quarantined with its line, raw text and reason; the clean rows keep the type (CSV, TSV, JSON, NDJSON)', async () => {
  const env = await dataEnv();
  try {
    const w = (name: string, text: string): string => { const p = join(env.dir, name); writeFileSync(p, text); return p; };
    const sources = [
      csv(w('a.csv', 'id,amount\n1,5.5\n2,abc\n3,7\n'), { columns: { amount: 'DOUBLE' }, onBadRows: 'quarantine' }),
      tsv(w('a.tsv', 'id\tamount\n1\t5.5\n2\tabc\n3\t7\n'), { columns: { amount: 'DOUBLE' }, onBadRows: 'quarantine' }),
      json(w('a.json', '[{"id": 1, "amount": 5.5}, {"id": 2, "amount": "abc"}, {"id": 3, "amount": 7}]'), { columns: { amount: 'DOUBLE' }, onBadRows: 'quarantine' }),
      ndjson(w('a.ndjson', '{"id": 1, "amount": 5.5}\n{"id": 2, "amount": "abc"}\n{"id": 3, "amount": 7}\n'), { columns: { amount: 'DOUBLE' }, onBadRows: 'quarantine' }),
    ];
    let n = 0;
    for (const source of sources) {
      const dataset = `d${++n}`;
      const checks = suite('amounts', (e) => [e.between('amount', 0, 100)]);
      const result = await ingestValidated(env.engine, env.catalog, { dataset, source, suite: checks, lineage: env.lineage });
      assert.equal(result.rows, 2, source.kind);
      assert.equal(result.quarantinedRows, 1);
      assert.equal(result.reports[0]!.status, 'passed');
      assert.deepEqual(result.staged[0]!.schema.find((c) => c.name === 'amount'), { name: 'amount', type: 'DOUBLE' });
      assert.deepEqual((await rowsOf(env, result.staged[0]!.path)).map((r) => r['amount']), [5.5, 7]);
      const q = (await rowsOf(env, result.quarantined[0]!.path, '_source_file'))[0]!;
      assert.match(String(q['_source_file']), /a\.(csv|tsv|json|ndjson)$/);
      assert.equal(q['_source_line'] ?? q['_source_row'], source.kind === 'json' ? 2 : 3, 'CSV line 3 (after the header), NDJSON line 2, JSON record 2');
      assert.match(String(q['_raw']), /abc/);
      assert.match(JSON.stringify(q['_failed']), /wrong type in column \\"amount\\"/);
    }
  } finally { await env.close(); }
});

test("a suite's columnType types a CSV or JSON column as it is read: the stray value is named (fail) or quarantined, the column stays numeric", async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'x.csv');
    writeFileSync(path, 'id,amount\n1,5\n2,abc\n3,7\n');
    const checks = suite('typed', (e) => [e.columnType('amount', 'DOUBLE'), e.between('amount', 0, 100)]);
    const err = await errorOf(ingestValidated(env.engine, env.catalog, { dataset: 'x', source: csv(path), suite: checks, lineage: env.lineage }));
    assert.ok(err instanceof SluiceError, String(err));
    assert.equal(err.code, 'BAD_ROW');
    assert.match(err.message, /x\.csv, line 3, column "amount": wrong type: "abc" is not a DOUBLE\n {2}line: 2,abc/);
    const ok = await ingestValidated(env.engine, env.catalog, { dataset: 'x', source: csv(path, { onBadRows: 'quarantine' }), suite: checks, lineage: env.lineage });
    assert.equal(ok.reports[0]!.status, 'passed');
    assert.deepEqual([ok.rows, ok.quarantinedRows], [2, 1]);
    assert.equal(ok.staged[0]!.schema[1]!.type, 'DOUBLE');
    const jpath = join(env.dir, 'x.ndjson');
    writeFileSync(jpath, '{"id": 1, "amount": 5}\n{"id": 2, "amount": "abc"}\n');
    const jerr = await errorOf(ingestValidated(env.engine, env.catalog, { dataset: 'y', source: ndjson(jpath), suite: checks, lineage: env.lineage }));
    assert.ok(jerr instanceof SluiceError && jerr.code === 'BAD_ROW', String(jerr));
    assert.match(jerr.message, /x\.ndjson, line 2: wrong type in column "amount": "abc" is not a DOUBLE/);
  } finally { await env.close(); }
});

test('a JSON array with one element of the wrong shape is not read as one json column', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'a.json');
    writeFileSync(path, '[{"id": 1, "amount": 5}, {"id": 2, "amount": 6}, [1, 2], {"id": 3, "amount": 7}]');
    const checks = suite('s', (e) => [e.between('amount', 0, 100)]);
    const err = await errorOf(ingestValidated(env.engine, env.catalog, { dataset: 'a', source: json(path), suite: checks, lineage: env.lineage }));
    assert.ok(err instanceof SluiceError, String(err));
    assert.equal(err.code, 'BAD_ROW');
    assert.match(err.message, /a\.json, record 3: not a JSON object \(the record is a JSON array\)/);
    assert.equal(err.context['row'], 3);
    const ok = await ingestValidated(env.engine, env.catalog, { dataset: 'a', source: json(path, { onBadRows: 'quarantine' }), suite: checks, lineage: env.lineage });
    assert.deepEqual(ok.staged[0]!.schema.map((c) => c.name), ['id', 'amount']);
    assert.deepEqual([ok.rows, ok.quarantinedRows, ok.reports[0]!.rows.unparsed], [3, 1, 1]);
  } finally { await env.close(); }
});

test('rows whose partition key is NULL go to the quarantine with the reason, once, through a pipeline step', async () => {
  const env = await dataEnv();
  try {
    const path = join(env.dir, 'events.csv');
    writeFileSync(path, 'id,day,v\n1,2001-01-01,1\n2,,2\n3,2001-01-02,3\n4,,4\n');
    const graph = pipeline('events')
      .step('ingest', [], (_in, ctx) => ctx.datasets.ingest('events', csv(path), { incremental: { by: 'partition', key: 'day' } }))
      .build();
    const opts = { store: env.store, artifacts: env.artifacts, engine: env.engine };
    const first = await runPipeline(graph, opts);
    assert.equal(first.state, 'succeeded', first.error?.message);
    const q = await env.catalog.current('events_quarantine');
    assert.equal(q?.rowCount, 2);
    assert.equal(q!.parts[0]!.partition, 'day=__null__');
    const rows = await env.engine.rows(`SELECT id, _failed[1].reason AS reason FROM ${datasetSql(q!)} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r['id']), [2, 4]);
    assert.match(String(rows[0]!['reason']), /partition key "day" is NULL/);
    assert.equal((await env.catalog.current('events'))?.rowCount, 2);
    const again = await runPipeline(graph, opts);
    assert.equal(again.state, 'succeeded');
    assert.equal((await env.store.listDatasetVersions('events_quarantine')).length, 1, 'quarantined once, not again on the next run');
  } finally { await env.close(); }
});

test('file names with glob characters given as exact paths are read exactly, never globbed again', async () => {
  const env = await dataEnv();
  try {
    const dir = join(env.dir, 'data[1]');
    mkdirSync(dir);
    const files: Record<string, number> = { 'x[1].csv': 1, 'x1.csv': 2, 'y*.csv': 3, 'yz.csv': 4, 'q?.csv': 5, 'qa.csv': 6 };
    for (const [name, id] of Object.entries(files)) writeFileSync(join(dir, name), `id\n${id}\n`);
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(files).sort());
    let n = 0;
    const read = async (paths: string | string[]): Promise<unknown[]> => {
      const result = await ingest(env.engine, env.catalog, { dataset: `g${++n}`, source: csv(paths, { filenameColumn: 'file' }), lineage: env.lineage });
      return (await rowsOf(env, result.staged[0]!.path)).map((r) => Number(r['id']));
    };
    assert.deepEqual(await read(join(dir, 'x[1].csv')), [1]);
    assert.deepEqual(await read(join(dir, 'y*.csv')), [3]);
    assert.deepEqual(await read(join(dir, 'q?.csv')), [5]);
    assert.deepEqual(await read([join(dir, 'x[1].csv'), join(dir, 'y*.csv'), join(dir, 'yz.csv')]), [1, 3, 4]);
    assert.deepEqual(await read(dir), [1, 2, 3, 4, 5, 6], 'a folder: every file once');
    // A pattern under a folder whose own name has glob characters.
    assert.deepEqual(await read(join(dir, 'x*.csv')), [1, 2]);
    assert.deepEqual((await listFiles(join(dir, 'y*.csv'))).map((f) => f.path), [join(dir, 'y*.csv')]);
  } finally { await env.close(); }
});

test('a ragged row counts once; an unclosed quote does not swallow the rows after it (quarantine mode)', async () => {
  const env = await dataEnv();
  try {
    const ragged = join(env.dir, 'ragged.csv');
    writeFileSync(ragged, 'a,b,c,d,e\n1,2,3,4,5\n6\n7,8,9,10,11\n');
    const r = await ingest(env.engine, env.catalog, { dataset: 'r', source: csv(ragged, { onBadRows: 'quarantine' }), lineage: env.lineage });
    assert.deepEqual([r.rows, r.quarantinedRows], [2, 1]);
    assert.equal(r.quarantined[0]!.rowCount, 1);
    const quote = join(env.dir, 'quote.csv');
    writeFileSync(quote, 'id,name\n1,ann\n2,"bob\n3,cid\n4,"dan\n5,eve\n6,fay\n');
    const q = await ingest(env.engine, env.catalog, { dataset: 'q', source: csv(quote, { onBadRows: 'quarantine' }), lineage: env.lineage });
    assert.deepEqual([q.rows, q.quarantinedRows], [4, 2], 'two broken lines quarantined, four rows read');
    assert.deepEqual((await rowsOf(env, q.staged[0]!.path)).map((x) => [String(x['id']), x['name']]), [['1', 'ann'], ['3', 'cid'], ['5', 'eve'], ['6', 'fay']]);
    const bad = await env.engine.rows(`SELECT _source_line AS line, _raw AS raw FROM read_parquet('${q.quarantined[0]!.path}') ORDER BY line`);
    assert.deepEqual(bad.map((x) => [x['line'], x['raw']]), [[3, '2,"bob'], [5, '4,"dan']]);
    // In fail mode the error names the line.
    const err = await errorOf(ingest(env.engine, env.catalog, { dataset: 'q2', source: csv(quote), lineage: env.lineage }));
    assert.ok(err instanceof SluiceError && err.code === 'BAD_ROW', String(err));
    assert.equal(err.context['line'], 3);
  } finally { await env.close(); }
});

test('invalid dataset or quarantine names and retention { keepVersions: 0 } fail before any work, without an unhandled rejection', async () => {
  const env = await dataEnv();
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => { unhandled.push(e); };
  process.on('unhandledRejection', onUnhandled);
  try {
    const path = join(env.dir, 'a.csv');
    writeFileSync(path, 'id\n1\n2\n');
    const cases: [string, (ctx: Parameters<Parameters<ReturnType<typeof pipeline>['step']>[2]>[1]) => Promise<unknown>, RegExp][] = [
      ['bad dataset name', (ctx) => ctx.datasets.ingest('no good', csv(path)), /Dataset name "no good" is not valid/],
      ['bad quarantine name', (ctx) => ctx.datasets.ingest('ok', csv(path), { quarantine: 'bad/name' }), /Quarantine name "bad\/name" is not valid/],
      ['keepVersions 0 (ingest)', (ctx) => ctx.datasets.ingest('ok', csv(path), { retention: { keepVersions: 0 } }), /retention\.keepVersions must be an integer >= 1, got 0/],
      ['keepVersions 0 (write)', (ctx) => ctx.datasets.write('ok', 'SELECT 1 AS x', { retention: { keepVersions: 0 } }), /retention\.keepVersions must be an integer >= 1, got 0/],
    ];
    for (const [what, step, message] of cases) {
      const graph = pipeline('names').step('s', [], (_in, ctx) => step(ctx)).build();
      const run = await runPipeline(graph, { store: env.store, artifacts: env.artifacts, engine: env.engine });
      assert.equal(run.state, 'failed', what);
      assert.match(run.error!.message, message, what);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(unhandled, []);
    assert.deepEqual(await env.store.listDatasets(), []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await env.close();
  }
});
