/**
 * `sluice models export` through main(): a registered model, by alias and by version, written as an
 * ONNX file that onnxruntime scores as Sluice does; bad usage and an unexportable model fail with
 * the reason and leave no file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../../src/cli/main.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { stringColumn } from '../../../src/frame/frame.ts';
import { trainModel } from '../../../src/ml/train.ts';
import { ModelRegistry } from '../../../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../../../src/store/index.ts';
import { makeRows, maxAbsDiff, runOnnx, scoringRows } from './onnx-helpers.ts';

function io(home: string, cwd: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd };
}

test('sluice models export writes the aliased or numbered version as ONNX that scores as Sluice does; bad requests write nothing', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-export-home-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-export-out-'));
  const { frame, binary } = makeRows(400, 5);
  const rows = frame.withColumn('late', stringColumn(binary));
  const spec = { label: 'late', task: 'binary' as const, numeric: ['x1', 'x2', 'hour'], categorical: ['city', 'grade'] };
  const v1 = await trainModel(rows, { ...spec, estimator: { type: 'logistic-regression' } });
  const v2 = await trainModel(rows, { ...spec, estimator: { type: 'gbdt', numTrees: 20, maxLeaves: 8, seed: 1 } });
  const v3 = await trainModel(rows, { ...spec, estimator: { type: 'calibrated', base: { type: 'gbdt', numTrees: 5, seed: 1 }, method: 'platt', cv: 3, seed: 1 } });
  const config = loadConfig({ SLUICE_HOME: home });
  const store = await openMetadataStore({ home: config.home });
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  try {
    const registry = new ModelRegistry(store, artifacts);
    for (const m of [v1, v2, v3]) await registry.commit(await registry.stage('delay', m.toPackage(), { runId: null, step: null, inputs: [] }));
    await registry.setAlias('delay', 'champion', 2);
  } finally {
    await store.close();
  }
  const score = scoringRows();

  // By alias, to a named file: the gbdt (v2).
  const a = io(home, cwd);
  assert.equal(await main(['models', 'export', 'delay', '--alias', 'champion', '--format', 'onnx', '--output', 'champion.onnx'], a), 0, a.stderr.join('\n'));
  const text = a.stdout.join('\n');
  assert.match(text, /exported delay v2 \(gbdt, binary\) to .*champion\.onnx/);
  assert.match(text, /inputs: x1 double\[N,1\], x2 double\[N,1\], hour double\[N,1\], city string\[N,1\], grade double\[N,1\]/);
  assert.match(text, /output: probabilities double\[N,2\] \(classes late, on-time\)/);
  const champion = await runOnnx(readFileSync(join(cwd, 'champion.onnx')), score, 'probabilities');
  const p2 = v2.predict(score);
  assert.ok(maxAbsDiff(Float64Array.from({ length: score.numRows }, (_, i) => champion.data[2 * i + 1]!), p2) <= 1e-5);

  // By version, default file name, JSON summary: the logistic regression (v1).
  const b = io(home, cwd);
  assert.equal(await main(['models', 'export', 'delay', '--version', '1', '--json'], b), 0, b.stderr.join('\n'));
  const summary = JSON.parse(b.stdout.join('\n')) as { version: number; estimator: string; path: string; output: { name: string } };
  assert.equal(summary.version, 1);
  assert.equal(summary.estimator, 'logistic-regression');
  assert.equal(summary.path, join(cwd, 'delay-v1.onnx'));
  const first = await runOnnx(readFileSync(summary.path), score, 'probabilities');
  assert.ok(maxAbsDiff(Float64Array.from({ length: score.numRows }, (_, i) => first.data[2 * i + 1]!), v1.predict(score)) <= 1e-5);

  const before = readdirSync(cwd).sort();
  // The latest version is the calibrated model: ONNX cannot express it; exit 1, the reason, no file.
  const c = io(home, cwd);
  assert.equal(await main(['models', 'export', 'delay'], c), 1);
  assert.match(c.stderr.join('\n'), /estimator "calibrated" cannot be exported/);
  assert.match(c.stderr.join('\n'), /hint: /);
  assert.ok(!existsSync(join(cwd, 'delay-v3.onnx')));

  for (const [argv, status, message] of [
    [['models', 'export'], 2, /needs a model name/],
    [['models', 'export', 'delay', '--format', 'pmml'], 2, /cannot write format "pmml"[\s\S]*Formats: onnx/],
    [['models', 'export', 'delay', '--version', '1', '--alias', 'champion'], 2, /give one/],
    [['models', 'export', 'delay', '--version', 'latest'], 2, /--version must be a version number/],
    [['models', 'export', 'nope'], 1, /No model named "nope"/],
    [['models', 'export', 'delay', '--version', '7'], 1, /has no version 7/],
    [['models', 'export', 'delay', '--alias', 'staging'], 1, /has no alias "staging"/],
    [['models', 'export', 'delay', '--version', '2', '--output', join(cwd, 'no-such-folder', 'x.onnx')], 1, /Could not write the ONNX file/],
  ] as const) {
    const d = io(home, cwd);
    assert.equal(await main([...argv], d), status, `${argv.join(' ')}: ${d.stderr.join('\n')}`);
    assert.match(d.stderr.join('\n'), message);
  }
  assert.deepEqual(readdirSync(cwd).sort(), before, 'failed exports leave no file, not even a temp file');
});
