/**
 * The `sluice` command.
 *
 *   sluice run <file> [--param k=v ...] [--partition P] [--json] [--verbose]
 *   sluice runs [--limit N] [--json]          sluice runs show <id> [--json]
 *   sluice datasets [--json]                  sluice datasets show <name>[@version] [--json]
 *   sluice models [--json]                    sluice models show <name> [--json]
  sluice models promote <name> <version> [--alias champion] [--reason "..."]
  sluice models rollback <name> [--alias champion] [--reason "..."]
  sluice models history <name> [--alias A] [--json]
  sluice models compare <name> <v1> <v2> [--json]
  sluice serve <model> [<model> ...] [--port 8080] [--host 127.0.0.1] [--alias champion]   (the web UI under /ui)
  sluice ui [<pipeline.ts> ...] [--port 4400] [--host 127.0.0.1]
      (SLUICE_SERVE_TOKEN: bearer token, required beyond 127.0.0.1)
  sluice dev [--project FILE] [--port 4400] [--host 127.0.0.1] [--tick-ms N]   (scheduler + UI)
  sluice models export <name> [--version N | --alias A] [--format onnx] [--output file.onnx] [--json]
 *
 * Exit codes: 0 success, 1 a failed run or error, 2 bad usage, 130 cancelled.
 * Output to a closed pipe (`sluice run ... | head`) is dropped: it never stops a run or changes an exit code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type SluiceConfig } from '../core/config.ts';
import { SluiceError, errorMessage, toError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { createLogger, parseLogLevel, type Logger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { DatasetCatalog } from '../data/index.ts';
import { PipelineBuilder, resolveParams, runPipeline, type Params, type PipelineGraph } from '../orchestrator/index.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import { formatReport, type ValidationReport } from '../quality/index.ts';
import type { ArtifactStore, DatasetVersionRecord, MetadataStore, ModelVersionRecord } from '../store/types.ts';
import { cmdModelsExport, type ExportFlags } from './cmd-export.ts';
import { formatDuration, formatNumber, formatTime, stateMark, table } from './format.ts';
import { cmdGc } from './cmd-gc.ts';
import { SIGNAL_GRACE_MS, cmdRunsControl } from './cmd-runs.ts';
import { createProgressReporter } from './progress.ts';
import { cmdWorker } from './cmd-worker.ts';
import { cmdBackfill } from './cmd-backfill.ts';
import { cmdDev } from './cmd-dev.ts';
import { cmdScheduler } from './cmd-scheduler.ts';
import { cmdSchedules } from './cmd-schedules.ts';
import { cmdModelsCompare, cmdModelsHistory, cmdModelsPromote, cmdModelsRollback, historyRows, type ModelsFlags } from './cmd-models.ts';
import { cmdServe } from './cmd-serve.ts';
import { cmdUi } from './cmd-ui.ts';
import type { CliIO } from './io.ts';

export type { CliIO } from './io.ts';

let processIO: CliIO | undefined;

/** The process's own stdout and stderr, made safe against a reader that has gone away. */
function stdio(): CliIO {
  if (processIO) return processIO;
  const out = guardedWriter(process.stdout);
  const err = guardedWriter(process.stderr);
  processIO = {
    out: (t) => out(`${t}\n`),
    err: (t) => err(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
    ...(process.stderr.isTTY ? { tty: { write: err, columns: process.stderr.columns || 100 } } : {}),
  };
  return processIO;
}

/**
 * A writer for stdout or stderr. When the reader goes away (`sluice run ... | head -3` gives EPIPE) or the
 * stream fails otherwise, later output is dropped: the run goes on and records its state, and a
 * read-only command finishes quietly. Without the listener, Node turns EPIPE into an uncaught exception
 * that kills the process mid-run and leaves the run `running`.
 */
function guardedWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', () => { closed = true; });
  return (text) => {
    if (closed || stream.destroyed) return;
    try { stream.write(text); } catch { closed = true; }
  };
}

class UsageError extends SluiceError {
  constructor(message: string, hint?: string) { super(message, { code: 'USAGE', ...(hint ? { hint } : {}) }); }
}

