/**
 * `sluice ui [<pipeline.ts> ...] [--port 4400] [--host 127.0.0.1]`: the web UI over this project's
 * metadata store and artifacts, until SIGINT/SIGTERM. The token comes from SLUICE_UI_TOKEN (never a flag:
 * flags show in `ps`); beyond loopback it is required.
 *
 * Retry and cancel are the orchestration's: a retry resumes the failed run in this process on the local
 * executor (its failed, cancelled and skipped steps run again with the succeeded steps' recorded outputs,
 * as `sluice runs retry`), loading the pipeline from the file the run recorded or from a file named on the
 * command line; cancel records a cancel request that the process driving the run (any process) acts on
 * within about a second, as `sluice runs cancel`. When a project file is found, its pipelines' declared
 * schedules are on the schedules page too.
 */
import { resolve } from 'node:path';
import { SluiceError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { LocalExecutor, findProjectFile, loadProject, requestCancel, type PipelineGraph, type ProjectPipeline } from '../orchestrator/index.ts';
import { serveUi, type RunActions } from '../server/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../store/types.ts';
import type { CliIO } from './io.ts';

export interface UiFlags { port?: string | undefined; host?: string | undefined }

export interface UiDeps {
  home: string;
  logger: Logger;
  loadPipeline: (file: string, cwd: string) => Promise<PipelineGraph>;
}

export async function cmdUi(store: MetadataStore, artifacts: ArtifactStore, files: string[], flags: UiFlags, io: CliIO, deps: UiDeps): Promise<number> {
  const port = flags.port === undefined ? 4400 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SluiceError(`--port must be a port number (0-65535), got ${JSON.stringify(flags.port)}`, { code: 'USAGE' });
  }
  const graphs = new Map<string, PipelineGraph>();
  for (const file of files) {
    const graph = await deps.loadPipeline(file, io.cwd);
    graphs.set(graph.name, graph);
  }
  const byFile = new Map<string, Promise<PipelineGraph>>();
  const graphOf = async (run: RunRecord): Promise<PipelineGraph> => {
    const named = graphs.get(run.pipeline);
    if (named) return named;
    if (!run.pipelineFile) {
      throw new SluiceError(`Run ${run.id} did not record its pipeline file, and pipeline "${run.pipeline}" was not named when the UI started`, {
        code: 'PIPELINE_UNKNOWN', context: { run: run.id }, hint: `Start the UI with the pipeline's file: sluice ui <file of pipeline "${run.pipeline}">`,
      });
    }
    let loading = byFile.get(run.pipelineFile);
    if (!loading) {
      loading = deps.loadPipeline(run.pipelineFile, io.cwd);
      loading.catch(() => byFile.delete(run.pipelineFile!));
      byFile.set(run.pipelineFile, loading);
    }
    const graph = await loading;
    if (graph.name !== run.pipeline) {
      throw new SluiceError(`The file ${run.pipelineFile} now defines pipeline "${graph.name}", not "${run.pipeline}" (run ${run.id})`, { code: 'PIPELINE_MISMATCH', context: { run: run.id } });
    }
    return graph;
  };
  // The project's pipelines, when there is a project file, for their declared schedules; the UI works without.
  let pipelines: ProjectPipeline[] = [];
  const projectFile = findProjectFile(io.cwd, undefined, io.env);
  if (projectFile) {
    try { pipelines = [...(await loadProject(projectFile)).pipelines.values()]; } catch (err) { io.err(`(the schedules page lists only what schedulers recorded: ${errorMessage(err)})`); }
  }
  const engine = await openEngine({ tempDirectory: resolve(deps.home, 'duckdb-tmp') });
  const executor = new LocalExecutor({ store, artifacts, engine, logger: deps.logger, resolveGraph: graphOf });
  const actions: RunActions = {
    async retry(runId) {
      const run = await store.getRun(runId);
      if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
      await executor.retry(runId, { graph: await graphOf(run) });
      return { runId };
    },
    async cancel(runId, reason) {
      await requestCancel(store, runId, reason, Date.now());
    },
  };
  const token = io.env.SLUICE_UI_TOKEN || undefined;
  try {
    const server = await serveUi({
      store, artifacts, engine, actions, port, pipelines,
      resolveGraph: async (run) => (await graphOf(run).catch(() => undefined))?.steps.map((s) => ({ name: s.name, inputs: s.inputs })),
      ...(flags.host ? { host: flags.host } : {}), ...(token ? { token } : {}),
    });
    io.out(`Sluice UI at ${server.url}${token ? ' (sign in with SLUICE_UI_TOKEN)' : ''}; Ctrl-C stops it.`);
    await new Promise<void>((done) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  } finally {
    // Runs this process resumed are cancelled (recorded) by the executor as it closes.
    await executor.close();
    await engine.close();
  }
  return 0;
}
