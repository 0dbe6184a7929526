/**
 * `sluice ui [<pipeline.ts> ...] [--port 4400] [--host 127.0.0.1]`: the web UI over this project's
 * metadata store and artifacts, until SIGINT/SIGTERM. The token comes from SLUICE_UI_TOKEN (never a flag:
 * flags show in `ps`); beyond loopback it is required.
 *
 * The pipeline files named are loaded so that the UI can draw their step graphs and retry their runs:
 * a retry runs the pipeline again in this process with the failed run's params and partition (a new run,
 * shown live), and cancel stops a run this process started.
 */
import { resolve } from 'node:path';
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { runPipeline, type PipelineGraph } from '../orchestrator/index.ts';
import { serveUi, type RunActions } from '../server/index.ts';
import type { ArtifactStore, MetadataStore } from '../store/types.ts';
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
  const engine = await openEngine({ tempDirectory: resolve(deps.home, 'duckdb-tmp') });
  const running = new Map<string, AbortController>();
  const actions = uiActions(store, artifacts, engine, graphs, running, deps.logger);
  const token = io.env.SLUICE_UI_TOKEN || undefined;
  try {
    const server = await serveUi({
      store, artifacts, engine, actions, port,
      resolveGraph: async (run) => graphs.get(run.pipeline)?.steps.map((s) => ({ name: s.name, inputs: s.inputs })),
      ...(flags.host ? { host: flags.host } : {}), ...(token ? { token } : {}),
    });
    io.out(`Sluice UI at ${server.url}${token ? ' (sign in with SLUICE_UI_TOKEN)' : ''}; ${graphs.size ? `pipelines ${[...graphs.keys()].join(', ')} can be retried` : 'name pipeline files to retry their runs from the UI'}. Ctrl-C stops it.`);
    await new Promise<void>((done) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    for (const c of running.values()) c.abort(new Error('sluice ui is stopping'));
    await server.close();
    if (running.size) await store.closeUnfinishedRuns('cancelled', 'sluice ui stopped while the run was going', [...running.keys()]);
  } finally {
    await engine.close();
  }
  return 0;
}

function uiActions(store: MetadataStore, artifacts: ArtifactStore, engine: Awaited<ReturnType<typeof openEngine>>, graphs: Map<string, PipelineGraph>, running: Map<string, AbortController>, logger: Logger): RunActions {
  return {
    async retry(runId) {
      const run = await store.getRun(runId);
      if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND' });
      const graph = graphs.get(run.pipeline);
      if (!graph) {
        throw new SluiceError(`This UI cannot retry run ${runId}: pipeline "${run.pipeline}" was not loaded`, {
          code: 'PIPELINE_UNKNOWN', hint: `Start the UI with the pipeline's file: sluice ui <file of pipeline "${run.pipeline}">`,
        });
      }
      const id = newId('run');
      const controller = new AbortController();
      running.set(id, controller);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(run.params)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
      void runPipeline(graph, { store, artifacts, engine, params, partition: run.partition, runId: id, signal: controller.signal, logger })
        .catch((err: unknown) => logger.error(`retry of run ${runId} as ${id}: ${String(err)}`))
        .finally(() => running.delete(id));
      // Show the new run once it is recorded.
      for (let i = 0; i < 100 && !(await store.getRun(id)); i++) await new Promise((r) => setTimeout(r, 20));
      return { runId: id };
    },
    async cancel(runId, reason) {
      const controller = running.get(runId);
      if (!controller) {
        throw new SluiceError(`Run ${runId} is not driven by this UI process, so it cannot stop it`, {
          code: 'USAGE', hint: 'Stop it where it runs (Ctrl-C in the terminal of `sluice run`).',
        });
      }
      controller.abort(new Error(reason));
    },
  };
}
