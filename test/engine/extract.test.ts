// Extraction (DuckDB -> Frame) checked against DuckDB's own answers on the same queries: every row's
// value, the dictionary in DuckDB's VARCHAR order, nulls, and the shapes that streaming makes special
// (many chunks, empty results, all-null columns, long strings sharing memory, hash-table growth).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { openEngine, quoteLiteral, type Engine } from '../../src/engine/index.ts';
import type { Frame } from '../../src/frame/frame.ts';
import { DataError } from '../../src/core/errors.ts';

const root = resolve(import.meta.dirname, '../..');

async function withEngine(fn: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = await openEngine();
  try {
    await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Asserts that text column `col` of `frame` holds, row by row, what DuckDB returns for `sql`. */
async function assertTextColumn(engine: Engine, frame: Frame, sql: string, col: string): Promise<void> {
  const expected = (await engine.rows(`SELECT ${col} AS v FROM (${sql})`)).map((r) => r['v'] as string | null);
  const sorted = (await engine.rows(`SELECT DISTINCT ${col} AS v FROM (${sql}) WHERE ${col} IS NOT NULL ORDER BY v`)).map((r) => r['v'] as string);
  const { codes, dictionary } = frame.strings(col);
  assert.deepEqual(dictionary, sorted, `dictionary of ${col} in DuckDB's order`);
  assert.equal(codes.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const got: string | null | undefined = codes[i]! === -1 ? null : dictionary[codes[i]!];
    if (got !== expected[i]) assert.fail(`row ${i} of ${col}: got ${JSON.stringify(got)}, DuckDB has ${JSON.stringify(expected[i])}`);
  }
}

test('toFrame: a text column with nulls, short and long strings and thousands of distinct values across many chunks', async () => {
  await withEngine(async (engine) => {
    // 40,000 rows (20 DuckDB chunks), 5,003 distinct short values (the hash table grows several times),
    // as many long ones (past the 12 inlined bytes), a null every 11th row, and the empty string.
    const sql = `SELECT range AS i,
        CASE WHEN range % 11 = 0 THEN NULL
             WHEN range % 97 = 1 THEN ''
             WHEN range % 3 = 0 THEN 'a longer value, number ' || (range * 7919 % 5003)
             ELSE 'v' || (range * 7919 % 5003) END AS s
      FROM range(40000) ORDER BY range`;
    const frame = await engine.toFrame(sql);
    assert.equal(frame.numRows, 40000);
    await assertTextColumn(engine, frame, sql, 's');
    assert.equal(frame.strings('s').dictionary[0], '', 'the empty string is a value, not a null');
  });
});

test('toFrame: thousands of distinct strings of 0-3 bytes (their own table, grown many times) beside longer ones', async () => {
  await withEngine(async (engine) => {
    // 3-byte codes over two letters and a digit-like byte (6,760 distinct), 1- and 2-byte values, the empty
    // string, 2-byte UTF-8 (é), a NUL inside, and nulls: every row checked against DuckDB.
    const sql = `SELECT CASE
          WHEN range % 13 = 0 THEN NULL
          WHEN range % 17 = 0 THEN ''
          WHEN range % 19 = 0 THEN chr(65 + range % 26)
          WHEN range % 23 = 0 THEN 'é'
          WHEN range % 29 = 0 THEN 'a' || chr(0)
          WHEN range % 31 = 0 THEN 'abcd' || (range % 7)
          ELSE chr(65 + range % 26) || chr(97 + (range // 26) % 26) || chr(48 + (range // 676) % 10) END AS s
      FROM (SELECT CAST(range AS INTEGER) AS range FROM range(60000)) ORDER BY hash(range)`;
    await engine.run(`CREATE TEMP TABLE tiny AS ${sql}`);
    const frame = await engine.toFrame('SELECT * FROM tiny');
    await assertTextColumn(engine, frame, 'SELECT * FROM tiny', 's');
    assert.ok(frame.strings('s').dictionary.length > 6000);
  });
});

test('toFrame: strings at the inline boundary (4, 8, 12, 13 bytes), NUL bytes and non-ASCII sort as DuckDB sorts them', async () => {
  await withEngine(async (engine) => {
    const values = ['abc', 'abcd', 'abcde', 'abcdefgh', 'abcdefghi', 'abcdefghijkl', 'abcdefghijklm', 'abcdefghijklmn',
      'z', 'é', 'ﬁ', 'ｚ', '😀', '😀😀😀😀', 'Zürich', 'zürich', 'ab', 'a'];
    const list = values.map(quoteLiteral).join(', ');
    // Every value many times over (several chunks), in a scrambled order, plus values with a NUL byte.
    const sql = `SELECT v AS s FROM (
        SELECT (list_value(${list}))[1 + (range * 31) % ${values.length}] AS v FROM range(9000)
        UNION ALL SELECT 'a' || chr(0) || 'b' UNION ALL SELECT 'a' || chr(0) UNION ALL SELECT 'abcdefgh' || chr(0) || 'ijk'
      ) ORDER BY hash(v, 1)`;
    await engine.run(`CREATE TEMP TABLE strs AS ${sql}`);
    const frame = await engine.toFrame('SELECT * FROM strs');
    await assertTextColumn(engine, frame, 'SELECT * FROM strs', 's');
    assert.equal(frame.strings('s').dictionary.length, values.length + 3);
  });
});

test('toFrame: long dictionary-encoded strings from a Parquet file with many row groups', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-extract-'));
  try {
    await withEngine(async (engine) => {
      const path = join(dir, 'cats.parquet');
      // Parquet dictionary pages: the reader hands out many rows pointing at the same string bytes.
      await engine.run(`COPY (SELECT range AS i, CASE WHEN range % 13 = 5 THEN NULL ELSE 'a category with a long name ' || (range % 37) END AS cat,
                                 'k' || (range % 5) AS short
                          FROM range(50000)) TO ${quoteLiteral(path)} (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
      const sql = `SELECT * FROM read_parquet(${quoteLiteral(path)})`;
      const frame = await engine.toFrame(sql);
      assert.equal(frame.numRows, 50000);
      await assertTextColumn(engine, frame, sql, 'cat');
      await assertTextColumn(engine, frame, sql, 'short');
      const i = frame.numbers('i');
      for (let r = 0; r < 50000; r++) if (i[r] !== r) assert.fail(`row ${r} has i = ${i[r]}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('toFrame: numbers of every kind with nulls scattered across validity words and chunks', async () => {
  await withEngine(async (engine) => {
    const sql = `SELECT
        CASE WHEN range % 37 = 0 THEN NULL ELSE CAST(range % 100 AS TINYINT) END AS tiny,
        CASE WHEN range % 41 = 3 THEN NULL ELSE CAST(range AS INTEGER) - 5000 END AS int,
        CASE WHEN range % 64 = 63 THEN NULL ELSE CAST(range AS UBIGINT) * 1000003 END AS ubig,
        CASE WHEN range % 5 = 0 THEN NULL ELSE CAST(range / 7 AS DECIMAL(12, 3)) END AS dec,
        CASE WHEN range % 2 = 0 THEN NULL ELSE CAST(range AS FLOAT) / 4 END AS flt,
        CASE WHEN range % 7 = 0 THEN NULL ELSE range % 3 = 0 END AS flag,
        CASE WHEN range % 9 = 0 THEN NULL ELSE DATE '2001-01-01' + CAST(range % 400 AS INTEGER) END AS day,
        CASE WHEN range % 10 = 0 THEN NULL ELSE TIMESTAMP '2001-01-01 00:00:00' + INTERVAL (range) SECOND END AS ts
      FROM range(10000) ORDER BY range`;
    const frame = await engine.toFrame(sql);
    const rows = await engine.rows(`SELECT tiny, int, ubig, CAST(dec AS DOUBLE) AS dec, CAST(flt AS DOUBLE) AS flt, CAST(flag AS INTEGER) AS flag,
        epoch_ms(CAST(day AS TIMESTAMP)) AS day, epoch_ms(ts) AS ts FROM (${sql})`);
    const logical = { tiny: 'int', int: 'int', ubig: 'int', dec: 'float', flt: 'float', flag: 'bool', day: 'date', ts: 'timestamp' };
    for (const [name, kind] of Object.entries(logical)) {
      const col = frame.column(name);
      assert.equal(col.kind === 'number' ? col.logical : col.kind, kind, name);
      const values = frame.numbers(name);
      for (let r = 0; r < rows.length; r++) {
        const want = rows[r]![name];
        const got = values[r]!;
        if (want === null ? !Number.isNaN(got) : got !== Number(want)) assert.fail(`${name} row ${r}: got ${got}, DuckDB has ${String(want)}`);
      }
    }
  });
});

test('toFrame: an empty result keeps its columns and their kinds', async () => {
  await withEngine(async (engine) => {
    const frame = await engine.toFrame(`SELECT * FROM (VALUES (1, 'a', TIMESTAMP '2001-01-01', 2.5)) t(i, s, ts, x) WHERE i > 1`);
    assert.equal(frame.numRows, 0);
    assert.deepEqual(frame.names, ['i', 's', 'ts', 'x']);
    assert.deepEqual(frame.strings('s'), { kind: 'string', codes: new Int32Array(0), dictionary: [] });
    const ts = frame.column('ts');
    assert.equal(ts.kind === 'number' ? ts.logical : ts.kind, 'timestamp');
    assert.equal(frame.numbers('x').length, 0);
  });
});

test('toFrame: all-null columns of every kind over several chunks', async () => {
  await withEngine(async (engine) => {
    const frame = await engine.toFrame(`SELECT CAST(NULL AS VARCHAR) AS s, CAST(NULL AS DOUBLE) AS x, CAST(NULL AS BIGINT) AS i, CAST(NULL AS TIMESTAMP) AS ts, range AS r FROM range(5000)`);
    assert.equal(frame.numRows, 5000);
    assert.deepEqual(frame.strings('s').dictionary, []);
    assert.ok(frame.strings('s').codes.every((c) => c === -1));
    for (const name of ['x', 'i', 'ts']) assert.ok(frame.numbers(name).every((v) => Number.isNaN(v)), name);
    assert.equal(frame.numbers('r')[4999], 4999);
  });
});

test('toFrame: ENUM columns become text with the values present, duplicate names get suffixes, order, comments and a closing semicolon are kept', async () => {
  await withEngine(async (engine) => {
    await engine.run(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'unused')`);
    const frame = await engine.toFrame(`SELECT CAST(m AS mood) AS m, 1 AS a, 2 AS a FROM (VALUES ('ok'), ('sad'), (NULL), ('happy'), ('ok')) t(m) -- a trailing comment`);
    assert.deepEqual(frame.strings('m').dictionary, ['happy', 'ok', 'sad']);
    assert.deepEqual([...frame.strings('m').codes], [1, 2, -1, 0, 1]);
    assert.deepEqual(frame.names, ['m', 'a', 'a_1']);
    assert.equal(frame.numbers('a_1')[0], 2);
    for (const tail of [';', ' ;  -- done\n', ';\n-- one\n-- two']) {
      assert.deepEqual((await engine.toFrame(`SELECT 1 AS x${tail}`)).numbers('x'), new Float64Array([1]), JSON.stringify(tail));
    }
    const ordered = await engine.toFrame(`SELECT range AS i FROM range(5000) ORDER BY range DESC`);
    assert.equal(ordered.numbers('i')[0], 4999);
    assert.equal(ordered.numbers('i')[4999], 0);
  });
});

test('toFrame leaves no temporary tables or types behind, and a column a Frame cannot hold is refused before reading', async () => {
  await withEngine(async (engine) => {
    const objects = async (): Promise<unknown[]> => engine.rows(`SELECT 'table' AS kind, table_name AS name FROM duckdb_tables() UNION ALL SELECT 'type', type_name FROM duckdb_types() ORDER BY ALL`);
    const before = await objects();
    await engine.toFrame(`SELECT range AS i, 'x' || range AS s, CAST('a' AS ENUM ('a', 'b')) AS e FROM range(3000)`);
    assert.deepEqual(await objects(), before);
    await assert.rejects(engine.toFrame(`SELECT [1, 2] AS l`), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /Column "l" has type INTEGER\[\]/);
      return true;
    });
  });
});

test('toFrame: results larger and smaller than the planner expects come out whole', async () => {
  await withEngine(async (engine) => {
    await engine.run(`CREATE TABLE t AS SELECT range AS i, 'k' || (range % 10) AS s FROM range(200000)`);
    // A filter the planner guesses at a fifth of the rows keeps almost all (the columns grow past the
    // estimate), then one that keeps almost none (the columns are cut to size).
    for (const [where, count] of [['i >= 3', 199997], ['i % 50000 = 7', 4]] as const) {
      const frame = await engine.toFrame(`SELECT * FROM t WHERE ${where} ORDER BY i`);
      assert.equal(frame.numRows, count, where);
      assert.equal(frame.numbers('i').length, count);
      assert.equal(frame.strings('s').codes.length, count);
      const expected = (await engine.rows(`SELECT i, s FROM t WHERE ${where} ORDER BY i`));
      for (let r = 0; r < count; r += Math.max(1, Math.floor(count / 1000))) {
        assert.equal(frame.get(r, 'i'), expected[r]!['i']);
        assert.equal(frame.get(r, 's'), expected[r]!['s']);
      }
      assert.equal(frame.get(count - 1, 'i'), expected[count - 1]!['i']);
    }
  });
});

test('toFrame: a value that fails to convert in a later chunk rejects with the SQL, and the engine stays usable', async () => {
  await withEngine(async (engine) => {
    await assert.rejects(
      engine.toFrame(`SELECT range AS i, CAST(CASE WHEN range = 150000 THEN 'x' ELSE '1' END AS INTEGER) AS v, 's' || range AS s FROM range(200000)`),
      (err: unknown) => {
        assert.ok(err instanceof DataError);
        assert.match(err.message, /Could not convert string 'x'/);
        assert.match(err.message, /in SQL: SELECT range AS i/);
        return true;
      },
    );
    const again = await engine.toFrame(`SELECT range AS i FROM range(3000)`);
    assert.equal(again.numRows, 3000);
  });
});

test('every connection (opened or forked) lets DuckDB buffer 16 MB of a streamed result ahead of toFrame', async () => {
  await withEngine(async (engine) => {
    const fork = await engine.fork();
    try {
      for (const e of [engine, fork]) assert.match(String(await e.scalar(`SELECT current_setting('streaming_buffer_size')`)), /^15\.[0-9] MiB$|^16\.0 MB$/);
    } finally {
      await fork.close();
    }
  });
});

test('toFrame over 100,000 rows encodes text on the worker thread: long strings (shared and not), short, tiny, empty and null agree row by row with DuckDB', async () => {
  await withEngine(async (engine) => {
    // 150,000 rows (past the worker's threshold), two text columns: long values repeated (one pointer per
    // value in a chunk) and long values all distinct, beside 0-12 byte ones, '' and nulls.
    const sql = `SELECT range AS i,
        CASE WHEN range % 13 = 0 THEN NULL
             WHEN range % 17 = 0 THEN ''
             WHEN range % 5 = 0 THEN 'a long repeated value number ' || (range % 7)
             WHEN range % 3 = 0 THEN 'a long value all of its own, row ' || range
             WHEN range % 2 = 0 THEN chr(65 + CAST(range % 26 AS INTEGER))
             ELSE 'code' || (range % 1000) END AS s,
        CASE WHEN range % 11 = 0 THEN NULL ELSE 'dest-' || (range % 300) || '-é' END AS t
      FROM range(150000)`;
    await engine.run(`CREATE TEMP TABLE big AS ${sql}`);
    const frame = await engine.toFrame('SELECT * FROM big');
    assert.equal(frame.numRows, 150000);
    await assertTextColumn(engine, frame, 'SELECT * FROM big', 's');
    await assertTextColumn(engine, frame, 'SELECT * FROM big', 't');
    // The same again (the worker is shared by extractions) and a small one on this thread agree too.
    const again = await engine.toFrame('SELECT t FROM big WHERE i < 150000');
    assert.deepEqual(again.strings('t').dictionary, frame.strings('t').dictionary);
    const small = await engine.toFrame('SELECT s FROM big WHERE i < 5000');
    await assertTextColumn(engine, small, 'SELECT s FROM big WHERE i < 5000', 's');
  });
});

test('a process whose only work is a large toFrame neither exits before it ends nor stays alive after (the worker thread holds it only meanwhile)', async () => {
  const script = `
    const { openEngine } = await import(${JSON.stringify(new URL('../../src/engine/index.ts', import.meta.url).href)});
    const engine = await openEngine();
    const frame = await engine.toFrame("SELECT range AS i, 'v' || (range % 500) AS s FROM range(300000)");
    console.log('rows', frame.numRows, frame.strings('s').dictionary.length);
    await engine.close();
  `;
  const started = Date.now();
  const out = await new Promise<{ code: number | null; stdout: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout }));
  });
  assert.equal(out.code, 0);
  assert.equal(out.stdout.trim(), 'rows 300000 500');
  assert.ok(Date.now() - started < 20_000, 'the process exited once its work was done');
});
