// Model performance once labels arrive: ctx.monitor.performance measures a registered version on a
// batch's labelled rows and writes the measurement as a dataset (real pipeline runs on SQLite + DuckDB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { openEngine } from '../../src/engine/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { evaluateBinary, evaluateRegression } from '../../src/ml/evaluate.ts';
import { measurePerformance, shouldRetrain, type PerformanceRecord } from '../../src/monitor/index.ts';
import { monthly, pipeline, runPipeline } from '../../src/orchestrator/index.ts';
import { ModelRegistry, loadPredictor, trainModel } from '../../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';

// A label that depends on distance, with noise; `shift` moves the batch; every 10th label has not arrived (null).
const rowsSql = (n: number, shift: number, unlabelled: boolean): string => `
  SELECT i AS id, (i % 97) / 9.7 + ${shift} AS distance,
         CASE WHEN ${unlabelled ? 'i % 10 = 0' : 'false'} THEN NULL ELSE CAST(((i % 97) / 9.7 + (i * 7919 % 13) / 2.0 - 3 > 5) AS DOUBLE) END AS late
  FROM range(${n}) t(i)`;

test('performance of the champion and of a pinned version on a batch whose labels arrived, one dataset version per batch', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-perf-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    const g = pipeline('perf', { partitions: monthly({ start: '2001-01', end: '2001-03', dependsOnPrevious: true }) })
      .step('train', [], async (_in, ctx) => {
        const rows = await ctx.datasets.write('train_rows', rowsSql(3000, 0, false));
        const model = await trainModel(await ctx.datasets.frame(rows), { label: 'late', task: 'binary', numeric: ['distance'], estimator: { type: 'logistic-regression', C: 1 } });
        const staged = await ctx.models.register('late', model.toPackage(), { inputs: [rows] });
        // The first run pins its model as the baseline; later runs' models become champion.
        if (!(await ctx.models.find('late', 'baseline'))) ctx.models.setAlias('late', 'baseline', staged, 'first model');
        ctx.models.setAlias('late', 'champion', staged, 'latest model');
        return staged.id;
      })
      .step('measure', ['train'], async (_in, ctx) => {
        const shift = ctx.run.partition === '2001-01' ? 0 : 2;
        const batch = await ctx.engine.toFrame(rowsSql(2000, shift, true));
        const champion = await ctx.monitor.performance('late', batch, { label: 'late', output: 'late_performance' });
        const pinned = await ctx.monitor.performance('late', batch, { version: 1, output: 'late_v1_performance', batch: `b-${ctx.run.partition}` });
        const decision = shouldRetrain({ performance: { metric: 'auc', baseline: 0.99, maxDrop: 0.01 } }, { performance: champion.metrics });
        return { champion, pinned, decision };
      })
      .build();
    for (const partition of ['2001-01', '2001-02']) {
      const r = await runPipeline(g, { store, artifacts, engine, partition });
      assert.equal(r.state, 'succeeded', r.error?.message);
    }

    // Recompute the expected metrics outside the step: the batch's labelled rows, the registered version.
    const registry = new ModelRegistry(store, artifacts);
    const batch = await engine.toFrame(rowsSql(2000, 2, true));
    const labelled = batch.filter(Uint8Array.from({ length: batch.numRows }, (_, i) => (Number.isNaN(batch.numbers('late')[i]!) ? 0 : 1)));
    assert.equal(labelled.numRows, 1800, 'every 10th label has not arrived');
    const v2 = loadPredictor(await registry.load(await registry.get('late', 2)));
    const expected = evaluateBinary(labelled.numbers('late'), v2.predict(labelled));

    const versions = await store.listDatasetVersions('late_performance');
    assert.equal(versions.length, 2, 'one version per batch');
    const feb = versions.find((v) => v.partition === '2001-02')!;
    const meta = feb.meta['performance'] as unknown as PerformanceRecord;
    assert.deepEqual({ ...meta, metrics: undefined }, { batch: '2001-02', model: 'late', version: 2, alias: 'champion', rows: 1800, metrics: undefined });
    assert.ok(Math.abs(meta.metrics['auc']! - expected.auc) < 1e-12, `auc ${meta.metrics['auc']} vs ${expected.auc}`);
    assert.ok(Math.abs(meta.metrics['logLoss']! - expected.logLoss) < 1e-12);
    assert.ok(meta.metrics['auc']! > 0.5 && meta.metrics['auc']! < 1, `a real measurement: auc ${meta.metrics['auc']}`);

    const rows = await engine.rows(`SELECT batch, model, version, alias, metric, value, rows FROM read_parquet('${artifacts.path(feb.artifact)}') ORDER BY metric`);
    assert.deepEqual(rows.map((r) => r['metric']), ['accuracy', 'auc', 'averagePrecision', 'brier', 'logLoss']);
    for (const r of rows) {
      assert.deepEqual([r['batch'], r['model'], r['version'], r['alias'], r['rows']], ['2001-02', 'late', 2, 'champion', 1800]);
      assert.equal(r['value'], meta.metrics[r['metric'] as string]);
    }
    assert.ok(feb.inputs.includes((await store.getModelVersion('late', 2))!.id), 'lineage names the measured model version');

    // Pinned by number: version 1 on the same batch, no alias, the batch name given.
    const pinned = (await store.listDatasetVersions('late_v1_performance')).find((v) => v.partition === '2001-02')!;
    const pinnedMeta = pinned.meta['performance'] as unknown as PerformanceRecord;
    assert.deepEqual([pinnedMeta.batch, pinnedMeta.version, pinnedMeta.alias, pinnedMeta.rows], ['b-2001-02', 1, null, 1800]);
    const v1 = loadPredictor(await registry.load(await registry.get('late', 1)));
    assert.ok(Math.abs(pinnedMeta.metrics['auc']! - evaluateBinary(labelled.numbers('late'), v1.predict(labelled)).auc) < 1e-12);

    // The step's output feeds the retrain policy.
    const runs = await store.listRuns({ limit: 1 });
    const output = (await store.listTaskRuns(runs[0]!.id)).find((t) => t.step === 'measure')!.output as { decision: { retrain: boolean; reasons: string[] } };
    assert.equal(output.decision.retrain, true);
    assert.match(output.decision.reasons[0]!, /^auc 0\.\d{4} is 0\.\d{4} worse than the baseline 0\.9900/);
  } finally { await engine.close(); await store.close(); }
});

