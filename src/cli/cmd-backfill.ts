/**
 * `sluice backfill <pipeline> --from A --to B [--parallel N] [--param k=v ...] [--new] [--project FILE]`:
 * one run per partition of the range, with a line per partition as it starts and ends. Run the same
 * command again to resume: only partitions whose run did not succeed run. `--status` lists the
 * pipeline's backfills and their progress.
 *
 * At the end it prints, to stdout, a table with a row per partition: the output of each run's last step
 * (its `summary` step when it has one, as `sluice run` prints), read back from the metadata store, so a
 * second run of the same command, which reruns nothing, prints the same table.
 */
import { runBackfill, backfillStatus, DEFAULT_BACKFILL_PARALLEL, type BackfillEvent } from '../orchestrator/backfill.ts';
import { resolvePipeline, type PipelineGraph } from '../orchestrator/index.ts';
import type { Json, MetadataStore } from '../store/types.ts';
import { CommandUsageError, configFor, openOrchestration, paramsOf, parseCommandArgs, reportCommandError, withStore, type CliIO } from './cmd-orchestration.ts';
import { formatDuration, formatNumber, formatTime, table } from './format.ts';

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
      if (values.json) io.out(JSON.stringify({ ...result, outputs: (await partitionOutputs(o.store, b.id, p.graph)).rows }, null, 2));
      else {
        const { rows, left } = await partitionOutputs(o.store, b.id, p.graph, TABLE_PARTITIONS);
        if (rows.some((x) => x.output !== null)) io.out(`${left ? `\n(${left} earlier partition(s) not shown: --json gives them all)` : ''}${outputsTable(rows)}`);
      }
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

/** A partition of the backfill, its latest run and that run's last-step output (null unless the run succeeded). */
export interface PartitionOutput {
  partition: string;
  runId: string | null;
  state: string;
  step: string;
  output: Record<string, Json> | null;
}

/** The step whose output stands for a run: `summary` if the pipeline has one, else its last step. */
function resultStep(graph: PipelineGraph): string {
  return graph.order.includes('summary') ? 'summary' : graph.order[graph.order.length - 1]!;
}

/** The last `limit` partitions (all by default) with their runs' outputs. */
async function partitionOutputs(store: MetadataStore, backfillId: string, graph: PipelineGraph, limit = Infinity): Promise<{ rows: PartitionOutput[]; left: number }> {
  const step = resultStep(graph);
  const runs = new Map((await store.listRunsByBackfill(backfillId)).map((r) => [r.id, r]));
  const partitions = [];
  for (let afterSeq = -1; ;) {
    const page = await store.schedules.listBackfillPartitions(backfillId, { afterSeq, limit: 500 });
    partitions.push(...page);
    if (page.length < 500) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  const shown = partitions.slice(Math.max(0, partitions.length - limit));
  const rows: PartitionOutput[] = [];
  for (const p of shown) {
    const run = p.runId ? runs.get(p.runId) : undefined;
    let output: Record<string, Json> | null = null;
    if (run?.state === 'succeeded') {
      const json = (await store.listTaskRuns(run.id)).find((t) => t.step === step)?.output;
      if (json !== null && json !== undefined && typeof json === 'object' && !Array.isArray(json)) output = json;
    }
    rows.push({ partition: p.partition, runId: p.runId, state: run?.state ?? p.state, step, output });
  }
  return { rows, left: partitions.length - shown.length };
}

/** Partitions the table shows at most (the latest); `--json` gives every one. */
const TABLE_PARTITIONS = 100;

/** Text longer than this goes below the table, one line per partition, rather than in a column. */
const LONG_TEXT = 60;

/**
 * The partitions' outputs as a table: a column per scalar key (in first-seen order), '-' where a run
 * has none; a column that only repeats the partition is left out, and long text follows the table.
 */
export function outputsTable(rows: readonly PartitionOutput[]): string {
  const keys: string[] = [];
  for (const r of rows) for (const [k, v] of Object.entries(r.output ?? {})) if (isScalar(v) && !keys.includes(k)) keys.push(k);
  const cell = (v: Json | undefined): string => (v === null || v === undefined ? '-' : typeof v === 'number' ? formatNumber(v) : String(v));
  const shown = keys.filter((k) => !rows.every((r) => r.output === null || cell(r.output[k]) === r.partition));
  const long = shown.filter((k) => rows.some((r) => cell(r.output?.[k]).length > LONG_TEXT));
  const columns = shown.filter((k) => !long.includes(k));
  const body = rows.map((r) => (r.output === null ? [r.partition, `(${r.state})`] : [r.partition, ...columns.map((k) => cell(r.output![k]))]));
  const lines = [table(['partition', ...columns], body)];
  for (const k of long) {
    lines.push('', `${k}:`);
    for (const r of rows) if (r.output !== null) lines.push(`  ${r.partition}  ${cell(r.output[k])}`);
  }
  return `\n${lines.join('\n')}`;
}

function isScalar(v: Json): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
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
