// The `sluice` command as a real child process: output to a reader that goes away, and pipeline files
// in folders that Node reads as CommonJS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, type CliIO } from '../../src/cli/main.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const fixtures = join(root, 'test/fixtures');
const sluiceIndex = pathToFileURL(join(root, 'src/index.ts')).href;

interface Finished { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/**
 * Runs `sluice <args>`. With `closeAfterLines`, stdout and stderr are read as one stream (like `2>&1 |
 * head -N`) and both pipes are closed once that many lines have arrived (0: closed before the child
 * writes anything); the child then meets EPIPE on its next write.
 */
function sluice(args: string[], options: { home: string; cwd?: string; closeAfterLines?: number }): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd ?? fixtures, env: { ...process.env, SLUICE_HOME: options.home } });
    let stdout = '';
    let stderr = '';
    let lines = 0;
    const close = (): void => { child.stdout.destroy(); child.stderr.destroy(); };
    const read = (chunk: Buffer, into: 'stdout' | 'stderr'): void => {
      const text = chunk.toString();
      if (into === 'stdout') stdout += text; else stderr += text;
      lines += text.split('\n').length - 1;
      if (options.closeAfterLines !== undefined && lines >= options.closeAfterLines) close();
    };
    child.stdout.on('data', (c: Buffer) => read(c, 'stdout'));
    child.stderr.on('data', (c: Buffer) => read(c, 'stderr'));
    if (options.closeAfterLines === 0) close();
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

function io(home: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd: fixtures };
}

async function lastRun(home: string): Promise<{ run: { state: string }; tasks: { step: string; state: string }[] }> {
  const r = io(home);
  assert.equal(await main(['runs', '--json', '--limit', '1'], r), 0, r.stderr.join('\n'));
  return (JSON.parse(r.stdout.join('\n')) as { run: { state: string }; tasks: { step: string; state: string }[] }[])[0]!;
}

test('`sluice run ... 2>&1 | head -3`: the closed pipe does not stop the run; it finishes and records its state', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-epipe-'));
  const r = await sluice(['run', 'chatty-pipeline.ts'], { home, closeAfterLines: 3 });
  assert.equal(r.signal, null);
  assert.equal(r.code, 0, `exit code; output seen before the close:\n${r.stdout}${r.stderr}`);
  const last = await lastRun(home);
  assert.equal(last.run.state, 'succeeded');
  assert.deepEqual(last.tasks.map((t) => [t.step, t.state]), [['talk', 'succeeded'], ['after', 'succeeded']]);
});

test('read-only commands whose reader is gone exit quietly (no `write EPIPE` crash)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-epipe-'));
  const a = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=10'], a), 0, a.stderr.join('\n'));
  for (const args of [['runs'], ['runs', '--json'], ['datasets', 'show', 'tiny_numbers'], ['--help']]) {
    const r = await sluice(args, { home, closeAfterLines: 0 });
    assert.equal(r.code, 0, `sluice ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE/);
  }
});

test('a pipeline file in a folder whose package.json lacks "type": "module" runs', async () => {
  const project = mkdtempSync(join(tmpdir(), 'sluice-cjs-project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-pipelines', version: '1.0.0' }));
  writeFileSync(join(project, 'count.ts'), [
    `import { pipeline } from ${JSON.stringify(sluiceIndex)};`,
    `export default pipeline('count', { params: { n: 4 } })`,
    '  .step(\'numbers\', [], (_in, ctx) => ctx.datasets.write(\'numbers\', `SELECT range AS i FROM range(${ctx.params.n})`))',
    `  .step('summary', ['numbers'], ({ numbers }) => ({ rows: numbers.rowCount }));`,
    '',
  ].join('\n'));
  const r = await sluice(['run', 'count.ts', '--param', 'n=6'], { home: join(project, '.sluice'), cwd: project });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rows: 6/);
  assert.doesNotMatch(r.stderr, /Cannot require\(\) ES Module/);
});

test('a pipeline file that needs ESM in a CommonJS folder fails saying exactly what to change', async () => {
  const project = mkdtempSync(join(tmpdir(), 'sluice-cjs-project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-pipelines' }));
  writeFileSync(join(project, 'late.ts'), [
    `import { pipeline } from ${JSON.stringify(sluiceIndex)};`,
    'const rows = await Promise.resolve(3);',
    `export default pipeline('late').step('a', [], () => ({ rows }));`,
    '',
  ].join('\n'));
  const r = await sluice(['run', 'late.ts'], { home: join(project, '.sluice'), cwd: project });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error: Could not load pipeline file late\.ts: /);
  assert.ok(r.stderr.includes(`hint: Node reads ${join(project, 'late.ts')} as CommonJS because ${join(project, 'package.json')} has no "type": "module". Add "type": "module" to that package.json, or rename the file to .mts.`), r.stderr);
  // Either way out works.
  writeFileSync(join(project, 'late.mts'), `import { pipeline } from ${JSON.stringify(sluiceIndex)};\nconst rows = await Promise.resolve(3);\nexport default pipeline('late').step('summary', [], () => ({ rows }));\n`);
  const renamed = await sluice(['run', 'late.mts'], { home: join(project, '.sluice'), cwd: project });
  assert.equal(renamed.code, 0, renamed.stderr);
  assert.match(renamed.stdout, /rows: 3/);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-pipelines', type: 'module' }));
  const typed = await sluice(['run', 'late.ts'], { home: join(project, '.sluice'), cwd: project });
  assert.equal(typed.code, 0, typed.stderr);
});

test('bin/sluice.js runs the build unless a source file is newer (a stale dist/ never runs in a checkout); an installed package without src/ runs dist/', async () => {
  // A package laid out as the repository is: bin/ (the real launcher), dist/ and src/ entries that say
  // which of them ran, and the repository's node_modules for tsx.
  const pkg = mkdtempSync(join(tmpdir(), 'sluice-bin-'));
  mkdirSync(join(pkg, 'bin'));
  mkdirSync(join(pkg, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(pkg, 'src', 'cli'), { recursive: true });
  copyFileSync(bin, join(pkg, 'bin', 'sluice.js'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(pkg, 'dist', 'cli', 'main.js'), "export async function main() { console.log('ran dist'); return 0; }\n");
  writeFileSync(join(pkg, 'src', 'cli', 'main.ts'), "export async function main(): Promise<number> { console.log('ran src'); return 0; }\n");
  writeFileSync(join(pkg, 'src', 'other.ts'), 'export {};\n');
  const run = (): string => execFileSync(process.execPath, [join(pkg, 'bin', 'sluice.js')], { encoding: 'utf8' }).trim();
  const at = (path: string, seconds: number): void => utimesSync(join(pkg, path), seconds, seconds);
  const t = Math.floor(Date.now() / 1000) - 1000;

  // Built after the last edit: the build runs.
  at('src/cli/main.ts', t); at('src/other.ts', t); at('dist/cli/main.js', t + 10);
  assert.equal(run(), 'ran dist');
  // Any source file edited after the build (not only the entry): the sources run.
  at('src/other.ts', t + 20);
  assert.equal(run(), 'ran src');
  // An installed package has no src/: dist runs whatever the times.
  rmSync(join(pkg, 'src'), { recursive: true });
  assert.equal(run(), 'ran dist');
});