test('performance of a regressor and a multiclass model, and the errors of a batch with no labels', async () => {
  const n = 400;
  const x = Array.from({ length: n }, (_, i) => (i % 50) / 5);
  const noisy = x.map((v, i) => 2 * v + 1 + ((i * 7919) % 11) / 5 - 1);
  const train = Frame.from({ x: numberColumn(x), y: numberColumn(noisy), kind: stringColumn(x.map((v) => (v < 3 ? 'low' : v < 7 ? 'mid' : 'high'))) });
  const reg = await trainModel(train.select(['x', 'y']), { label: 'y', task: 'regression', numeric: ['x'], estimator: { type: 'ridge', alpha: 0.001 } });
  const withGaps = train.withColumn('y', numberColumn(noisy.map((v, i) => (i % 4 === 0 ? null : v))));
  const m = measurePerformance(reg, withGaps);
  assert.equal(m.rows, 300, 'rows without a label are left out');
  const kept = withGaps.filter(Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 1)));
  const expected = evaluateRegression(kept.numbers('y'), reg.predict(kept));
  assert.deepEqual(Object.keys(m.metrics), ['rmse', 'mae', 'r2']);
  assert.ok(Math.abs(m.metrics['rmse']! - expected.rmse) < 1e-12 && m.metrics['r2']! > 0.9);

  const cls = await trainModel(train.select(['x', 'kind']), { label: 'kind', task: 'multiclass', numeric: ['x'], estimator: { type: 'logistic-regression', C: 10 } });
  const mc = measurePerformance(cls, train);
  assert.deepEqual(Object.keys(mc.metrics), ['accuracy', 'logLoss', 'macroF1', 'weightedF1']);
  assert.ok(mc.metrics['accuracy']! > 0.8 && mc.metrics['accuracy']! <= 1);

  const noLabel = train.select(['x']);
  assert.throws(() => measurePerformance(reg, noLabel), (e: unknown) => e instanceof SluiceError && /no label column "y" \(they have x\)/.test(e.message) && /label/.test(e.hint ?? ''));
  const unlabelled = train.withColumn('y', numberColumn(new Array<number | null>(n).fill(null)));
  assert.throws(() => measurePerformance(reg, unlabelled), (e: unknown) => e instanceof SluiceError && /none of the 400 rows has its label "y" yet/.test(e.message) && /labels have arrived/.test(e.hint ?? ''));
});

test('ctx.monitor.performance names a missing model or alias', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-perf-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    const g = pipeline('perf-bad').step('measure', [], async (_in, ctx) => {
      await ctx.monitor.performance('nobody', Frame.from({ late: numberColumn([1, 0]) }), { alias: 'champion' });
    }).build();
    const r = await runPipeline(g, { store, artifacts, engine });
    assert.equal(r.state, 'failed');
    assert.match(r.error!.message, /Model "nobody" has no alias "champion"/);
  } finally { await engine.close(); await store.close(); }
});
