// Real data for the UI's tests: real pipeline runs (runPipeline on DuckDB) into a fresh metadata store,
// with a validated ingest that quarantines rows, two model versions and an alias history, a drift
// dataset over two batches, a dataset with a column named like a script tag, and a failed step whose
// error carries HTML.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceError } from '../../src/core/errors.ts';
import { DatasetCatalog, csv } from '../../src/data/index.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { openEngine, type Engine } from '../../src/engine/index.ts';
import { LocalExecutor, pipeline, requestCancel, runPipeline, type PipelineGraph } from '../../src/orchestrator/index.ts';
import { suite } from '../../src/quality/index.ts';
import { trainModel } from '../../src/registry/index.ts';
import type { RunActions, StepShape } from '../../src/server/ui/app.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../../src/store/types.ts';

export const SCRIPT_COLUMN = '<script>alert(1)</script>';
export const HTML_ERROR = 'the upstream said <img src=x onerror="alert(2)"> and <b>stopped</b>';

export interface UiFixture {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  graph: PipelineGraph;
  /** Performance per batch as `ctx.monitor.performance` records it: [batch, line label, auc]. */
  performance: [string, string, number][];
  /** The failed run (step `publish` threw HTML). */
  failedRunId: string;
  succeededRunIds: string[];
  actions: RunActions;
  resolveGraph: (run: RunRecord) => Promise<readonly StepShape[] | undefined>;
  /** Starts a run whose step waits until cancelled; resolves with its id once its step runs. */
  startSlow(): Promise<{ runId: string; done: Promise<unknown> }>;
  /** Makes the publish step succeed from now on (what an operator fixes before retrying). */
  fix(): void;
  dispose(): Promise<void>;
}

