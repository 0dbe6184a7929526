// Batch scoring with the champion (which version scored which rows), drift written as a dataset, and
// the retrain policy, through real pipeline runs on SQLite and DuckDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../../src/engine/index.ts';
import { Frame, numberColumn } from '../../src/frame/frame.ts';
import { dataDrift, shouldRetrain } from '../../src/monitor/index.ts';
import { pipeline, runPipeline } from '../../src/orchestrator/index.ts';
import { trainModel } from '../../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';

const rowsSql = (n: number, shift: number): string => `
  SELECT i AS id, (i % 97) / 9.7 + ${shift} AS distance, CAST(((i % 97) / 9.7 + (i % 5) - 2 > 5) AS DOUBLE) AS late
  FROM range(${n}) t(i)`;

test('score with the champion records the version; drift is a dataset; the retrain policy says why', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-life-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    const g = pipeline('life')
      .step('data', [], async (_in, ctx) => ({
        train: await ctx.datasets.write('train_rows', rowsSql(3000, 0)),
        batch: await ctx.datasets.write('batch_rows', rowsSql(2000, 3)),
      }))
      .step('train', ['data'], async ({ data }, ctx) => {
        const frame = await ctx.datasets.frame(data.train);
        const model = await trainModel(frame, { label: 'late', numeric: ['distance'], estimator: { type: 'logistic-regression', C: 1 } });
        const staged = await ctx.models.register('late', model.toPackage(), { inputs: [data.train] });
        ctx.models.setAlias('late', 'champion', staged, 'first model');
        return staged.id;
      })
      .step('score', ['data', 'train'], async ({ data }, ctx) => {
        const scored = await ctx.models.score('late', data.batch, { output: 'late_scores', keep: ['id'] });
        const reference = await ctx.datasets.frame(data.train, (t) => `SELECT distance FROM ${t}`);
        const current = await ctx.datasets.frame(data.batch, (t) => `SELECT distance FROM ${t}`);
        const { report, dataset } = await ctx.monitor.drift(reference, current, { output: 'late_drift', batch: 'b1' });
        const decision = shouldRetrain({ driftShare: 0.5 }, { drift: report });
        return { scores: scored.dataset, version: scored.model.version, drift: dataset, decision };
      })
      .build();
    const r = await runPipeline(g, { store, artifacts, engine });
    assert.equal(r.state, 'succeeded', r.error?.message);
    const out = r.outputs['score'] as { version: number; decision: { retrain: boolean; reasons: string[] } };
    assert.equal(out.version, 1);
    const scores = await store.getDatasetVersion('late_scores');
    assert.equal(scores?.rowCount, 2000);
    assert.deepEqual(scores?.schema.map((c) => c.name), ['id', 'prediction', 'model_version']);
    assert.deepEqual(scores?.meta['scoredBy'], { model: 'late', version: 1, modelVersionId: (await store.getModelVersion('late', 1))!.id, alias: 'champion' });
    assert.ok(scores!.inputs.includes((await store.getModelVersion('late', 1))!.id), 'lineage names the model version');
    const versions = await engine.rows(`SELECT DISTINCT model_version FROM read_parquet('${artifacts.path(scores!.artifact)}')`);
    assert.deepEqual(versions, [{ model_version: 1 }]);
    const drift = await store.getDatasetVersion('late_drift');
    const driftRows = await engine.rows(`SELECT batch, feature, method, drifted FROM read_parquet('${artifacts.path(drift!.artifact)}')`);
    assert.deepEqual(driftRows, [{ batch: 'b1', feature: 'distance', method: 'wasserstein', drifted: true }]);
    assert.equal(out.decision.retrain, true);
    assert.match(out.decision.reasons[0]!, /1 of 1 features drifted/);
    const history = await store.listAliasHistory('late');
    assert.equal(history[0]!.reason, 'first model');
    assert.equal(history[0]!.runId, r.runId);
  } finally { await engine.close(); await store.close(); }
});

test('retrain policy: performance drops, per-feature thresholds, late labels, and bad policies', () => {
  const same = Frame.from({ a: numberColumn(Array.from({ length: 2000 }, (_, i) => Math.sin(i))) });
  const report = dataDrift(same, same);
  assert.deepEqual(shouldRetrain({ driftShare: 0.5 }, { drift: report }), { retrain: false, reasons: [] });
  const perf = { metric: 'auc', baseline: 0.70, maxDrop: 0.02 };
  assert.equal(shouldRetrain({ performance: perf }, { performance: { auc: 0.69 } }).retrain, false);
  const dropped = shouldRetrain({ performance: perf }, { performance: { auc: 0.66 } });
  assert.equal(dropped.retrain, true);
  assert.match(dropped.reasons[0]!, /auc 0\.6600 is 0\.0400 worse than the baseline 0\.7000/);
  assert.equal(shouldRetrain({ performance: { metric: 'logLoss', baseline: 0.4, maxDrop: 0.01 } }, { performance: { logLoss: 0.45 } }).retrain, true);
  assert.equal(shouldRetrain({ performance: perf }, {}).retrain, false, 'no labels yet: no measurement, no retrain');
  assert.equal(shouldRetrain({ always: true }, {}).retrain, true);
  assert.throws(() => shouldRetrain({ features: { b: 0.1 } }, { drift: report }), /names feature "b", which the drift report does not have \(it has a\)/);
  assert.throws(() => shouldRetrain({ driftShare: 0.3 }, {}), /no drift report was given/);
});
