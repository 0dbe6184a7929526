import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main, type CliIO } from '../../src/cli/main.ts';

const fixtures = resolve(import.meta.dirname, '../fixtures');

function io(home: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd: fixtures };
}

test('run, runs, runs show, datasets, datasets show, models', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const a = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=10'], a), 0, a.stderr.join('\n'));
  assert.match(a.stdout.join('\n'), /rows: 10/);
  assert.match(a.stdout.join('\n'), /total: 45/);

  const j = io(home);
  assert.equal(await main(['runs', '--json'], j), 0);
  const runs = JSON.parse(j.stdout.join('\n')) as { run: { id: string; state: string; params: { n: number } }; tasks: { step: string; state: string; durationMs: number }[] }[];
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.run.state, 'succeeded');
  assert.equal(runs[0]!.run.params.n, 10);
  assert.deepEqual(runs[0]!.tasks.map((t) => [t.step, t.state]), [['numbers', 'succeeded'], ['stats', 'succeeded']]);

  const r = io(home);
  assert.equal(await main(['runs'], r), 0);
  const text = r.stdout.join('\n');
  assert.match(text, new RegExp(runs[0]!.run.id));
  assert.match(text, /\n {2}numbers +succeeded/);
  assert.match(text, /\n {2}stats +succeeded/);

  const s = io(home);
  assert.equal(await main(['runs', 'show', runs[0]!.run.id], s), 0);
  assert.match(s.stdout.join('\n'), /pipeline: tiny/);
  assert.match(s.stdout.join('\n'), /"total":45/);

  const d = io(home);
  assert.equal(await main(['datasets'], d), 0);
  assert.match(d.stdout.join('\n'), /tiny_numbers +1 +10 +2/);
  const ds = io(home);
  assert.equal(await main(['datasets', 'show', 'tiny_numbers'], ds), 0);
  assert.match(ds.stdout.join('\n'), /\ni +BIGINT/);

  const m = io(home);
  assert.equal(await main(['models'], m), 0);
  assert.match(m.stdout.join('\n'), /no models yet/);
});

test('a failed run exits 1 with one paragraph naming the step; --verbose adds the stack', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const a = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'fail=true'], a), 1);
  const err = a.stderr.join('\n');
  assert.match(err, /error: Step "stats" of pipeline "tiny" failed \(run run_\w+\): stats refused: n=100/);
  assert.doesNotMatch(err, /\n\s+at /, 'no stack without --verbose');
  const v = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'fail=true', '--verbose'], v), 1);
  assert.match(v.stderr.join('\n'), /\n\s+at /);
});

test('usage errors and definition errors are clear', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  let x = io(home);
  assert.equal(await main(['run'], x), 2);
  assert.match(x.stderr.join('\n'), /needs a pipeline file/);
  x = io(home);
  assert.equal(await main(['run', 'missing.ts'], x), 2);
  assert.match(x.stderr.join('\n'), /pipeline file not found: .*missing\.ts/);
  x = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'nope=1'], x), 1);
  assert.match(x.stderr.join('\n'), /has no param "nope"/);
  x = io(home);
  assert.equal(await main(['run', 'cyclic-pipeline.ts'], x), 1);
  assert.match(x.stderr.join('\n'), /Pipeline "cyclic" has a cycle: [ab] -> [ab] -> [ab]/);
  x = io(home);
  assert.equal(await main(['runs', 'show', 'run_nonexistent'], x), 1);
  assert.match(x.stderr.join('\n'), /No run with id "run_nonexistent"/);
  x = io(home);
  assert.equal(await main(['frobnicate'], x), 2);
});
