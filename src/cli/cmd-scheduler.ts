/**
 * `sluice scheduler [--project FILE] [--tick-ms N] [--once]`: starts the runs the project's schedules
 * make due, until SIGINT/SIGTERM. Safe to restart at any time and to run twice: every occurrence
 * runs once (see orchestrator/scheduler.ts). `--once` looks once, waits for the runs it started, and exits.
 */
import { findProjectFile, loadProject, nextOccurrence } from '../orchestrator/index.ts';
import { Scheduler } from '../orchestrator/scheduler.ts';
import { CommandUsageError, configFor, openOrchestration, parseCommandArgs, reportCommandError, type CliIO } from './cmd-orchestration.ts';

const USAGE = 'sluice scheduler [--project FILE] [--tick-ms N] [--once]';

export async function cmdScheduler(args: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(args, { project: { type: 'string' }, 'tick-ms': { type: 'string' }, once: { type: 'boolean', default: false } }, USAGE);
    if (positionals.length) throw new CommandUsageError(`unexpected argument "${positionals[0]}"`, USAGE);
    const tickMs = values['tick-ms'] ? Number(values['tick-ms']) : 1000;
    if (!Number.isFinite(tickMs) || tickMs < 10) throw new CommandUsageError(`--tick-ms must be a number of at least 10, got "${values['tick-ms']}"`, USAGE);
    const file = findProjectFile(io.cwd, values.project, io.env);
    if (!file) throw new CommandUsageError('No project file (sluice.config.ts) here or above: the scheduler needs one to know the pipelines', 'Create sluice.config.ts with `export default defineProject({ pipelines: [...] })` (README, "Schedules and backfills"), or pass --project FILE.');
    const project = await loadProject(file);
    const pipelines = [...project.pipelines.values()];
    const schedules = pipelines.flatMap((p) => p.graph.schedules.map((s) => ({ p, s })));
    if (schedules.length === 0) throw new CommandUsageError(`No pipeline in ${file} declares a schedule`, "Add one: pipeline('name', { schedule: { cron: '0 6 * * *', timezone: 'UTC' } }).");
    const o = await openOrchestration(configFor(io));
    const submitted = new Set<string>();
    const scheduler = new Scheduler({ store: o.store, executor: o.executor, pipelines, tickMs, onSubmit: (s) => submitted.add(s.runId), log: (line) => io.err(`${new Date().toISOString()} ${line}`) });
    const now = Date.now();
    io.err(`scheduler: ${schedules.length} schedule(s) from ${file}, metadata in ${o.store.description}`);
    for (const { p, s } of schedules) {
      const next = nextOccurrence(s, now);
      io.err(`  ${p.name}/${s.name}  "${s.cron}" ${s.timezone}, catch-up ${s.catchUp}; next ${next === null ? 'never' : new Date(next).toISOString()}`);
    }
    try {
      if (values.once) {
        await scheduler.tick();
        const runs = await Promise.all([...submitted].map((id) => o.executor.wait(id)));
        io.err(`scheduler: ${runs.length} run(s): ${runs.filter((r) => r.state === 'succeeded').length} succeeded`);
        return runs.every((r) => r.state === 'succeeded') ? 0 : 1;
      }
      await new Promise<void>((resolveStop) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (++signals === 1) {
            io.err(`${signal}: scheduler stopping; runs in flight finish first (again to cancel them)`);
            resolveStop();
          } else {
            void o.close().finally(() => process.exit(130));
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        scheduler.start();
      });
      await scheduler.stop();
      await Promise.all([...submitted].map((id) => o.executor.wait(id)));
      return 0;
    } finally {
      await o.close();
    }
  } catch (err) {
    return reportCommandError(err, io);
  }
}
