// End to end: the flights demo through the built `sluice` command, on a 10% sample, with a fresh home.
// Needs dist/ (npm test builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { flightsParquetPath } from '../../examples/flights/data-path.ts';
import { openEngine, readParquetSql } from '../../src/engine/index.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const demo = join(root, 'examples/flights/pipeline.ts');

function sluice(home: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, SLUICE_HOME: home }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the flights demo trains, evaluates on held-out time, registers and scores', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  const run = sluice(home, ['run', demo, '--partition', '2001-05']);
  assert.equal(run.code, 0, run.stderr);
  const auc = Number(/held-out AUC: ([0-9.]+)/.exec(run.stdout)?.[1]);
  assert.ok(auc > 0.6, `held-out AUC ${auc} on May 2001 (nothing earlier collected: trained on May 1-21, evaluated from May 22)`);
  const predictions = /predictions file: (\S+)/.exec(run.stdout)?.[1];
  assert.ok(predictions && existsSync(predictions), `predictions written to ${predictions}`);

  const runs = JSON.parse(sluice(home, ['runs', '--json']).stdout) as { run: { state: string }; tasks: { step: string; state: string; durationMs: number }[] }[];
  assert.equal(runs[0]!.run.state, 'succeeded');
  assert.deepEqual(runs[0]!.tasks.map((t) => t.step), ['ingest', 'validate', 'features', 'train', 'score', 'summary']);
  assert.ok(runs[0]!.tasks.every((t) => t.state === 'succeeded' && t.durationMs >= 0));

  const models = JSON.parse(sluice(home, ['models', '--json']).stdout) as { model: { model: string; version: number; metrics: Record<string, number> } }[];
  assert.equal(models[0]!.model.model, 'flights_delay');
  assert.ok(Math.abs(models[0]!.model.metrics['auc']! - auc) < 1e-4);

  // Every May row is either in the clean dataset or in quarantine, with its reasons.
  const quarantine = JSON.parse(sluice(home, ['datasets', 'show', 'flights_quarantine', '--json']).stdout) as { rowCount: number }[];
  const clean = JSON.parse(sluice(home, ['datasets', 'show', 'flights', '--json']).stdout) as { rowCount: number; partition: string }[];
  assert.equal(clean[0]!.partition, 'month=2001-05');
  const engine = await openEngine();
  try {
    const input = await engine.scalar(`SELECT count(*) FROM ${readParquetSql(flightsParquetPath())} WHERE strftime(date, '%Y-%m') = '2001-05'`);
    assert.equal(clean[0]!.rowCount + quarantine[0]!.rowCount, input, 'clean + quarantined = input');
    assert.ok(quarantine[0]!.rowCount > 0, 'May has bad rows to quarantine');
  } finally {
    await engine.close();
  }

  // A second run of the same batch adds no rows: the month is unchanged, so it is skipped.
  const again = sluice(home, ['run', demo, '--partition', '2001-05']);
  assert.equal(again.code, 0, again.stderr);
  const after = JSON.parse(sluice(home, ['datasets', 'show', 'flights', '--json']).stdout) as { rowCount: number }[];
  assert.equal(after.length, 1, 'still one version of May');
});

test('sluice backfill flights runs the months in order, each trained on the months before it; run again, nothing reruns', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  // By name, through the project file at the repository root (sluice.config.ts).
  const run = sluice(home, ['backfill', 'flights', '--from', '2001-04', '--to', '2001-05']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /in order, one at a time/);
  assert.match(run.stderr, /succeeded, 2\/2 partition\(s\) succeeded/);
  const runs = (JSON.parse(sluice(home, ['runs', '--json']).stdout) as { run: { partition: string; state: string; trigger: string }; tasks: { step: string; output: Record<string, unknown> }[] }[]).reverse();
  assert.deepEqual(runs.map((r) => `${r.run.partition}:${r.run.state}:${r.run.trigger}`), ['2001-04:succeeded:backfill', '2001-05:succeeded:backfill']);
  const may = runs[1]!.tasks.find((t) => t.step === 'summary')!.output;
  assert.equal(may['evaluated month'], '2001-05');
  assert.ok(Number(may['held-out AUC']) > 0.6, `May, trained on April: AUC ${String(may['held-out AUC'])}`);
  const models = JSON.parse(sluice(home, ['models', '--json']).stdout) as { model: { params: Record<string, unknown> } }[];
  assert.equal(models[0]!.model.params['trainWhere'], "month < '2001-05'", 'May trained on the months before it');
  const again = sluice(home, ['backfill', 'flights', '--from', '2001-04', '--to', '2001-05']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /2 already succeeded; 0 to run/);
  assert.equal((JSON.parse(sluice(home, ['runs', '--json']).stdout) as unknown[]).length, 2);
  const outside = sluice(home, ['backfill', 'flights', '--from', '2001-06', '--to', '2001-07']);
  assert.equal(outside.code, 1);
  assert.match(outside.stderr, /outside pipeline "flights"'s monthly partitions \(2001-01 to 2001-06\)/);
});

test('the demo trains the other model families by one param', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, () => {
  for (const model of ['gbdt', 'random-forest']) {
    const home = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    const run = sluice(home, ['run', demo, '--partition', '2001-05', '--param', `model=${model}`]);
    assert.equal(run.code, 0, run.stderr);
    const auc = Number(/held-out AUC: ([0-9.]+)/.exec(run.stdout)?.[1]);
    assert.ok(auc > 0.6, `${model}: held-out AUC ${auc} on May 2001`);
  }
});

test('SIGTERM during the demo marks the run cancelled and registers nothing half-made', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  const child = spawn(process.execPath, [bin, 'run', demo], { cwd: root, env: { ...process.env, SLUICE_HOME: home } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // Interrupt once the validate step is under way: ingest is registered, validate is not.
    if (stderr.includes('> validate') && !child.killed) child.kill('SIGTERM');
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 130, stderr);
  const runs = JSON.parse(sluice(home, ['runs', '--json']).stdout) as { run: { state: string }; tasks: { step: string; state: string }[] }[];
  assert.equal(runs[0]!.run.state, 'cancelled');
  const states = Object.fromEntries(runs[0]!.tasks.map((t) => [t.step, t.state]));
  assert.equal(states['ingest'], 'succeeded');
  assert.equal(states['validate'], 'cancelled');
  for (const s of ['features', 'train', 'score', 'summary']) assert.equal(states[s], 'cancelled');
  const datasets = (JSON.parse(sluice(home, ['datasets', '--json']).stdout) as { dataset: string }[]).map((d) => d.dataset);
  assert.deepEqual(datasets.sort(), ['flights', 'flights_quarantine'], 'only the finished step registered its datasets');
  assert.equal((JSON.parse(sluice(home, ['models', '--json']).stdout) as unknown[]).length, 0);
});
