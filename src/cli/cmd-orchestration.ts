/**
 * What the scheduling commands (`scheduler`, `backfill`, `schedules`) share: their own argument
 * parsing (so main.ts only dispatches), opening the stores and the executor, and error output.
 */
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type SluiceConfig } from '../core/config.ts';
import { SluiceError, errorMessage } from '../core/errors.ts';
import { openEngine, type Engine } from '../engine/index.ts';
import { localExecutor } from '../orchestrator/local.ts';
import { DistributedExecutor } from '../orchestrator/distributed.ts';
import { resolveRunGraph } from '../orchestrator/project.ts';
import type { Executor } from '../orchestrator/executor-types.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import type { MetadataStore } from '../store/types.ts';

/** What the commands need of the CLI's IO (main.ts's CliIO has these). */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export class CommandUsageError extends SluiceError {
  constructor(message: string, hint?: string) { super(message, { code: 'USAGE', ...(hint ? { hint } : {}) }); }
}

/** Values as parseArgs types them: strings, booleans, or arrays of them with `multiple`. */
export type ParsedValues<T> = { [K in keyof T]?: T[K] extends { multiple: true } ? (T[K] extends { type: 'string' } ? string[] : boolean[]) : T[K] extends { type: 'string' } ? string : boolean };

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string): { values: ParsedValues<T>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as ParsedValues<T>, positionals: r.positionals };
  } catch (err) {
    throw new CommandUsageError(errorMessage(err), usage);
  }
}

export function configFor(io: CliIO): SluiceConfig {
  return loadConfig({ ...io.env, SLUICE_HOME: resolve(io.cwd, io.env['SLUICE_HOME'] || '.sluice') });
}

export async function withStore<T>(config: SluiceConfig, fn: (store: MetadataStore) => Promise<T>): Promise<T> {
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  try { return await fn(store); } finally { await store.close(); }
}

export interface Orchestration {
  store: MetadataStore;
  engine: Engine;
  executor: Executor;
  close(): Promise<void>;
}

/** The store, a DuckDB engine and the executor runs are started through: the local executor (runs in this process, durable in the store). */
export async function openOrchestration(config: SluiceConfig): Promise<Orchestration> {
  const store = await openMetadataStore({ home: config.home, ...(config.databaseUrl ? { url: config.databaseUrl } : {}) });
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  const engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
  // SLUICE_EXECUTOR=distributed (PostgreSQL): runs go to the queue and `sluice worker` processes run them.
  const executor = process.env['SLUICE_EXECUTOR'] === 'distributed' && config.databaseUrl
    ? await DistributedExecutor.open({ store, url: config.databaseUrl })
    : localExecutor({ store, artifacts, engine, resolveGraph: (run) => resolveRunGraph(run.pipeline, run.pipelineFile) });
  return {
    store, engine, executor,
    async close() { await executor.close(); await engine.close(); await store.close(); },
  };
}

/** Prints an error with its hint; returns the exit code (2 for usage errors, 1 otherwise). */
export function reportCommandError(err: unknown, io: CliIO, verbose = false): number {
  const e = err instanceof Error ? err : new Error(String(err));
  let text = `error: ${e.message}`;
  if (e instanceof SluiceError && e.hint) text += `\n  hint: ${e.hint}`;
  if (verbose && e.stack) text += `\n\n${e.stack}`;
  io.err(text);
  return e instanceof SluiceError && e.code === 'USAGE' ? 2 : 1;
}

/** `--param k=v` pairs. */
export function paramsOf(pairs: readonly string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CommandUsageError(`--param expects key=value, got "${p}"`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return params;
}
