/**
 * The `sluice` command.
 *
 *   sluice run <file> [--param k=v ...] [--partition P] [--json] [--verbose]
 *   sluice runs [--limit N] [--json]          sluice runs show <id> [--json]
 *   sluice datasets [--json]                  sluice datasets show <name>[@version] [--json]
 *   sluice models [--json]
  sluice models export <name> [--version N | --alias A] [--format onnx] [--output file.onnx] [--json]
 *   sluice models export <name> [--version N | --alias A] [--format onnx] [--output file.onnx]
 *
 * Exit codes: 0 success, 1 a failed run or error, 2 bad usage, 130 cancelled.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type SluiceConfig } from '../core/config.ts';
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { openEngine } from '../engine/index.ts';
import { PipelineBuilder, runPipeline, type Params, type PipelineGraph } from '../orchestrator/index.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import { formatReport, type ValidationReport } from '../quality/index.ts';
import type { DatasetVersionRecord, MetadataStore } from '../store/types.ts';
import { cmdModelsExport } from './cmd-export.ts';
import { formatDuration, formatNumber, formatTime, stateMark, table } from './format.ts';
import { createProgressReporter } from './progress.ts';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
  cwd: process.cwd(),
};

class UsageError extends SluiceError {
  constructor(message: string) { super(message, { code: 'USAGE' }); }
}

const HELP = `sluice: batch machine learning pipelines

Usage:
  sluice run <pipeline.ts> [--param key=value ...] [--partition P] [--json] [--verbose]
  sluice runs [--limit N] [--json]
  sluice runs show <run-id> [--json]
  sluice datasets [--json]
  sluice datasets show <name>[@version] [--json]
  sluice models [--json]

State lives in .sluice/ (SQLite metadata, artifacts) unless SLUICE_HOME or SLUICE_DATABASE_URL say otherwise.`;

export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
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
        version: { type: 'string' },
        alias: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`sluice: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) { io.out(HELP); return command || values.help ? 0 : 2; }
  const config = loadConfig({ ...io.env, SLUICE_HOME: resolve(io.cwd, io.env.SLUICE_HOME || '.sluice') });
  try {
    switch (command) {
      case 'run': return await cmdRun(rest, values, config, io);
      case 'runs': return await withStore(config, (s) => (rest[0] === 'show' ? cmdRunShow(s, rest[1], values.json, io) : cmdRuns(s, values, io)));
      case 'datasets': return await withStore(config, (s) => (rest[0] === 'show' ? cmdDatasetShow(s, rest[1], values.json, io) : cmdDatasets(s, values.json, io)));
      case 'models': return await withStore(config, async (s) => (rest[0] === 'export' ? cmdModelsExport(s, await openArtifactStore({ home: config.home, root: config.artifactRoot }), rest.slice(1), values, io) : cmdModels(s, values.json, io)));
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    reportError(err, values.verbose, io);
    return err instanceof UsageError || (err instanceof SluiceError && err.code === 'USAGE') ? 2 : 1;
  }
}

async function withStore(config: SluiceConfig, fn: (store: MetadataStore) => Promise<number>): Promise<number> {
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  try { return await fn(store); } finally { await store.close(); }
}

async function loadPipeline(file: string, cwd: string): Promise<PipelineGraph> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`pipeline file not found: ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError(`Could not load pipeline file ${file}: ${err instanceof Error ? err.message : String(err)}`, { code: 'PIPELINE_LOAD', cause: err });
  }
  const exported = mod['default'] ?? mod['pipeline'];
  // Duck-typed rather than instanceof: the file may import its own copy of sluice.
  if (exported instanceof PipelineBuilder || (exported && typeof (exported as { build?: unknown }).build === 'function')) {
    return (exported as PipelineBuilder<Params, Record<string, unknown>>).build();
  }
  if (exported && typeof exported === 'object' && 'steps' in exported && 'order' in exported) return exported as PipelineGraph;
  throw new SluiceError(`Pipeline file ${file} does not export a pipeline`, {
    code: 'PIPELINE_LOAD', hint: "Export one as the default export: `export default pipeline('name').step(...)`.",
  });
}

async function cmdRun(rest: string[], values: { param?: string[] | undefined; partition?: string | undefined; json?: boolean | undefined; verbose?: boolean | undefined }, config: SluiceConfig, io: CliIO): Promise<number> {
  const file = rest[0];
  if (!file) throw new UsageError('sluice run needs a pipeline file: sluice run <pipeline.ts>');
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects key=value, got "${p}"`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const graph = await loadPipeline(file, io.cwd);
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  const engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
  const controller = new AbortController();
  const runId = newId('run');
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      io.err(`\n${signal}: cancelling run ${runId} (again to force)`);
      controller.abort(new Error(`received ${signal}`));
    } else {
      // Forced: record the run as cancelled synchronously enough, then leave.
      void store.closeUnfinishedRuns('cancelled', `forced exit on ${signal}`, [runId]).finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const reporter = values.json ? undefined : createProgressReporter();
    const result = await runPipeline(graph, {
      store, artifacts, engine, params, runId, signal: controller.signal,
      partition: values.partition ?? null,
      ...(reporter ? { onEvent: reporter } : {}),
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

async function cmdDatasets(store: MetadataStore, json: boolean | undefined, io: CliIO): Promise<number> {
  const datasets = await store.listDatasets();
  if (json) { io.out(JSON.stringify(datasets, null, 2)); return 0; }
  if (datasets.length === 0) { io.out('no datasets yet'); return 0; }
  io.out(table(['dataset', 'version', 'rows', 'columns', 'created', 'run', 'step'], datasets.map((d) => [
    d.dataset, String(d.version), formatNumber(d.rowCount), String(d.schema.length), formatTime(d.createdAt), d.runId ?? '', d.step ?? '',
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

async function cmdModels(store: MetadataStore, json: boolean | undefined, io: CliIO): Promise<number> {
  const models = await store.listModels();
  const rows = await Promise.all(models.map(async (m) => ({ model: m, aliases: await store.getModelAliases(m.model) })));
  if (json) { io.out(JSON.stringify(rows, null, 2)); return 0; }
  if (rows.length === 0) { io.out('no models yet'); return 0; }
  io.out(table(['model', 'version', 'aliases', 'metrics', 'created', 'run'], rows.map(({ model, aliases }) => [
    model.model, String(model.version),
    Object.entries(aliases).map(([a, v]) => `${a}=v${v}`).join(', '),
    Object.entries(model.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' '),
    formatTime(model.createdAt), model.runId ?? '',
  ])));
  return 0;
}

/** One paragraph: what failed and where, and the way out; the stack only with --verbose. */
function reportError(err: unknown, verbose: boolean | undefined, io: CliIO): void {
  const e = err instanceof Error ? err : new Error(String(err));
  let text = `error: ${e.message}`;
  if (e instanceof SluiceError && e.hint) text += `\n  hint: ${e.hint}`;
  else if (e.cause instanceof SluiceError && e.cause.hint) text += `\n  hint: ${e.cause.hint}`;
  if (verbose) {
    text += `\n\n${e.stack ?? ''}`;
    let cause = e.cause;
    while (cause instanceof Error) { text += `\ncaused by: ${cause.stack ?? cause.message}`; cause = cause.cause; }
  } else {
    text += '\n  (run with --verbose for the stack)';
  }
  io.err(text);
}