const HELP = `sluice: batch machine learning pipelines

Usage:
  sluice run <pipeline.ts> [--param key=value ...] [--partition P] [--no-cache] [--json] [--verbose]
  sluice runs [--limit N] [--json]
  sluice runs show <run-id> [--json]
  sluice runs retry <run-id>          rerun its failed, cancelled and skipped steps, reusing what succeeded
  sluice runs cancel <run-id> [--reason text]   (from any terminal or machine)
  sluice gc [--grace 24h] [--dry-run] remove crash leftovers and unreferenced artifacts
  sluice datasets [--json]
  sluice datasets show <name>[@version] [--json]
  sluice models [--json]
  sluice models show <name> [--json]
  sluice worker [--concurrency N] [--grace S] [--project FILE]   (distributed: needs SLUICE_DATABASE_URL=postgres://...)
  sluice scheduler [--project FILE] [--once]         start the runs the project's schedules make due
  sluice schedules [--json]                          schedules, next occurrences, last run; pause|resume <pipeline>
  sluice backfill <pipeline> --from P --to P [--parallel N]   one run per partition; run again to resume
  sluice models export <name> [--version N | --alias A] [--format onnx] [--output file.onnx] [--json]
  sluice ui [<pipeline.ts> ...] [--port 4400] [--host 127.0.0.1]   the web UI (token: SLUICE_UI_TOKEN)
  sluice dev [--project FILE] [--port 4400] [--host 127.0.0.1]     the scheduler and the web UI in one process

State lives in .sluice/ (SQLite metadata, artifacts) unless SLUICE_HOME or SLUICE_DATABASE_URL say otherwise.
SLUICE_LOG_LEVEL (debug, info, warn, error, silent; default info) sets what is logged to stderr.
Exit codes: 0 success, 1 a failed run or error, 2 bad usage, 130 cancelled.`;

export async function main(argv: string[], io: CliIO = stdio()): Promise<number> {
  // Scheduling commands parse their own options (cmd-*.ts).
  const own = new Map([['scheduler', cmdScheduler], ['schedules', cmdSchedules], ['backfill', cmdBackfill], ['worker', cmdWorker], ['dev', cmdDev]]).get(argv[0] ?? '');
  if (own) return own(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        param: { type: 'string', multiple: true, short: 'p' },
        partition: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false, short: 'v' },
        limit: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        grace: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        reason: { type: 'string' },
        alias: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        version: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`sluice: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) { io.out(HELP); return command || values.help ? 0 : 2; }
  try {
    const logger = createLogger(parseLogLevel(io.env.SLUICE_LOG_LEVEL, 'info'), io.err);
    const config = loadConfig({ ...io.env, SLUICE_HOME: resolve(io.cwd, io.env.SLUICE_HOME || '.sluice') });
    const stores = { config, logger };
    switch (command) {
      case 'run': return await cmdRun(rest, values, config, io);
      case 'runs': if (rest[0] === 'retry' || rest[0] === 'cancel') return await cmdRunsControl(rest[0], rest[1], { config, logger, out: io.out, err: io.err, cwd: io.cwd, loadPipeline, json: values.json, ...(values.reason ? { reason: values.reason } : {}) });
        return await withStore(stores, (s) => (rest[0] === 'show' ? cmdRunShow(s, rest[1], values.json, io) : cmdRuns(s, values, io)));
      case 'datasets': return await withStore(stores, (s, a) => (rest[0] === 'show' ? cmdDatasetShow(s, rest[1], values.json, io) : cmdDatasets(s, a, values.json, io)));
      case 'models': return await withStore(stores, (s, a) => cmdModelsDispatch(s, a, rest, values, io));
      case 'serve': return await withStore(stores, (s, a) => cmdServe(s, a, rest, values, io, logger));
      case 'ui': return await withStore(stores, (s, a) => cmdUi(s, a, rest, values, io, { home: config.home, logger, loadPipeline }));
      case 'gc': return await cmdGc({ grace: values.grace, dryRun: values['dry-run'], json: values.json }, config, io.out);
      default: throw new UsageError(`unknown command "${command}"`, 'Run `sluice --help` for the commands.');
    }
  } catch (err) {
    reportError(err, values.verbose, io);
    return isUsageError(err) ? 2 : 1;
  }
}

function isUsageError(err: unknown): boolean {
  return err instanceof SluiceError && err.code === 'USAGE';
}

async function withStore(opts: { config: SluiceConfig; logger: Logger }, fn: (store: MetadataStore, artifacts: ArtifactStore) => Promise<number>): Promise<number> {
  const { config, logger } = opts;
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  logger.debug(`metadata store ${store.description}`);
  try {
    const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
    return await fn(store, artifacts);
  } finally { await store.close(); }
}

async function loadPipeline(file: string, cwd: string): Promise<PipelineGraph> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`pipeline file not found: ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    const hint = moduleScopeHint(path);
    throw new SluiceError(`Could not load pipeline file ${file}: ${errorMessage(err)}`, { code: 'PIPELINE_LOAD', cause: err, ...(hint ? { hint } : {}) });
  }
  // A file read as CommonJS (no "type": "module" above it) arrives as { default: module.exports }.
  const cjs = mod['default'] as Record<string, unknown> | undefined;
  const exported = mod['pipeline'] ?? (isPipelineLike(cjs) ? cjs : cjs?.['default'] ?? cjs?.['pipeline']);
  // Duck-typed rather than instanceof: the file may import its own copy of sluice.
  if (exported instanceof PipelineBuilder || (exported && typeof (exported as { build?: unknown }).build === 'function')) {
    return (exported as PipelineBuilder<Params, Record<string, unknown>>).build();
  }
  if (exported && typeof exported === 'object' && 'steps' in exported && 'order' in exported) return exported as PipelineGraph;
  throw new SluiceError(`Pipeline file ${file} does not export a pipeline`, {
    code: 'PIPELINE_LOAD', hint: "Export one as the default export: `export default pipeline('name').step(...)`.",
  });
}

function isPipelineLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (typeof (v as { build?: unknown }).build === 'function' || ('steps' in v && 'order' in v));
}

/**
 * Node reads a .ts or .js file as CommonJS unless the nearest package.json says `"type": "module"`; in
 * CommonJS, top-level await and some ESM-only imports fail. When a load fails in such a folder, this
 * says what to change.
 */
function moduleScopeHint(path: string): string | undefined {
  if (!['.ts', '.js', '.tsx', '.jsx'].includes(extname(path))) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      let type: unknown;
      try { type = (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type; } catch { return undefined; }
      if (type === 'module') return undefined;
      return `Node reads ${path} as CommonJS because ${pkg} has no "type": "module". Add "type": "module" to that package.json, or rename the file to ${extname(path) === '.ts' || extname(path) === '.tsx' ? '.mts' : '.mjs'}.`;
    }
    if (dirname(dir) === dir) {
      return `Node reads ${path} as CommonJS because no package.json above it says "type": "module". Create ${join(dirname(path), 'package.json')} with {"type": "module"}, or rename the file to ${extname(path) === '.ts' || extname(path) === '.tsx' ? '.mts' : '.mjs'}.`;
    }
  }
}

async function cmdRun(rest: string[], values: { param?: string[] | undefined; partition?: string | undefined; json?: boolean | undefined; verbose?: boolean | undefined; 'no-cache'?: boolean | undefined }, config: SluiceConfig, io: CliIO): Promise<number> {
  const file = rest[0];
  if (!file) throw new UsageError('sluice run needs a pipeline file: sluice run <pipeline.ts>');
  const given: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects key=value, got "${p}"`, 'Write it as --param name=value, e.g. --param limit=100.');
    given[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const progress = values.json ? undefined : createProgressReporter(io);
  const logger = createLogger(parseLogLevel(io.env.SLUICE_LOG_LEVEL, 'info'), progress ? progress.line : io.err);
  const graph = await loadPipeline(file, io.cwd);
  logger.debug(`pipeline "${graph.name}" from ${resolve(io.cwd, file)}: steps ${graph.order.join(', ')}`);
  // Params are checked before anything is opened or recorded: a bad one is bad usage (exit 2).
  let params: Params;
  try {
    params = resolveParams(graph, given);
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    const declared = Object.entries(graph.params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    throw new UsageError(err.message, err.hint ?? `Pipeline "${graph.name}" declares these params (with their defaults): ${declared || '(none)'}.`);
  }
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  const engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
  logger.debug(`metadata store ${store.description}, artifacts ${artifacts.description}`);
  const controller = new AbortController();
  const runId = newId('run');
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      io.err(`\n${signal}: cancelling run ${runId} (again to force)`);
      controller.abort(new Error(`received ${signal}`));
      // A step that ignores its signal does not hold the process: record the run cancelled and leave.
      setTimeout(() => void store.closeUnfinishedRuns('cancelled', `the process exited on ${signal} before its steps stopped`, [runId]).finally(() => process.exit(130)), SIGNAL_GRACE_MS).unref();
    } else {
      // Forced: record the run as cancelled synchronously enough, then leave.
      void store.closeUnfinishedRuns('cancelled', `forced exit on ${signal}`, [runId]).finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPipeline(graph, {
      store, artifacts, engine, params, runId, signal: controller.signal, logger,
      partition: values.partition ?? null, pipelineFile: resolve(io.cwd, file), noCache: values['no-cache'] === true,
      ...(progress ? { onEvent: progress.onEvent } : {}),
    });
    if (values.json) {
      io.out(JSON.stringify({ runId: result.runId, state: result.state, tasks: result.tasks, error: result.error?.message ?? null }, null, 2));
    } else {
      const summary = result.outputs['summary'] ?? result.outputs[graph.order[graph.order.length - 1]!];
      if (result.state === 'succeeded' && summary && typeof summary === 'object') printSummary(summary as Record<string, unknown>, io);
    }
    if (result.state === 'failed' && result.error) { reportError(result.error, values.verbose, io); return 1; }
    if (result.state === 'cancelled') { io.err(`run ${result.runId} was cancelled; nothing it had not finished was registered`); return 130; }
    return result.state === 'succeeded' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine.close();
    await store.close();
  }
}

function printSummary(summary: Record<string, unknown>, io: CliIO): void {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(summary)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') lines.push(`  ${k}: ${formatNumber(v)}`);
    else if (typeof v === 'string' || typeof v === 'boolean') lines.push(`  ${k}: ${v}`);
  }
  if (lines.length) io.out(`\nresult:\n${lines.join('\n')}`);
}

async function cmdRuns(store: MetadataStore, values: { json?: boolean | undefined; limit?: string | undefined }, io: CliIO): Promise<number> {
  const limit = values.limit ? Number(values.limit) : 10;
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit must be a positive integer, got "${values.limit}"`);
  const runs = await store.listRuns({ limit });
  const withTasks = await Promise.all(runs.map(async (r) => ({ run: r, tasks: await store.listTaskRuns(r.id) })));
  if (values.json) { io.out(JSON.stringify(withTasks, null, 2)); return 0; }
  if (runs.length === 0) { io.out('no runs yet: start one with `sluice run <pipeline.ts>`'); return 0; }
  const rows: string[][] = [];
  for (const { run, tasks } of withTasks) {
    const duration = run.finishedAt && run.startedAt ? run.finishedAt - run.startedAt : null;
    rows.push([run.id, run.pipeline, run.state, formatTime(run.startedAt), formatDuration(duration), run.partition ?? '']);
    for (const t of tasks) rows.push([`  ${t.step}`, '', t.state, formatTime(t.startedAt), formatDuration(t.durationMs), t.attempt > 1 ? `attempts ${t.attempt}` : '']);
  }
  io.out(table(['run / step', 'pipeline', 'state', 'started', 'duration', 'note'], rows));
  return 0;
}

