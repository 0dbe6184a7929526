/**
 * `sluice backfill <pipeline> --from A --to B [--parallel N] [--param k=v ...] [--new] [--project FILE]`:
 * one run per partition of the range, with a line per partition as it starts and ends. Run the same
 * command again to resume: only partitions whose run did not succeed run. `--status` lists the
 * pipeline's backfills and their progress.
 */
import { runBackfill, backfillStatus, DEFAULT_BACKFILL_PARALLEL, type BackfillEvent } from '../orchestrator/backfill.ts';
import { resolvePipeline } from '../orchestrator/index.ts';
import { CommandUsageError, configFor, openOrchestration, paramsOf, parseCommandArgs, reportCommandError, withStore, type CliIO } from './cmd-orchestration.ts';
import { formatDuration, formatTime, table } from './format.ts';

const USAGE = `sluice backfill <pipeline> --from PARTITION --to PARTITION [--parallel N] [--param k=v ...] [--new] [--project FILE]   (default --parallel ${DEFAULT_BACKFILL_PARALLEL})
  sluice backfill <pipeline> --status`;

export async function cmdBackfill(args: string[], io: CliIO): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(args, {
      from: { type: 'string' }, to: { type: 'string' }, parallel: { type: 'string' }, param: { type: 'string', multiple: true, short: 'p' },
      new: { type: 'boolean', default: false }, status: { type: 'boolean', default: false }, project: { type: 'string' }, json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
    }, USAGE);
    const spec = positionals[0];
    if (!spec) throw new CommandUsageError('sluice backfill needs a pipeline (its name in the project file, or its file)', USAGE);
    if (positionals.length > 1) throw new CommandUsageError(`unexpected argument "${positionals[1]}"`, USAGE);
    const config = configFor(io);
    const p = await resolvePipeline(spec, { cwd: io.cwd, ...(values.project ? { project: values.project } : {}), env: io.env });
    if (values.status) return await withStore(config, (store) => status(store, p.name, values.json, io));
    if (!values.from || !values.to) throw new CommandUsageError('sluice backfill needs --from and --to (partition keys, e.g. --from 2001-01 --to 2001-06)', USAGE);
    let parallel: number | undefined;
    if (values.parallel !== undefined) {
      parallel = Number(values.parallel);
      if (!Number.isInteger(parallel) || parallel < 1) throw new CommandUsageError(`--parallel must be a positive integer, got "${values.parallel}"`, USAGE);
    }
    const params = paramsOf(values.param);
    const o = await openOrchestration(config);
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals === 1) {
        io.err(`\n${signal}: cancelling the backfill's runs in flight (run the same command again to resume; again to force)`);
        controller.abort(new Error(`received ${signal}`));
      } else {
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const started = Date.now();
    try {
      const result = await runBackfill({
        store: o.store, executor: o.executor, pipeline: p, from: values.from, to: values.to, params, fresh: values.new, signal: controller.signal,
        ...(parallel !== undefined ? { parallel } : {}),
        onEvent: (e) => printEvent(e, io),
      });
      const b = result.backfill;
      const pr = result.progress;
      if (values.json) io.out(JSON.stringify(result, null, 2));
      io.err(`backfill ${b.id} of ${b.pipeline} ${b.from}..${b.to}: ${b.state}, ${pr.succeeded}/${pr.total} partition(s) succeeded in ${formatDuration(Date.now() - started)}${b.error ? `\n  ${b.error}` : ''}`);
      if (b.state === 'succeeded') return 0;
      if (b.state === 'cancelled') return 130;
      io.err('  hint: fix the cause and run the same command again: only the partitions that did not succeed will run');
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await o.close();
    }
  } catch (err) {
    return reportCommandError(err, io, args.includes('--verbose') || args.includes('-v'));
  }
}

function printEvent(e: BackfillEvent, io: CliIO): void {
  if (e.type === 'note') io.err(`note: ${e.message}`);
  else if (e.type === 'plan') {
    const b = e.backfill;
    io.err(`${e.resumed ? 'resuming' : 'starting'} backfill ${b.id} of ${b.pipeline}: ${b.partitions} partition(s) ${b.from}..${b.to}, ${b.inOrder ? 'in order, one at a time' : `${b.parallel} at a time`}${e.done ? `; ${e.done} already succeeded` : ''}; ${e.toRun} to run`);
  } else if (e.type === 'start') io.err(`  > ${e.partition}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}  run ${e.runId}`);
  else {
    const p = e.progress;
    const done = p.succeeded + p.failed;
    io.err(`  ${e.state === 'succeeded' ? 'ok' : e.state.toUpperCase()} ${e.partition}  ${formatDuration(e.durationMs)}  [${done}/${p.total} done${p.failed ? `, ${p.failed} failed` : ''}, ${p.running} running]${e.error ? `\n     ${e.error.split('\n')[0]}` : ''}`);
  }
}

async function status(store: Parameters<typeof backfillStatus>[0], pipeline: string, json: boolean | undefined, io: CliIO): Promise<number> {
  const list = await store.schedules.listBackfills({ pipeline, limit: 20 });
  const rows = [];
  for (const b of list) rows.push((await backfillStatus(store, b.id))!);
  if (json) { io.out(JSON.stringify(rows, null, 2)); return 0; }
  if (rows.length === 0) { io.out(`no backfills of ${pipeline} yet`); return 0; }
  io.out(table(['backfill', 'range', 'state', 'succeeded', 'failed', 'running', 'pending', 'created', 'note'], rows.map(({ backfill: b, counts: c }) => [
    b.id, `${b.from}..${b.to}`, b.state, `${c.succeeded}/${b.partitions}`, String(c.failed + c.cancelled), String(c.submitted), String(c.pending), formatTime(b.createdAt), b.error ?? '',
  ])));
  return 0;
}
