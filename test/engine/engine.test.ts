import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, quoteLiteral } from '../../src/engine/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { DataError } from '../../src/core/errors.ts';

test('toFrame: numbers as Float64Array with NaN for null, strings dictionary-encoded', async () => {
  const engine = await openEngine();
  try {
    const f = await engine.toFrame(`
      SELECT * FROM (VALUES
        (1, 2.5, 'b', TIMESTAMP '2001-01-01 10:00:00', true),
        (NULL, NULL, NULL, NULL, NULL),
        (3, -1.0, 'a', TIMESTAMP '2001-01-02 00:00:00', false)
      ) t(i, x, s, ts, flag)`);
    assert.equal(f.numRows, 3);
    assert.deepEqual([...f.numbers('i')], [1, NaN, 3]);
    assert.deepEqual([...f.numbers('x')], [2.5, NaN, -1]);
    const s = f.strings('s');
    assert.deepEqual(s.dictionary, ['a', 'b']);
    assert.deepEqual([...s.codes], [1, -1, 0]);
    assert.equal(f.numbers('ts')[0], Date.UTC(2001, 0, 1, 10));
    const ts = f.column('ts');
    assert.equal(ts.kind === 'number' ? ts.logical : ts.kind, 'timestamp');
    assert.deepEqual([...f.numbers('flag')], [1, NaN, 0]);
  } finally {
    await engine.close();
  }
});

test('toFrame handles more than one chunk and an all-null string column', async () => {
  const engine = await openEngine();
  try {
    const f = await engine.toFrame(`SELECT range AS i, CASE WHEN range % 1000 = 0 THEN NULL ELSE 'k' || (range % 7) END AS s, CAST(NULL AS VARCHAR) AS z FROM range(10000)`);
    assert.equal(f.numRows, 10000);
    const i = f.numbers('i');
    for (let r = 0; r < 10000; r++) assert.equal(i[r], r);
    const s = f.strings('s');
    assert.equal(s.codes[0], -1);
    assert.equal(s.dictionary[s.codes[8]!], 'k1');
    assert.deepEqual(f.strings('z').dictionary, []);
    assert.equal(f.strings('z').codes[5], -1);
  } finally {
    await engine.close();
  }
});

test('fromFrame round-trips a Frame through DuckDB in row order', async () => {
  const engine = await openEngine();
  try {
    const n = 5000;
    const x = new Float64Array(n);
    const names: (string | null)[] = [];
    for (let i = 0; i < n; i++) { x[i] = i % 13 === 0 ? NaN : i * 0.5; names.push(i % 17 === 0 ? null : `n${i % 5}`); }
    const frame = new Frame([['x', numberColumn(x)], ['name', stringColumn(names)], ['k', numberColumn(new Float64Array(n).fill(7), 'int')]]);
    await engine.fromFrame(frame, 'loaded');
    assert.deepEqual(await engine.describe('SELECT * FROM loaded'), [
      { name: 'x', type: 'DOUBLE' }, { name: 'name', type: 'VARCHAR' }, { name: 'k', type: 'BIGINT' },
    ]);
    const back = await engine.toFrame('SELECT * FROM loaded');
    assert.equal(back.numRows, n);
    for (let i = 0; i < n; i += 97) {
      assert.deepEqual(back.get(i, 'x'), frame.get(i, 'x'));
      assert.equal(back.get(i, 'name'), frame.get(i, 'name'));
    }
    assert.equal(await engine.scalar('SELECT count(*) FROM loaded WHERE x IS NULL'), Math.ceil(n / 13));
  } finally {
    await engine.close();
  }
});

test('Parquet, CSV and JSON read and write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-engine-'));
  const engine = await openEngine();
  try {
    const pq = join(dir, 'a.parquet');
    await engine.copyToParquet('SELECT range AS i, range * 2 AS j FROM range(100)', pq);
    assert.equal(await engine.scalar(`SELECT sum(j) FROM read_parquet(${quoteLiteral(pq)})`), 9900);
    const csv = join(dir, 'a.csv');
    writeFileSync(csv, 'a,b\n1,x\n2,y\n');
    const f = await engine.toFrame(`SELECT * FROM read_csv(${quoteLiteral(csv)})`);
    assert.deepEqual(f.head(), [{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
    const js = join(dir, 'a.json');
    writeFileSync(js, '{"a": 1}\n{"a": 3}\n');
    assert.equal(await engine.scalar(`SELECT sum(a) FROM read_json_auto(${quoteLiteral(js)})`), 4);
  } finally {
    await engine.close();
  }
});

test('a bad query gets a DataError that quotes the SQL', async () => {
  const engine = await openEngine();
  try {
    await assert.rejects(engine.toFrame(`SELECT * FROM read_parquet('/nonexistent/file.parquet')`), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.match(err.message, /nonexistent\/file\.parquet/);
      return true;
    });
  } finally {
    await engine.close();
  }
});
