/**
 * `sluice dev [--project FILE] [--port 4400] [--host 127.0.0.1] [--tick-ms N]`: the scheduler and the web
 * UI in one process, on the embedded default (as `dagster dev` does): one command to watch schedules fire
 * and a backfill (`sluice backfill ...` in another terminal) fill in, partition by partition.
 *
 * Both share one local executor: scheduled runs and retries from the UI run in this process. SIGINT or
 * SIGTERM stops the scheduler, closes the UI, and cancels the runs this process drives (each is recorded
 * cancelled, so none is left "running"); exit code 0. `sluice scheduler` is the command for a long-lived
 * scheduler that lets runs finish before it stops.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../core/config.ts';
import { SluiceError } from '../core/errors.ts';
import { openEngine } from '../engine/index.ts';
import { LocalExecutor, findProjectFile, loadProject, nextOccurrence, requestCancel, resolveRunGraph, type PipelineGraph } from '../orchestrator/index.ts';
import { Scheduler } from '../orchestrator/scheduler.ts';
import { serveUi, type RunActions } from '../server/index.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import { CommandUsageError, parseCommandArgs, reportCommandError, type CliIO } from './cmd-orchestration.ts';

const USAGE = 'sluice dev [--project FILE] [--port 4400] [--host 127.0.0.1] [--tick-ms N]';
/** How long runs get to record their cancellation at shutdown (the process should be gone within a second). */
const STOP_GRACE_MS = 700;

/** Waits for `done`, at most `ms`; the timer is cleared either way, so it never keeps the process alive. */
async function within(ms: number, done: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

export async function cmdDev(args: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(args, {
      project: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'tick-ms': { type: 'string' },
    }, USAGE);
    if (positionals.length) throw new CommandUsageError(`unexpected argument "${positionals[0]}"`, USAGE);
    const port = values.port === undefined ? 4400 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CommandUsageError(`--port must be a port number (0-65535), got "${values.port}"`, USAGE);
    const tickMs = values['tick-ms'] ? Number(values['tick-ms']) : 1000;
    if (!Number.isFinite(tickMs) || tickMs < 10) throw new CommandUsageError(`--tick-ms must be a number of at least 10, got "${values['tick-ms']}"`, USAGE);
    const file = findProjectFile(io.cwd, values.project, io.env);
    if (!file) {
      throw new CommandUsageError('No project file (sluice.config.ts) here or above: sluice dev schedules the pipelines it lists',
        "Create sluice.config.ts with `export default defineProject({ pipelines: ['path/to/pipeline.ts'] })` (README, \"Schedules and backfills\"), or pass --project FILE.");
    }
    const project = await loadProject(file);
    const pipelines = [...project.pipelines.values()];

    const config = loadConfig({ ...io.env, SLUICE_HOME: resolve(io.cwd, io.env['SLUICE_HOME'] || '.sluice') });
    const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
    const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
    const engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
    const graphOf = (run: { pipeline: string; pipelineFile: string | null }): Promise<PipelineGraph> => {
      const known = project.pipelines.get(run.pipeline);
      return known ? Promise.resolve(known.graph) : resolveRunGraph(run.pipeline, run.pipelineFile, { cwd: io.cwd, project: file, env: io.env });
    };
    const executor = new LocalExecutor({ store, artifacts, engine, resolveGraph: graphOf });
    // Every run this process starts (scheduled or retried), so that none is left unfinished at exit.
    const started = new Set<string>();
    const scheduler = new Scheduler({ store, executor, pipelines, tickMs, onSubmit: (s) => started.add(s.runId), log: (line) => io.err(`${new Date().toISOString()} ${line}`) });
    const actions: RunActions = {
      async retry(runId) {
        const run = await store.getRun(runId);
        if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
        started.add(runId);
        await executor.retry(runId, { graph: await graphOf(run) });
        return { runId };
      },
      async cancel(runId, reason) { await requestCancel(store, runId, reason, Date.now()); },
    };
    const token = io.env['SLUICE_UI_TOKEN'] || undefined;
    let server: Awaited<ReturnType<typeof serveUi>> | undefined;
    try {
      server = await serveUi({
        store, artifacts, engine, actions, port, pipelines,
        resolveGraph: async (run) => (await graphOf(run).catch(() => undefined))?.steps.map((s) => ({ name: s.name, inputs: s.inputs })),
        ...(values.host ? { host: values.host } : {}), ...(token ? { token } : {}),
      });
      const schedules = pipelines.flatMap((p) => p.graph.schedules.map((s) => ({ p, s })));
      io.out(`Sluice dev: UI at ${server.url}${token ? ' (sign in with SLUICE_UI_TOKEN)' : ''}; scheduler on ${schedules.length} schedule(s) of ${pipelines.length} pipeline(s) from ${file}; Ctrl-C stops both.`);
      io.err(`metadata in ${store.description}`);
      const now = Date.now();
      for (const { p, s } of schedules) {
        const next = nextOccurrence(s, now);
        io.err(`  ${p.name}/${s.name}  "${s.cron}" ${s.timezone}, catch-up ${s.catchUp}; next ${next === null ? 'never' : new Date(next).toISOString()}`);
      }
      scheduler.start();
      const signal = await new Promise<NodeJS.Signals>((done) => {
        const stop = (sig: NodeJS.Signals): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); done(sig); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      io.err(`${signal}: stopping the scheduler and the UI; runs in flight are cancelled`);
      return 0;
    } finally {
      await scheduler.stop();
      await server?.close();
      // Runs this process drives are cancelled (their steps' signals fire) and get a moment to record it.
      const driven = [...started].filter((id) => executor.drives(id));
      await Promise.all(driven.map((id) => executor.cancel(id, 'sluice dev stopped').catch(() => undefined)));
      await within(STOP_GRACE_MS, Promise.allSettled(driven.map((id) => executor.wait(id))));
      // No grace left to give: close's own grace timer would hold the process open for its full length.
      await executor.close(0);
      // A step that ignored its signal: its run is closed here, as the reaper would.
      if (started.size) await store.closeUnfinishedRuns('cancelled', 'cancelled: sluice dev stopped', [...started]);
      await engine.close();
      await store.close();
    }
  } catch (err) {
    return reportCommandError(err, io);
  }
}