function flightsCsv(month: number, shift: number): string {
  const lines = ['id,origin,distance,delay,late'];
  for (let i = 0; i < 400; i++) {
    const distance = 100 + ((i * 37) % 900) + shift * 40;
    const origin = ['ATL', 'BOS', 'DEN', 'JFK'][i % 4]!;
    // Every 50th row has an impossible delay: the suite's warn check quarantines it.
    const delay = i % 50 === 7 ? 99999 : ((i * 13) % 120) - 20 + shift * 5;
    lines.push(`${month * 1000 + i},${origin},${distance},${delay},${delay > 30 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function uiFixture(databaseUrl?: string): Promise<UiFixture> {
  const home = await mkdtemp(join(tmpdir(), 'sluice-ui-'));
  const store = await openMetadataStore({ home, ...(databaseUrl ? { url: databaseUrl } : {}) });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  let broken = true;
  const checks = suite('flights', (e) => [e.between('delay', -60, 600, { severity: 'warn' }), e.notNull('origin')]);

  const graph = pipeline('flights_ui', { params: { month: 1 } })
    .step('ingest', [], async (_in, ctx) => {
      const month = Number(ctx.params['month']);
      const file = join(home, `flights-${month}.csv`);
      await writeFile(file, flightsCsv(month, month - 1));
      const r = await ctx.datasets.ingest(`flights_m${month}`, csv(file), { suite: checks });
      ctx.log(`ingested ${r.rows} rows, ${r.quarantinedRows} quarantined`);
      return r.versions[0]!;
    })
    .step('odd_names', [], async (_in, ctx) => ctx.datasets.write('odd_names', `SELECT 1 AS "${SCRIPT_COLUMN}", 'x' AS plain`))
    .step('train', ['ingest'], async ({ ingest }, ctx) => {
      const frame = await ctx.datasets.frame(ingest, (t) => `SELECT distance, origin, late FROM ${t}`);
      const month = Number(ctx.params['month']);
      const model = await trainModel(frame, { label: 'late', task: 'binary', numeric: ['distance'], categorical: ['origin'], estimator: month === 2 ? { type: 'gbdt', numTrees: 12, maxLeaves: 7, threads: 1 } : { type: 'logistic-regression', C: month } });
      const staged = await ctx.models.register('delay', model.toPackage({ metrics: { auc: 0.7 + month / 100, logLoss: 0.6 - month / 100 } }), { inputs: [ingest] });
      ctx.models.setAlias('delay', 'champion', staged, month === 1 ? 'first model' : `month ${month} beats the champion on auc`);
      return staged;
    })
    .step('drift', ['ingest'], async ({ ingest }, ctx) => {
      const month = Number(ctx.params['month']);
      const current = await ctx.datasets.frame(ingest, (t) => `SELECT distance, delay FROM ${t}`);
      const reference = await ctx.datasets.frame(ingest, (t) => `SELECT distance - ${(month - 1) * 40} AS distance, delay - ${(month - 1) * 5} AS delay FROM ${t}`);
      const { dataset } = await ctx.monitor.drift(reference, current, { output: 'flights_drift', batch: `2001-0${month}` });
      return dataset;
    })
    .step('publish', ['train', 'drift'], async (_in, ctx) => {
      ctx.log('publishing the scores');
      if (broken && Number(ctx.params['month']) === 3) {
        throw new SluiceError(HTML_ERROR, { code: 'PUBLISH', hint: 'Check <the> upstream & retry' });
      }
      return { published: true };
    }, { retries: 1, retryDelayMs: 10 })
    .build();

  const succeededRunIds: string[] = [];
  for (const month of [1, 2]) {
    const r = await runPipeline(graph, { store, artifacts, engine, params: { month: String(month) }, partition: `2001-0${month}` });
    if (r.state !== 'succeeded') throw new Error(`fixture run ${month} ${r.state}: ${r.error?.message}`);
    succeededRunIds.push(r.runId);
  }
  const failed = await runPipeline(graph, { store, artifacts, engine, params: { month: '3' }, partition: '2001-03' });
  if (failed.state !== 'failed') throw new Error(`fixture run 3 should fail, got ${failed.state}`);

  // Performance once labels arrive, staged the way ctx.monitor.drift stages its dataset: one version per
  // batch and model line, rows (batch, model, version, alias, metric, value, rows), `meta.performance`.
  const performance: [string, string, number][] = [];
  const catalog = new DatasetCatalog(store, artifacts);
  const measured: { batch: string; version: number; alias?: string; auc: number; logLoss: number }[] = [
    { batch: '2001-02', version: 1, alias: 'champion', auc: 0.71, logLoss: 0.52 },
    { batch: '2001-03', version: 2, alias: 'champion', auc: 0.69, logLoss: 0.55 },
    { batch: '2001-03', version: 3, auc: 0.73, logLoss: 0.5 },
    { batch: '2001-04', version: 2, alias: 'champion', auc: 0.66, logLoss: 0.58 },
    { batch: '2001-04', version: 3, auc: 0.72, logLoss: 0.51 },
  ];
  for (const m of measured) {
    const metrics = { auc: m.auc, logLoss: m.logLoss };
    const frame = Frame.from({
      batch: stringColumn([m.batch, m.batch]), model: stringColumn(['delay', 'delay']), version: numberColumn([m.version, m.version], 'int'),
      alias: stringColumn([m.alias ?? null, m.alias ?? null]), metric: stringColumn(['auc', 'logLoss']), value: numberColumn([m.auc, m.logLoss]), rows: numberColumn([400, 400], 'int'),
    });
    const staged = await catalog.stage(engine, 'delay_performance', frame, { runId: null, step: null, inputs: [], partition: m.batch }, {
      meta: { performance: { batch: m.batch, model: 'delay', version: m.version, ...(m.alias ? { alias: m.alias } : {}), rows: 400, metrics } },
    });
    await catalog.commit(staged);
    performance.push([m.batch, m.alias ? `delay (${m.alias})` : `delay v${m.version}`, m.auc]);
  }

  // Retry and cancel as `sluice ui` wires them: the local executor resumes the failed run (same id),
  // and a cancel request is seen by whichever process drives the run.
  const executor = new LocalExecutor({ store, artifacts, engine, resolveGraph: async () => graph });
  const actions: RunActions = {
    async retry(runId) {
      await executor.retry(runId, { graph });
      return { runId };
    },
    async cancel(runId, reason) { await requestCancel(store, runId, reason, Date.now()); },
  };
  const slow = pipeline('slow_ui')
    .step('prepare', [], async () => 1)
    .step('wait', ['prepare'], async (_in, ctx) => {
      ctx.log('waiting to be cancelled');
      for (let i = 0; i < 1500 && !ctx.signal.aborted; i++) await new Promise((r) => setTimeout(r, 20));
      ctx.throwIfCancelled();
    })
    .build();
  const startSlow = async (): Promise<{ runId: string; done: Promise<unknown> }> => {
    const runId = `run_slow_${Date.now().toString(36)}`;
    const done = runPipeline(slow, { store, artifacts, engine, runId });
    for (let i = 0; i < 200; i++) {
      const t = (await store.listTaskRuns(runId).catch(() => [])).find((x) => x.step === 'wait');
      if (t?.state === 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { runId, done };
  };
  const shapes = new Map([graph, slow].map((g) => [g.name, g.steps.map((s) => ({ name: s.name, inputs: s.inputs }))]));
  return {
    store, artifacts, engine, graph, performance, failedRunId: failed.runId, succeededRunIds, actions,
    resolveGraph: async (run) => shapes.get(run.pipeline),
    fix: () => { broken = false; }, startSlow,
    async dispose() { await executor.close(); await engine.close(); await store.close(); await rm(home, { recursive: true, force: true }); },
  };
}
