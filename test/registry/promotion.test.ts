// Promotion through a pipeline step: both models measured on the same held-out rows, the gate decides,
// the alias moves only when the step succeeds, and every move is in the alias history with its run,
// reason and evidence; rollback is one call. On SQLite and PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine } from '../../src/engine/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { pipeline, runPipeline } from '../../src/orchestrator/index.ts';
import { ModelRegistry, trainModel, type PromotionDecision } from '../../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { ArtifactStore, MetadataStore } from '../../src/store/types.ts';
import { metadataBackends } from '../helpers/databases.ts';

/** Rows where lateness depends on distance and on the origin JFK; `noise` flips that share of labels. */
function flights(n: number, seed: number, noise = 0): Frame {
  let s = seed;
  const rand = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const cities = ['ATL', 'BOS', 'DEN', 'JFK'];
  const distance: number[] = [];
  const origin: string[] = [];
  const late: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = rand() * 10;
    const c = cities[Math.floor(rand() * 4)]!;
    let y = d + (c === 'JFK' ? 3 : 0) + (rand() - 0.5) * 4 > 6 ? 1 : 0;
    if (rand() < noise) y = 1 - y;
    distance.push(d); origin.push(c); late.push(y);
  }
  return Frame.from({ distance: numberColumn(distance), origin: stringColumn(origin), late: numberColumn(late) });
}

const heldOut = flights(2000, 99);

for (const backend of metadataBackends) {
  describe(`promotion gates on ${backend.name}`, { skip: backend.skip }, () => {
    async function setup(): Promise<{ store: MetadataStore; artifacts: ArtifactStore; engine: Engine; close: () => Promise<void> }> {
      const db = await backend.fresh();
      const store = await openMetadataStore({ url: db.url });
      const artifacts = await openArtifactStore({ home: mkdtempSync(join(tmpdir(), 'sluice-promo-')) });
      const engine = await openEngine();
      return { store, artifacts, engine, close: async () => { await engine.close(); await store.close(); await db.dispose(); } };
    }

    /** A pipeline that trains on `train` (the step's closure) and promotes through the gate. */
    const trainAndPromote = (train: () => Frame, features: { numeric: string[]; categorical: string[] }, failAfter = false) =>
      pipeline('delay').step('train', [], async (_in, ctx) => {
        const model = await trainModel(train(), { label: 'late', task: 'binary', ...features, estimator: { type: 'logistic-regression', C: 1 } });
        const staged = await ctx.models.register('delay', model.toPackage());
        const decision = await ctx.models.promote('delay', staged, { rows: heldOut, label: 'late', gate: { metric: 'auc', minGain: 0.005, guards: [{ metric: 'logLoss', maxWorsening: 0.05 }] } });
        if (failAfter) throw new Error('the step fails after deciding');
        return { promoted: decision.promote, reason: decision.reason };
      }).build();

    test('first model becomes champion; a worse one is refused; a better one wins; all recorded; rollback', async () => {
      const env = await setup();
      try {
        const registry = new ModelRegistry(env.store, env.artifacts);
        // v1: distance only.
        const r1 = await runPipeline(trainAndPromote(() => flights(3000, 1), { numeric: ['distance'], categorical: [] }), env);
        assert.equal(r1.state, 'succeeded');
        assert.equal((r1.outputs['train'] as { promoted: boolean }).promoted, true);
        assert.deepEqual(await env.store.getModelAliases('delay'), { champion: 1 });
        // v2: trained on mostly flipped labels: worse on the same rows, refused.
        const r2 = await runPipeline(trainAndPromote(() => flights(3000, 2, 0.45), { numeric: ['distance'], categorical: [] }), env);
        const out2 = r2.outputs['train'] as { promoted: boolean; reason: string };
        assert.equal(out2.promoted, false);
        assert.match(out2.reason, /against the champion's .* on the same 2000 rows/);
        assert.deepEqual(await env.store.getModelAliases('delay'), { champion: 1 });
        // v3: distance and origin: better, promoted.
        const r3 = await runPipeline(trainAndPromote(() => flights(3000, 3), { numeric: ['distance'], categorical: ['origin'] }), env);
        assert.equal((r3.outputs['train'] as { promoted: boolean }).promoted, true);
        assert.deepEqual(await env.store.getModelAliases('delay'), { champion: 3 });

        const history = await registry.history('delay', 'champion');
        assert.deepEqual(history.map((h) => [h.previousVersion, h.version]), [[null, 1], [1, 3]]);
        assert.equal(history[1]!.runId, r3.runId);
        assert.equal(history[1]!.actor, `run ${r3.runId} step train`);
        assert.match(history[1]!.reason!, /auc .* against the champion's .* a gain of/);
        const evidence = history[1]!.evidence as { challenger: { auc: number }; champion: { auc: number }; rows: number; championVersion: number; predictionDrift: number };
        assert.equal(evidence.rows, 2000);
        assert.equal(evidence.championVersion, 1);
        assert.ok(evidence.challenger.auc > evidence.champion.auc + 0.005);
        assert.ok(Number.isFinite(evidence.predictionDrift));

        const back = await registry.rollback('delay', 'champion', { actor: 'test' });
        assert.deepEqual(back, { from: 3, to: 1 });
        assert.deepEqual(await env.store.getModelAliases('delay'), { champion: 1 });
        const after = await registry.history('delay', 'champion');
        assert.equal(after.length, 3);
        assert.match(after[2]!.reason!, /rollback from version 3 to 1/);
        await assert.rejects(registry.rollback('delay', 'challenger'), /has no alias "challenger" to roll back/);
      } finally { await env.close(); }
    });

    test('a step that fails after a winning decision moves no alias and records nothing', async () => {
      const env = await setup();
      try {
        const r = await runPipeline(trainAndPromote(() => flights(3000, 1), { numeric: ['distance'], categorical: [] }, true), env);
        assert.equal(r.state, 'failed');
        assert.deepEqual(await env.store.getModelAliases('delay'), {});
        assert.deepEqual(await env.store.listAliasHistory('delay'), []);
        assert.deepEqual(await env.store.listModelVersions('delay'), []);
      } finally { await env.close(); }
    });

    test('a gate on a metric the evaluation does not compute fails the step with the metric named', async () => {
      const env = await setup();
      try {
        const g = pipeline('delay').step('train', [], async (_in, ctx) => {
          const model = await trainModel(flights(500, 1), { label: 'late', task: 'binary', numeric: ['distance'], estimator: { type: 'logistic-regression', C: 1 } });
          const staged = await ctx.models.register('delay', model.toPackage());
          const d: PromotionDecision = await ctx.models.promote('delay', staged, { rows: heldOut, label: 'late', gate: { metric: 'f1' } });
          return d.promote;
        }).build();
        const r = await runPipeline(g, env);
        assert.equal(r.state, 'failed');
        assert.match(r.error!.message, /the challenger has no metric "f1" \(it has auc, logLoss, brier, accuracy, averagePrecision\)/);
      } finally { await env.close(); }
    });
  });
}
