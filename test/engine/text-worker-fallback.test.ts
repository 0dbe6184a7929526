// When the text-encoding worker cannot start (its module fails to load, or its file is missing from an
// installed package), extraction encodes the text on the main thread instead: the result is the same and
// the process neither fails nor hangs. The child runs a copy of the built package (dist/, which
// `npm test` builds first) in which the worker's file is broken, as an installed Sluice would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');

function withBrokenWorker(breakIt: (file: string) => void): { status: number | null; stdout: string; stderr: string } {
  const pkg = mkdtempSync(join(tmpdir(), 'sluice-no-worker-'));
  try {
    cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'copy', type: 'module' }));
    breakIt(join(pkg, 'dist/engine/text-worker.js'));
    const engineUrl = pathToFileURL(join(pkg, 'dist/engine/index.js')).href;
    // Two extractions past the worker's threshold (100,000 rows): the first meets the failed start, the
    // second is told at once that no worker is available. Each prints its rows, its dictionary's size
    // and the number of rows whose code names the wrong text.
    const script = `
      const { openEngine } = await import(${JSON.stringify(engineUrl)});
      const engine = await openEngine();
      const sql = "SELECT range AS i, CASE WHEN range % 7 = 0 THEN NULL WHEN range % 3 = 0 THEN 'a long value of its own, row ' || range ELSE 'v' || (range % 1000) END AS s FROM range(150000)";
      for (let round = 0; round < 2; round++) {
        const frame = await engine.toFrame(sql);
        const { codes, dictionary } = frame.strings('s');
        const ids = frame.numbers('i');
        let wrong = 0;
        for (let r = 0; r < frame.numRows; r++) {
          const i = ids[r];
          const want = i % 7 === 0 ? null : i % 3 === 0 ? 'a long value of its own, row ' + i : 'v' + (i % 1000);
          const got = codes[r] === -1 ? null : dictionary[codes[r]];
          if (got !== want) wrong++;
        }
        console.log(frame.numRows + ' ' + dictionary.length + ' ' + wrong);
      }
      await engine.close();
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: pkg, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
}

// Distinct values: 1,000 short ones ('v0'..'v999') and one long one per row divisible by 3 but not by 7.
const distinct = 1000 + Array.from({ length: 150000 }, (_, i) => i).filter((i) => i % 3 === 0 && i % 7 !== 0).length;

test('a text worker whose module throws on load: extraction encodes on the main thread, the same frame, and the process exits', () => {
  const r = withBrokenWorker((file) => writeFileSync(file, "throw new Error('this worker cannot load');\n"));
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split('\n'), [`150000 ${distinct} 0`, `150000 ${distinct} 0`]);
});

test('a text worker whose file is missing: extraction encodes on the main thread, the same frame, and the process exits', () => {
  const r = withBrokenWorker((file) => unlinkSync(file));
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  assert.deepEqual(r.stdout.trim().split('\n'), [`150000 ${distinct} 0`, `150000 ${distinct} 0`]);
});