async function cmdRunShow(store: MetadataStore, id: string | undefined, json: boolean | undefined, io: CliIO): Promise<number> {
  if (!id) throw new UsageError('sluice runs show needs a run id (see `sluice runs`)');
  const run = await store.getRun(id);
  if (!run) throw new SluiceError(`No run with id "${id}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
  const tasks = await store.listTaskRuns(id);
  if (json) { io.out(JSON.stringify({ run, tasks }, null, 2)); return 0; }
  const duration = run.finishedAt && run.startedAt ? run.finishedAt - run.startedAt : null;
  io.out(`run ${run.id}\n  pipeline: ${run.pipeline}\n  state: ${stateMark(run.state, false)}\n  started: ${formatTime(run.startedAt)}\n  duration: ${formatDuration(duration)}\n  params: ${JSON.stringify(run.params)}${run.partition ? `\n  partition: ${run.partition}` : ''}${run.error ? `\n  error: ${run.error}` : ''}\n`);
  io.out(table(['step', 'state', 'attempts', 'started', 'duration', 'output / error'], tasks.map((t) => [
    t.step, t.state, String(t.attempt), formatTime(t.startedAt), formatDuration(t.durationMs),
    t.error ? (t.error.split('\n')[0] ?? '') : t.output === null ? '' : JSON.stringify(t.output).slice(0, 120),
  ])));
  for (const t of tasks) {
    if (t.logs.length) io.out(`\n${t.step} log:\n${t.logs.map((l) => `  ${l}`).join('\n')}`);
  }
  return 0;
}

/**
 * `sluice datasets`: one line per dataset. `rows` is the current content: for a partitioned dataset the
 * latest live version of each partition (`catalog.current`), not only the newest version's partition.
 */
async function cmdDatasets(store: MetadataStore, artifacts: ArtifactStore, json: boolean | undefined, io: CliIO): Promise<number> {
  const datasets = await store.listDatasets();
  const catalog = new DatasetCatalog(store, artifacts);
  const rows = await Promise.all(datasets.map(async (d) => {
    const current = await catalog.current(d.dataset);
    const parts = current?.parts ?? [];
    return {
      latest: d,
      current: { rows: current?.rowCount ?? 0, partitions: parts.filter((p) => p.partition !== null).length, versions: parts.map((p) => p.version) },
    };
  }));
  if (json) { io.out(JSON.stringify(rows.map(({ latest, current }) => ({ ...latest, current })), null, 2)); return 0; }
  if (datasets.length === 0) { io.out('no datasets yet'); return 0; }
  io.out(table(['dataset', 'latest', 'rows', 'partitions', 'columns', 'created', 'run', 'step'], rows.map(({ latest: d, current }) => [
    d.dataset, `v${d.version}`, formatNumber(current.rows), current.partitions > 0 ? String(current.partitions) : '-', String(d.schema.length),
    formatTime(d.createdAt), d.runId ?? '', d.step ?? '',
  ])));
  return 0;
}

/**
 * `sluice datasets show <name>[@version]`: the version's lineage, partitions, column profile (with top
 * values and a histogram sketch), its validation report and ingest state, and the version history.
 */
async function cmdDatasetShow(store: MetadataStore, spec: string | undefined, json: boolean | undefined, io: CliIO): Promise<number> {
  if (!spec) throw new UsageError('sluice datasets show needs a dataset name (see `sluice datasets`)');
  const at = spec.lastIndexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  const wanted = at > 0 ? Number(spec.slice(at + 1)) : undefined;
  if (wanted !== undefined && !(Number.isInteger(wanted) && wanted > 0)) throw new UsageError(`expected <name>@<version>, got "${spec}"`);
  const versions = await store.listDatasetVersions(name);
  const shown = wanted === undefined ? versions[0] : versions.find((v) => v.version === wanted);
  if (!versions[0]) throw new SluiceError(`No dataset named "${name}"`, { code: 'NOT_FOUND', hint: 'List datasets with `sluice datasets`.' });
  if (!shown) throw new SluiceError(`Dataset "${name}" has no version ${wanted}`, { code: 'NOT_FOUND', hint: `\`sluice datasets show ${name}\` lists its versions.` });
  if (json) { io.out(JSON.stringify(wanted === undefined ? versions : shown, null, 2)); return 0; }
  const live = versions.filter((v) => v.expiredAt === null);
  const partitions = new Map<string, DatasetVersionRecord>();
  for (const v of live) if (v.partition !== null && !partitions.has(v.partition)) partitions.set(v.partition, v);
  io.out(`dataset ${name}: ${versions.length} version(s)${versions.length > live.length ? ` (${versions.length - live.length} expired)` : ''}; showing v${shown.version}${shown.expiredAt !== null ? ' (expired)' : ''}, ${formatNumber(shown.rowCount)} rows, hash ${shown.contentHash.slice(0, 16)}`);
  io.out(`  lineage: run ${shown.runId ?? '-'}, step ${shown.step ?? '-'}${shown.partition ? `, partition ${shown.partition}` : ''}${shown.inputs.length ? `, from ${shown.inputs.slice(0, 3).join(', ')}${shown.inputs.length > 3 ? ` (+${shown.inputs.length - 3})` : ''}` : ''}`);
  const ingestState = shown.meta['ingest'] as Record<string, unknown> | undefined;
  if (ingestState && typeof ingestState === 'object') {
    const wm = ingestState['watermarkUpTo'] ? `, watermark ${String(ingestState['watermarkColumn'])} up to ${String(ingestState['watermarkUpTo'])}` : '';
    io.out(`  ingest: ${String(ingestState['mode'])} from ${String(ingestState['source'])}, ${formatNumber(Number(ingestState['sourceRows'] ?? 0))} rows read${wm}`);
  }
  const retention = shown.meta['retention'] as Record<string, unknown> | undefined;
  if (retention && typeof retention === 'object') io.out(`  retention: ${Object.entries(retention).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  if (partitions.size > 1 || (partitions.size === 1 && live.length > 1)) {
    const parts = [...partitions.values()].sort((a, b) => (a.partition! < b.partition! ? -1 : 1));
    io.out(`  current content: ${parts.length} partition(s), ${formatNumber(parts.reduce((n, p) => n + p.rowCount, 0))} rows`);
  }
  const profile = Array.isArray(shown.profile) ? (shown.profile as Record<string, unknown>[]) : [];
  io.out(`\n${table(['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean', 'std', 'median', 'top values', 'histogram'], profile.map((p) => [
    String(p['name']), String(p['type']), `${(100 * Number(p['nullFraction'] ?? 0)).toFixed(1)}%`, formatNumber(p['distinct'] as number | null),
    String(p['min'] ?? '-').slice(0, 19), String(p['max'] ?? '-').slice(0, 19), formatNumber(p['mean'] as number | null, 3), formatNumber(p['std'] as number | null, 3),
    String(p['q50'] ?? '-').slice(0, 19), topValues(p['top']), sparkline(p['histogram']),
  ]))}`);
  const validation = shown.meta['validation'];
  if (validation && typeof validation === 'object' && !Array.isArray(validation)) io.out(`\n${formatReport(validation as unknown as ValidationReport)}`);
  if (partitions.size > 1) {
    io.out(`\n${table(['partition', 'version', 'rows', 'created', 'run'], [...partitions.values()].sort((a, b) => (a.partition! < b.partition! ? -1 : 1)).map((v) => [v.partition!, String(v.version), formatNumber(v.rowCount), formatTime(v.createdAt), v.runId ?? '']))}`);
  }
  if (versions.length > 1) {
    io.out(`\n${table(['version', 'rows', 'created', 'run', 'partition', 'state'], versions.slice(0, 30).map((v) => [
      String(v.version), formatNumber(v.rowCount), formatTime(v.createdAt), v.runId ?? '', v.partition ?? '', v.expiredAt !== null ? `expired ${formatTime(v.expiredAt)}` : 'live',
    ]))}`);
  }
  return 0;
}

function topValues(top: unknown): string {
  if (!Array.isArray(top) || top.length === 0) return '-';
  return (top as { value: string; share: number }[]).slice(0, 3).map((t) => `${String(t.value).slice(0, 12)} ${(100 * t.share).toFixed(0)}%`).join(', ');
}

/** A histogram as a row of block characters (height = share of rows in the bin). */
function sparkline(histogram: unknown): string {
  if (!Array.isArray(histogram) || histogram.length === 0) return '-';
  const shares = (histogram as { share: number }[]).map((b) => b.share);
  const max = Math.max(...shares);
  const blocks = ' ▁▂▃▄▅▆▇█';
  return shares.map((x) => (max > 0 ? blocks[Math.min(8, Math.ceil((8 * x) / max))] : ' ')).join('');
}

async function cmdModelsDispatch(store: MetadataStore, artifacts: ArtifactStore, rest: string[], values: ModelsFlags & ExportFlags, io: CliIO): Promise<number> {
  const [sub, ...args] = rest;
  switch (sub) {
    case undefined: return cmdModels(store, values.json, io);
    case 'show': return cmdModelShow(store, args[0], values.json, io);
    case 'promote': return cmdModelsPromote(store, artifacts, args, values, io);
    case 'rollback': return cmdModelsRollback(store, artifacts, args, values, io);
    case 'history': return cmdModelsHistory(store, args, values, io);
    case 'compare': return cmdModelsCompare(store, args, values, io);
    case 'export': return cmdModelsExport(store, artifacts, args, values, io);
    default: throw new UsageError(`unknown models command "${sub}"`, 'One of: sluice models [show|promote|rollback|history|compare|export].');
  }
}

/** `sluice models`: one line per model with its latest version, how many versions it has, and its aliases. */
async function cmdModels(store: MetadataStore, json: boolean | undefined, io: CliIO): Promise<number> {
  const models = await store.listModels();
  const rows = await Promise.all(models.map(async (m) => ({
    model: m, versions: (await store.listModelVersions(m.model)).length, aliases: await store.getModelAliases(m.model),
  })));
  if (json) { io.out(JSON.stringify(rows, null, 2)); return 0; }
  if (rows.length === 0) { io.out('no models yet'); return 0; }
  io.out(table(['model', 'latest', 'versions', 'aliases', 'metrics (latest)', 'created', 'run'], rows.map(({ model, versions, aliases }) => [
    model.model, `v${model.version}`, String(versions), formatAliases(aliases),
    formatMetrics(model.metrics), formatTime(model.createdAt), model.runId ?? '',
  ])));
  io.out('\n`sluice models show <name>` lists every version with its metrics, aliases and lineage.');
  return 0;
}

/** `sluice models show <name>`: every version, newest first, with metrics, aliases, params and lineage. */
async function cmdModelShow(store: MetadataStore, name: string | undefined, json: boolean | undefined, io: CliIO): Promise<number> {
  if (!name) throw new UsageError('sluice models show needs a model name', 'List the models with `sluice models`.');
  const versions = await store.listModelVersions(name);
  if (versions.length === 0) {
    const known = (await store.listModels()).map((m) => m.model);
    throw new SluiceError(`No model named "${name}"`, {
      code: 'NOT_FOUND',
      hint: known.length ? `Known models: ${known.join(', ')}.` : 'No models are registered yet: a step registers one with ctx.models.register.',
    });
  }
  const aliases = await store.getModelAliases(name);
  const aliasesOf = (v: number): string[] => Object.entries(aliases).filter(([, n]) => n === v).map(([a]) => a);
  const datasetNames = new Map<string, string>();
  for (const id of new Set(versions.flatMap((v) => v.inputs))) {
    const d = await store.getDatasetVersionById(id);
    datasetNames.set(id, d ? `${d.dataset}@${d.version}${d.partition ? ` (${d.partition})` : ''}` : id);
  }
  const lineage = (v: ModelVersionRecord): string[] => v.inputs.map((id) => datasetNames.get(id) ?? id);
  if (json) {
    io.out(JSON.stringify({ model: name, aliases, versions: versions.map((v) => ({ ...v, aliases: aliasesOf(v.version), trainedOn: lineage(v) })) }, null, 2));
    return 0;
  }
  io.out(`model ${name}: ${versions.length} version(s)${Object.keys(aliases).length ? `; aliases ${formatAliases(aliases)}` : ''}`);
  for (const v of versions) {
    const a = aliasesOf(v.version);
    io.out(`\nv${v.version}${a.length ? ` (${a.join(', ')})` : ''}  created ${formatTime(v.createdAt)}${v.runId ? `  run ${v.runId}` : ''}${v.step ? `  step ${v.step}` : ''}`);
    io.out(`  metrics: ${formatMetrics(v.metrics) || '-'}`);
    if (Object.keys(v.params).length) io.out(`  params: ${JSON.stringify(v.params)}`);
    io.out(`  trained on: ${lineage(v).join(', ') || '-'}`);
    io.out(`  artifact: ${v.artifact}`);
  }
  const history = await store.listAliasHistory(name);
  if (history.length > 0) {
    io.out('\nalias history (oldest first):');
    io.out(table(['when', 'alias', 'move', 'by', 'why'], historyRows(history)));
  }
  return 0;
}

function formatAliases(aliases: Record<string, number>): string {
  return Object.entries(aliases).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([a, v]) => `${a}=v${v}`).join(', ');
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ');
}

/** One paragraph: what failed and where, and the way out; the stack only with --verbose. */
function reportError(err: unknown, verbose: boolean | undefined, io: CliIO): void {
  const e = toError(err);
  let text = `error: ${errorMessage(err)}`;
  if (e instanceof SluiceError && e.hint) text += `\n  hint: ${e.hint}`;
  else if (e.cause instanceof SluiceError && e.cause.hint) text += `\n  hint: ${e.cause.hint}`;
  if (isUsageError(e)) {
    text += '\n  (`sluice --help` shows the usage)';
  } else if (verbose) {
    text += `\n\n${e.stack ?? ''}`;
    let cause = e.cause;
    while (cause !== undefined && cause !== null) {
      const described = cause instanceof Error ? (cause.stack ?? cause.message) : errorMessage(cause);
      if (!text.includes(described)) text += `\ncaused by: ${described}`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  } else {
    text += '\n  (run with --verbose for the stack)';
  }
  io.err(text);
}
