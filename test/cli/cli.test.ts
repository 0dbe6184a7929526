import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main, type CliIO } from '../../src/cli/main.ts';

const fixtures = resolve(import.meta.dirname, '../fixtures');

function io(home: string, env: Record<string, string> = {}): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home, ...env }, cwd: fixtures };
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
  assert.match(d.stdout.join('\n'), /tiny_numbers +v1 +10 +- +2 /);
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
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'nope=1'], x), 2);
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

test('a bad --param is bad usage: exit 2, before any run is recorded, with the declared params as hint', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  for (const param of ['nope=1', 'n=abc', 'fail=maybe', 'n']) {
    const x = io(home);
    assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', param], x), 2, `--param ${param}: ${x.stderr.join('\n')}`);
    assert.match(x.stderr.join('\n'), /\n {2}hint: /, `--param ${param} has a hint`);
  }
  const x = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=abc'], x), 2);
  assert.match(x.stderr.join('\n'), /Param "n" of pipeline "tiny" must be a number, got "abc"/);
  assert.match(x.stderr.join('\n'), /declares these params \(with their defaults\): n=100, fail=false/);
  const r = io(home);
  assert.equal(await main(['runs', '--json'], r), 0);
  assert.deepEqual(JSON.parse(r.stdout.join('\n')), [], 'no run was recorded');
});

test('a step that throws a non-Error prints its type and JSON, in the CLI and in the run record', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const cases: [string, RegExp][] = [
    ['object', /a non-Error value was thrown \(object\): \{"code":7,"reason":"quota exceeded"\}/],
    ['string', /a non-Error value was thrown \(string\): "disk full"/],
    ['undefined', /a non-Error value was thrown \(undefined\): undefined/],
  ];
  for (const [kind, expected] of cases) {
    const a = io(home);
    assert.equal(await main(['run', 'throws-pipeline.ts', '--param', `kind=${kind}`], a), 1);
    const err = a.stderr.join('\n');
    assert.match(err, /Step "boom" of pipeline "throws" failed/);
    assert.match(err, expected);
    assert.doesNotMatch(err, /\[object Object\]/);
    const v = io(home);
    assert.equal(await main(['run', 'throws-pipeline.ts', '--param', `kind=${kind}`, '--verbose'], v), 1);
    assert.doesNotMatch(v.stderr.join('\n'), /\[object Object\]/);
  }
  const j = io(home);
  assert.equal(await main(['runs', '--json', '--limit', '1'], j), 0);
  const [last] = JSON.parse(j.stdout.join('\n')) as { run: { error: string }; tasks: { error: string }[] }[];
  assert.match(last!.tasks[0]!.error, /a non-Error value was thrown \(undefined\)/);
  assert.match(last!.run.error, /a non-Error value was thrown \(undefined\)/);
});

test('models: show lists every version with metrics, aliases and lineage; an unknown name exits 1 naming it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  for (const [alias, C] of [['champion', '1'], ['challenger', '0.1'], ['challenger', '10']] as const) {
    const a = io(home);
    assert.equal(await main(['run', 'model-pipeline.ts', '--param', `alias=${alias}`, '--param', `C=${C}`], a), 0, a.stderr.join('\n'));
  }
  const m = io(home);
  assert.equal(await main(['models'], m), 0);
  assert.match(m.stdout.join('\n'), /tiny_model +v3 +3 +challenger=v3, champion=v1 +auc=1 /);

  const s = io(home);
  assert.equal(await main(['models', 'show', 'tiny_model'], s), 0, s.stderr.join('\n'));
  const text = s.stdout.join('\n');
  assert.match(text, /model tiny_model: 3 version\(s\); aliases challenger=v3, champion=v1/);
  for (const [v, alias, C] of [[3, ' \\(challenger\\)', 10], [2, '', 0.1], [1, ' \\(champion\\)', 1]] as const) {
    assert.match(text, new RegExp(`\\nv${v}${alias}  created [^\\n]+run run_\\w+  step train\\n  metrics: auc=1 logLoss=0\\.\\d{4}[^\\n]*\\n  params: \\{"C":${C}\\}\\n  trained on: tiny_train@${v}\\n`));
  }
  const sj = io(home);
  assert.equal(await main(['models', 'show', 'tiny_model', '--json'], sj), 0);
  const shown = JSON.parse(sj.stdout.join('\n')) as { versions: { version: number; aliases: string[]; trainedOn: string[] }[] };
  assert.deepEqual(shown.versions.map((v) => [v.version, v.aliases, v.trainedOn]), [[3, ['challenger'], ['tiny_train@3']], [2, [], ['tiny_train@2']], [1, ['champion'], ['tiny_train@1']]]);

  const u = io(home);
  assert.equal(await main(['models', 'show', 'tiny_modle'], u), 1);
  assert.match(u.stderr.join('\n'), /error: No model named "tiny_modle"\n {2}hint: Known models: tiny_model\./);
  assert.equal(u.stdout.length, 0, 'no list printed as if it had worked');
  const n = io(home);
  assert.equal(await main(['models', 'show'], n), 2);
});

test('datasets: a partitioned dataset shows its current content (latest live version of each partition)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  for (const [partition, n] of [['2024-01', 5], ['2024-02', 7], ['2024-01', 3]] as const) {
    const a = io(home);
    assert.equal(await main(['run', 'tiny-pipeline.ts', '--partition', partition, '--param', `n=${n}`], a), 0, a.stderr.join('\n'));
  }
  const d = io(home);
  assert.equal(await main(['datasets'], d), 0);
  // Current: 2024-01 at v3 (3 rows) and 2024-02 at v2 (7 rows); the newest version alone has 3.
  assert.match(d.stdout.join('\n'), /\ntiny_numbers +v3 +10 +2 +2 /);
  const j = io(home);
  assert.equal(await main(['datasets', '--json'], j), 0);
  const [ds] = JSON.parse(j.stdout.join('\n')) as { version: number; rowCount: number; current: { rows: number; partitions: number; versions: number[] } }[];
  assert.deepEqual([ds!.version, ds!.rowCount, ds!.current], [3, 3, { rows: 10, partitions: 2, versions: [3, 2] }]);
});

test('SLUICE_LOG_LEVEL: info by default (step logs, no debug), debug shows the run\'s workings, warn is quiet, a bad level is usage', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const a = io(home);
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=10'], a), 0);
  assert.match(a.stderr.join('\n'), /\[stats\] summed 10 rows/);
  assert.doesNotMatch(a.stderr.join('\n'), /debug:/);
  const d = io(home, { SLUICE_LOG_LEVEL: 'debug' });
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=10'], d), 0);
  const debug = d.stderr.join('\n');
  assert.match(debug, /debug: metadata store sqlite:/);
  assert.match(debug, /debug: run run_\w+: step numbers attempt 1 started/);
  assert.match(debug, /debug: run run_\w+: step numbers registered tiny_numbers v2/);
  assert.match(debug, /debug: run run_\w+: succeeded in \d+ ms/);
  const w = io(home, { SLUICE_LOG_LEVEL: 'warn' });
  assert.equal(await main(['run', 'tiny-pipeline.ts', '--param', 'n=10'], w), 0);
  assert.doesNotMatch(w.stderr.join('\n'), /summed|debug:/);
  const bad = io(home, { SLUICE_LOG_LEVEL: 'loud' });
  assert.equal(await main(['runs'], bad), 2);
  assert.match(bad.stderr.join('\n'), /SLUICE_LOG_LEVEL is "loud", which is not a log level\n {2}hint: Use one of debug, info, warn, error, silent/);
});
