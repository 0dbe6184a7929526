// The model lifecycle from the command line: promote, rollback, history, compare, show; and
// `sluice serve` as a real process answering predictions and stopping on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main, type CliIO } from '../../src/cli/main.ts';
import { Frame, numberColumn } from '../../src/frame/frame.ts';
import { ModelRegistry, trainModel } from '../../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';

const bin = resolve(import.meta.dirname, '../../bin/sluice.js');

function io(home: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd: home };
}

async function registerVersions(home: string, n: number): Promise<void> {
  const store = await openMetadataStore({ home });
  const registry = new ModelRegistry(store, await openArtifactStore({ home }));
  for (let k = 0; k < n; k++) {
    const x = Array.from({ length: 200 }, (_, i) => i / 20);
    const frame = Frame.from({ x: numberColumn(x), y: numberColumn(x.map((v, i) => (v + ((i * 7) % 5) * (k + 1) * 0.3 > 5 ? 1 : 0))) });
    const model = await trainModel(frame, { label: 'y', numeric: ['x'], estimator: { type: 'logistic-regression', C: 1 } });
    await registry.commit(await registry.stage('delay', model.toPackage({ metrics: { auc: 0.7 + k / 100 } }), { runId: null, step: null, inputs: [] }));
  }
  await store.close();
}

test('models promote, rollback, history, compare and show tell the whole story', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-models-'));
  await registerVersions(home, 3);
  let c = io(home);
  assert.equal(await main(['models', 'promote', 'delay', '1', '--reason', 'first release'], c), 0, c.stderr.join('\n'));
  assert.match(c.stdout.join('\n'), /delay: champion now points to v1/);
  c = io(home);
  assert.equal(await main(['models', 'promote', 'delay', 'v3'], c), 0);
  assert.match(c.stdout.join('\n'), /champion now points to v3 \(was v1\)/);
  c = io(home);
  assert.equal(await main(['models', 'rollback', 'delay', '--reason', 'v3 misbehaves'], c), 0);
  assert.match(c.stdout.join('\n'), /rolled back from v3 to v1/);
  c = io(home);
  assert.equal(await main(['models', 'history', 'delay'], c), 0);
  const text = c.stdout.join('\n');
  assert.match(text, /champion +- -> v1 +cli \([^)]+\) +first release/);
  assert.match(text, /champion +v1 -> v3 +cli \([^)]+\) +promoted by hand/);
  assert.match(text, /champion +v3 -> v1 +cli \([^)]+\) +v3 misbehaves/);
  c = io(home);
  assert.equal(await main(['models', 'history', 'delay', '--json'], c), 0);
  assert.equal((JSON.parse(c.stdout.join('\n')) as unknown[]).length, 3);
  c = io(home);
  assert.equal(await main(['models', 'compare', 'delay', '1', '3'], c), 0);
  assert.match(c.stdout.join('\n'), /auc +0\.7000 +0\.7200 +\+0\.0200/);
  assert.match(c.stdout.join('\n'), /aliases +champion +-/);
  c = io(home);
  assert.equal(await main(['models', 'show', 'delay'], c), 0);
  assert.match(c.stdout.join('\n'), /alias history \(oldest first\)/);
  assert.match(c.stdout.join('\n'), /v1 \(champion\)/);

  // Bad usage names what is wrong and exits 2; an unknown model or version exits 1 with the known ones.
  c = io(home);
  assert.equal(await main(['models', 'promote', 'delay', 'latest'], c), 2);
  assert.match(c.stderr.join('\n'), /the version to promote must be a version number such as 3 or v3, got "latest"/);
  c = io(home);
  assert.equal(await main(['models', 'promote', 'delay', '9'], c), 1);
  assert.match(c.stderr.join('\n'), /Model "delay" has no version 9\n {2}hint: Its versions: v3, v2, v1\./);
  c = io(home);
  assert.equal(await main(['models', 'rollback', 'nope'], c), 1);
  assert.match(c.stderr.join('\n'), /No model named "nope"/);
  c = io(home);
  assert.equal(await main(['models', 'frobnicate'], c), 2);
  assert.match(c.stderr.join('\n'), /unknown models command "frobnicate"/);
});

test('sluice serve answers predictions for the champion and stops cleanly on SIGTERM', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-serve-'));
  await registerVersions(home, 1);
  const c = io(home);
  assert.equal(await main(['models', 'promote', 'delay', '1'], c), 0);
  const child = spawn(process.execPath, [bin, 'serve', 'delay', '--port', '0'], { cwd: home, env: { ...process.env, SLUICE_HOME: home } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /at (http:\/\/\S+)/.exec(stdout);
      if (m) resolveUrl(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  assert.match(stdout, /serving delay v1 at http:\/\/127\.0\.0\.1:\d+/);
  const res = await fetch(`${url}/v1/models/delay/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [{ x: 1 }, { x: 9 }] }) });
  assert.equal(res.status, 200);
  const body = await res.json() as { version: number; predictions: number[] };
  assert.equal(body.version, 1);
  assert.ok(body.predictions[1]! > body.predictions[0]!);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);

  // Beyond loopback without a token: refused, exit 2.
  const c2 = io(home);
  assert.equal(await main(['serve', 'delay', '--host', '0.0.0.0', '--port', '0'], c2), 2);
  assert.match(c2.stderr.join('\n'), /Refusing to serve on 0\.0\.0\.0 without a token/);
});
