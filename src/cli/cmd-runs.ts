/**
 * `sluice runs retry <id>` and `sluice runs cancel <id> [--reason text]`.
 *
 * retry resumes a finished (failed or cancelled) run in this process: its failed, cancelled and skipped
 * steps run again with the succeeded steps' recorded outputs; the pipeline is loaded from the file the
 * run recorded. A run whose process died is closed first (once its lease has run out).
 * cancel records a cancel request on the run; the process running it (on this machine or another)
 * sees it within about a second, fires its steps' signals and records the run cancelled.
 */
import { resolve } from 'node:path';
import type { SluiceConfig } from '../core/config.ts';
import { SluiceError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { LocalExecutor, requestCancel, type PipelineGraph, type RunEvent } from '../orchestrator/index.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import type { MetadataStore, RunRecord } from '../store/types.ts';
import { formatDuration, table } from './format.ts';

export interface RunsControlDeps {
  config: SluiceConfig;
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  logger: Logger;
  loadPipeline: (file: string, cwd: string) => Promise<PipelineGraph>;
  onEvent?: (event: RunEvent) => void;
  json?: boolean;
  reason?: string;
}

export async function cmdRunsControl(sub: 'retry' | 'cancel', id: string | undefined, deps: RunsControlDeps): Promise<number> {
  if (!id) throw new SluiceError(`sluice runs ${sub} needs a run id (see \`sluice runs\`)`, { code: 'USAGE', hint: `sluice runs ${sub} <run-id>` });
  const { config } = deps;
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  try {
    return sub === 'cancel' ? await cancel(store, id, deps) : await retry(store, id, deps);
  } finally {
    await store.close();
  }
}

async function cancel(store: MetadataStore, id: string, deps: RunsControlDeps): Promise<number> {
  const { run, finished } = await requestCancel(store, id, deps.reason ?? `sluice runs cancel (pid ${process.pid})`, Date.now());
  if (deps.json) { deps.out(JSON.stringify({ run, finished }, null, 2)); return 0; }
  if (finished) deps.out(`run ${id} cancelled (no step was running)`);
  else if (run.state === 'pending' || run.state === 'running') deps.out(`cancel requested for run ${id}: the process running it stops its steps and records the run cancelled within about a second`);
  else deps.out(`run ${id} is already ${run.state}; nothing to cancel`);
  return 0;
}

async function retry(store: MetadataStore, id: string, deps: RunsControlDeps): Promise<number> {
  const run = await store.getRun(id);
  if (!run) throw new SluiceError(`No run with id "${id}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
  if (run.state === 'succeeded') { deps.out(`run ${id} already succeeded; nothing to retry`); return 0; }
  const graph = await graphOf(run, deps);
  const { config } = deps;
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  const engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
  const executor = new LocalExecutor({
    store, artifacts, engine, logger: deps.logger, resolveGraph: (r) => graphOf(r, deps), ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
  const stop = onSignals(store, executor, id, deps);
  try {
    await executor.retry(id, { graph });
    const done = await executor.wait(id);
    const tasks = await store.listTaskRuns(id);
    if (deps.json) deps.out(JSON.stringify({ run: done, tasks }, null, 2));
    else deps.out(`run ${id}: ${done.state}\n${table(['step', 'state', 'attempt', 'duration', 'note'], tasks.map((t) => [t.step, t.state, String(t.attempt), formatDuration(t.durationMs), t.cachedFrom ? `cached from ${t.cachedFrom}` : (t.error ?? '').split('\n')[0] ?? '']))}`);
    if (done.state === 'failed') { deps.err(`error: ${done.error ?? 'the run failed'}`); return 1; }
    return done.state === 'cancelled' ? 130 : 0;
  } finally {
    stop();
    await executor.close();
    await engine.close();
  }
}

async function graphOf(run: RunRecord, deps: RunsControlDeps): Promise<PipelineGraph> {
  if (!run.pipelineFile) {
    throw new SluiceError(`Run ${run.id} did not record its pipeline file, so it cannot be resumed`, {
      code: 'PIPELINE_UNKNOWN', context: { run: run.id }, hint: `Start a new run: sluice run <file of pipeline "${run.pipeline}">`,
    });
  }
  const graph = await deps.loadPipeline(run.pipelineFile, deps.cwd);
  if (graph.name !== run.pipeline) {
    throw new SluiceError(`The file ${run.pipelineFile} now defines pipeline "${graph.name}", not "${run.pipeline}" (run ${run.id})`, { code: 'PIPELINE_MISMATCH', context: { run: run.id } });
  }
  return graph;
}

/**
 * SIGINT/SIGTERM while this process drives a run: cancel it (steps' signals fire, nothing they staged
 * is registered). A step that ignores its signal does not hold the process: after `SIGNAL_GRACE_MS`
 * the run is recorded cancelled and the process exits 130.
 */
export const SIGNAL_GRACE_MS = 800;

export function onSignals(store: MetadataStore, executor: { cancel(id: string, reason?: string): Promise<void> }, runId: string, io: { err: (text: string) => void }): () => void {
  let forced: NodeJS.Timeout | undefined;
  const force = (signal: string): void => {
    void store.closeUnfinishedRuns('cancelled', `the process exited on ${signal} before its steps stopped`, [runId]).catch(() => {}).finally(() => process.exit(130));
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (forced) { force(signal); return; }
    io.err(`\n${signal}: cancelling run ${runId}`);
    void executor.cancel(runId, `received ${signal}`).catch(() => {});
    forced = setTimeout(() => force(signal), SIGNAL_GRACE_MS);
    forced.unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    if (forced) clearTimeout(forced);
  };
}
