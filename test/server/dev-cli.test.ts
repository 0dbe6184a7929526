// `sluice dev` as a real child process: the scheduler and the UI in one process over the embedded
// default; it serves /ui pages (the schedules page shows the project's schedule), the scheduler starts
// runs, and SIGTERM stops both promptly with exit 0 and no run left pending or running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIO } from '../../src/cli/main.ts';
import { openMetadataStore } from '../../src/store/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const project = join(root, 'test/server/fixtures/dev-project/sluice.config.ts');

test('sluice dev without a project file is a usage error that says how to make one', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sluice-dev-'));
  const stderr: string[] = [];
  const io: CliIO = { out: () => {}, err: (t) => stderr.push(t), env: { SLUICE_HOME: join(home, '.sluice') }, cwd: home };
  try {
    assert.equal(await main(['dev', '--port', '0'], io), 2);
    assert.match(stderr.join('\n'), /No project file \(sluice\.config\.ts\)/);
    assert.match(stderr.join('\n'), /hint: Create sluice\.config\.ts/);
    stderr.length = 0;
    assert.equal(await main(['dev', '--project', project, '--port', 'x'], io), 2);
    assert.match(stderr.join('\n'), /--port must be a port number/);
  } finally { await rm(home, { recursive: true, force: true }); }
});

test('sluice dev runs the scheduler and the UI together and stops both on SIGTERM, leaving no run running', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sluice-dev-'));
  const sluiceHome = join(home, '.sluice');
  const child = spawn(process.execPath, [join(root, 'bin/sluice.js'), 'dev', '--project', project, '--port', '0', '--tick-ms', '100'], {
    cwd: home, env: { ...process.env, SLUICE_HOME: sluiceHome, SLUICE_LOG_LEVEL: 'warn' },
  });
  let out = '';
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: performance.now() })));
  try {
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /UI at (http:\/\/[0-9.]+:[0-9]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`sluice dev exited ${code}: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback by default');
    assert.match(out, /scheduler on 1 schedule\(s\) of 1 pipeline\(s\)/);

    // The schedule is on the schedules page with its zone and next occurrences.
    const schedules = await (await fetch(`${url}/schedules`)).text();
    assert.match(schedules, /<tr data-schedule="dev_ticker\/default" data-paused="no">/);
    assert.match(schedules, /<td>Europe\/Paris<\/td>/);
    assert.equal((/<td class="next"><ul class="plain">([\s\S]*?)<\/ul>/.exec(schedules)?.[1]?.match(/<li>/g) ?? []).length, 3, 'three next occurrences');

    // The scheduler starts runs in this process; the UI lists them.
    let running = '';
    for (let i = 0; i < 200 && !running; i++) {
      const page = await (await fetch(`${url}/runs?state=running`)).text();
      running = /data-run="([^"]+)"/.exec(page)?.[1] ?? '';
      if (!running) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(running, `a scheduled run is running: ${out}`);
    const runPage = await fetch(`${url}/runs/${running}`);
    assert.equal(runPage.status, 200);
    assert.match(await runPage.text(), /schedule/);

    const signalled = performance.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    assert.equal(code, 0, out);
    const ms = at - signalled;
    assert.ok(ms < 1000, `exited ${ms.toFixed(0)} ms after SIGTERM (within a second)`);
    assert.match(out, /SIGTERM: stopping the scheduler and the UI/);

    const store = await openMetadataStore({ home: sluiceHome });
    try {
      const runs = await store.listRuns();
      assert.ok(runs.length >= 1);
      assert.deepEqual(runs.filter((r) => r.state === 'pending' || r.state === 'running').map((r) => r.id), [], 'no run left pending or running');
      assert.equal(runs.find((r) => r.id === running)?.state, 'cancelled');
      assert.ok(runs.every((r) => r.trigger === 'schedule'));
    } finally { await store.close(); }
  } finally {
    child.kill('SIGKILL');
    await exited;
    await rm(home, { recursive: true, force: true });
  }
});
