/**
 * `sluice schedules [--json]`: each pipeline's schedules, next occurrences, last run, paused.
 * `sluice schedules pause|resume <pipeline> [--schedule NAME]`.
 */
import { findProjectFile, loadProject, nextOccurrences, resolvePipeline, type ProjectPipeline } from '../orchestrator/index.ts';
import { systemClock } from '../core/clock.ts';
import type { MetadataStore } from '../store/types.ts';
import { CommandUsageError, configFor, parseCommandArgs, reportCommandError, withStore, type CliIO } from './cmd-orchestration.ts';
import { formatTime, table } from './format.ts';

const USAGE = 'sluice schedules [--project FILE] [--json] | sluice schedules pause|resume <pipeline> [--schedule NAME]';

export async function cmdSchedules(args: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(args, {
      project: { type: 'string' }, schedule: { type: 'string' }, json: { type: 'boolean', default: false }, next: { type: 'string' },
    }, USAGE);
    const config = configFor(io);
    const [action, name] = positionals;
    if (action === 'pause' || action === 'resume') {
      if (!name) throw new CommandUsageError(`sluice schedules ${action} needs a pipeline name`, USAGE);
      const p = await resolvePipeline(name, { cwd: io.cwd, ...(values.project ? { project: values.project } : {}), env: io.env });
      if (p.graph.schedules.length === 0) throw new CommandUsageError(`Pipeline "${p.name}" declares no schedule`, "Add one in its file: pipeline('name', { schedule: { cron: '0 6 * * *' } }).");
      if (values.schedule && !p.graph.schedules.some((s) => s.name === values.schedule)) {
        throw new CommandUsageError(`Pipeline "${p.name}" has no schedule "${values.schedule}"`, `Its schedules: ${p.graph.schedules.map((s) => s.name).join(', ')}.`);
      }
      return await withStore(config, async (store) => {
        const now = systemClock.now();
        for (const s of p.graph.schedules) await store.schedules.syncSchedule({ pipeline: p.name, name: s.name, cron: s.cron, timezone: s.timezone, catchUp: s.catchUp, file: p.file }, now);
        const changed = await store.schedules.setPaused(p.name, action === 'pause', now, values.schedule);
        io.out(`${p.name}: ${changed} schedule(s) ${action === 'pause' ? 'paused' : 'resumed'}${changed === 0 ? ' (already so)' : ''}${action === 'resume' && changed > 0 ? '; occurrences missed while paused will not run' : ''}`);
        return 0;
      });
    }
    if (action !== undefined) throw new CommandUsageError(`unknown schedules action "${action}"`, USAGE);
    const file = findProjectFile(io.cwd, values.project, io.env);
    if (!file) throw new CommandUsageError('No project file (sluice.config.ts) here or above', 'Create one listing your pipelines (README, "Schedules and backfills"), or pass --project FILE.');
    const project = await loadProject(file);
    const count = values.next ? Number(values.next) : 3;
    if (!Number.isInteger(count) || count < 0) throw new CommandUsageError(`--next must be a non-negative integer, got "${values.next}"`);
    return await withStore(config, (store) => listSchedules(store, [...project.pipelines.values()], count, values.json, io));
  } catch (err) {
    return reportCommandError(err, io);
  }
}

async function listSchedules(store: MetadataStore, pipelines: ProjectPipeline[], count: number, json: boolean | undefined, io: CliIO): Promise<number> {
  const now = systemClock.now();
  const records = new Map((await store.schedules.listSchedules()).map((r) => [`${r.pipeline}/${r.name}`, r]));
  const rows = [];
  for (const p of pipelines) {
    for (const s of p.graph.schedules) {
      const rec = records.get(`${p.name}/${s.name}`);
      const last = (await store.schedules.listOccurrences(p.name, s.name, 1))[0];
      const lastRun = last?.runId ? await store.getRun(last.runId) : undefined;
      rows.push({
        pipeline: p.name, schedule: s.name, cron: s.cron, timezone: s.timezone, catchUp: s.catchUp,
        partitions: p.graph.partitions ? (p.graph.partitions.kind === 'keys' ? 'keys' : p.graph.partitions.kind) : null,
        next: nextOccurrences(s, now, count),
        lastOccurrence: last?.occurrence ?? null, lastRunId: lastRun?.id ?? null, lastRunState: lastRun?.state ?? (last ? 'not submitted' : null),
        paused: rec?.paused ?? false, seenByScheduler: rec !== undefined, file: p.file,
      });
    }
  }
  if (json) { io.out(JSON.stringify(rows, null, 2)); return 0; }
  if (rows.length === 0) { io.out('no pipeline in the project declares a schedule'); return 0; }
  io.out(table(['pipeline', 'schedule', 'cron', 'time zone', 'catch-up', 'next', 'last run', 'paused'], rows.map((r) => [
    r.pipeline, r.schedule, r.cron, r.timezone, r.catchUp,
    r.paused ? '(paused)' : r.next.map((t) => new Date(t).toISOString().replace(':00.000Z', 'Z')).join(', '),
    r.lastOccurrence === null ? '-' : `${formatTime(r.lastOccurrence)} ${r.lastRunState ?? ''}${r.lastRunId ? ` (${r.lastRunId})` : ''}`,
    r.paused ? 'yes' : 'no',
  ])));
  if (rows.some((r) => !r.seenByScheduler)) io.out('\nschedules start counting when `sluice scheduler` first sees them');
  return 0;
}
