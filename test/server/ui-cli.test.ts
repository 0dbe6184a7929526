// `sluice ui` as a real child process (binds 127.0.0.1, serves pages, stops on SIGTERM), its refusal to
// listen beyond loopback without a token, and the same pages mounted under /ui by the prediction server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIO } from '../../src/cli/main.ts';
import { ModelRegistry } from '../../src/registry/index.ts';
import { serveModels } from '../../src/server/index.ts';
import { uiFixture } from './ui-fixture.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

test('sluice ui refuses a non-loopback host without SLUICE_UI_TOKEN (exit 2, says how)', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sluice-ui-cli-'));
  const stderr: string[] = [];
  const io: CliIO = { out: () => {}, err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd: home };
  try {
    const code = await main(['ui', '--host', '0.0.0.0', '--port', '0'], io);
    assert.equal(code, 2);
    assert.match(stderr.join('\n'), /Refusing to serve the UI on 0\.0\.0\.0 without a token/);
    assert.match(stderr.join('\n'), /SLUICE_UI_TOKEN/);
    assert.equal(await main(['ui', '--port', 'x'], io), 2);
  } finally { await rm(home, { recursive: true, force: true }); }
});

test('sluice ui serves on 127.0.0.1 and stops on SIGTERM', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sluice-ui-cli-'));
  const child = spawn(process.execPath, [join(root, 'bin/sluice.js'), 'ui', '--port', '0'], { cwd: home, env: { ...process.env, SLUICE_HOME: home } });
  try {
    let out = '';
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Sluice UI at (http:\/\/[0-9.]+:[0-9]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`sluice ui exited ${code}: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/runs`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /No runs yet/);
    const js = await fetch(`${url}/static/uPlot.iife.min.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally { child.kill('SIGKILL'); await rm(home, { recursive: true, force: true }); }
});

test('sluice serve mounts the UI under /ui behind its token; predictions still need the bearer token', async () => {
  const fx = await uiFixture();
  const server = await serveModels({ registry: new ModelRegistry(fx.store, fx.artifacts), models: ['delay'], port: 0, token: 'serve-token-9', ui: { store: fx.store, artifacts: fx.artifacts, engine: fx.engine } });
  try {
    const anon = await fetch(`${server.url}/ui/runs`, { redirect: 'manual' });
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.get('location'), '/ui/login');
    const page = await fetch(`${server.url}/ui/models/delay`, { headers: { authorization: 'Bearer serve-token-9' } });
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.match(body, /href="\/ui\/runs"/, 'links carry the prefix');
    assert.match(body, /<table class="alias-history">/);
    const predict = await fetch(`${server.url}/v1/models`, {});
    assert.equal(predict.status, 401);
  } finally { await server.close(); await fx.dispose(); }
});
