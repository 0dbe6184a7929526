// Worker threads in a process started as `node --input-type=module -e ...`: a worker whose entry is a
// file refuses that flag, so workers started through `core/worker-entry.ts` must not inherit it. The
// child uses the built package (dist/, which `npm test` builds first), as an installed Sluice does: there
// the workers' entries are files (from sources they are eval'd scripts, which accept the flag). It starts
// the text-encoding worker as extraction does and waits for the worker's own "ready" message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const dist = new URL('../../dist/', import.meta.url).href;

test('a process run with --input-type starts its worker threads (the entry does not inherit the flag)', () => {
  const script = `
    const { Worker } = await import('node:worker_threads');
    const { workerEntry } = await import('${dist}core/worker-entry.js');
    const entry = workerEntry('${dist}engine/extract.js', 'text-worker');
    const w = new Worker(entry.script, { eval: entry.eval, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
    const said = await new Promise((resolve) => {
      w.once('message', (m) => resolve(m.type));
      w.once('error', (err) => resolve('error: ' + err.message));
    });
    await w.terminate();
    console.log(said);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  assert.equal(r.stdout.trim(), 'ready');
});
