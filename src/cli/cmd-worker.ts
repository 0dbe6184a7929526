/**
 * `sluice worker [--concurrency N] [--project FILE] [--grace SECONDS]`: a process of the distributed
 * executor. Start any number, on any machines that see the same PostgreSQL (SLUICE_DATABASE_URL) and
 * the same artifact folder (SLUICE_ARTIFACTS), with the project's code at hand.
 *
 * SIGTERM or Ctrl-C: stop taking tasks, let running steps finish for the grace period (default 5 s),
 * then cancel them and hand their tasks back to the queue; a second signal exits at once (the reaper of
 * the other workers then recovers the tasks).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SluiceConfig } from '../core/config.ts';
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { createLogger } from '../core/log.ts';
import { openEngine } from '../engine/index.ts';
import { createWorkerAttemptRunner, startWorker } from '../orchestrator/worker.ts';
import { requirePostgres } from '../orchestrator/distributed.ts';
import { GraphileTransport } from '../orchestrator/distributed-transport.ts';
import { DEFAULT_LEASE_MS } from '../orchestrator/executor-types.ts';
import { openArtifactStore, openMetadataStore } from '../store/index.ts';
import { configFor, reportCommandError, type CliIO } from './cmd-orchestration.ts';


export const WORKER_HELP = `sluice worker [--concurrency N] [--project sluice.config.ts] [--grace SECONDS]

Runs tasks of distributed runs. Needs SLUICE_DATABASE_URL=postgres://... (the metadata database, which
also holds the queue) and, with workers on several machines, SLUICE_ARTIFACTS pointing at a folder all
of them see (a shared mount). Each worker loads a run's pipeline from the file the run records, or by
name from the project file (--project, SLUICE_PROJECT, or sluice.config.ts found upward).

  --concurrency N   steps run at once in this process (default 1)
  --grace S         on SIGTERM, how long running steps may finish before they are cancelled and handed back (default 5)
  --project FILE    the project file listing the pipelines

SLUICE_LEASE_MS (default 15000): a task's lease; a worker that stops heartbeating for this long is
presumed dead and its tasks run again elsewhere.`;

class WorkerUsageError extends SluiceError {
  constructor(message: string) { super(message, { code: 'USAGE', hint: WORKER_HELP }); }
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new WorkerUsageError(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs the worker until a signal stops it. Returns the exit code. */
export async function cmdWorker(args: string[], io: CliIO): Promise<number> {
  try {
    return await runWorker(args, configFor(io), io);
  } catch (err) {
    return reportCommandError(err, io);
  }
}

async function runWorker(args: string[], config: SluiceConfig, io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        concurrency: { type: 'string', short: 'c' },
        grace: { type: 'string' },
        project: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new WorkerUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) { io.out(WORKER_HELP); return 0; }
  const concurrency = positiveInt(values.concurrency, '--concurrency', 1);
  const graceSeconds = values.grace === undefined ? 5 : Number(values.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new WorkerUsageError(`--grace must be a number of seconds >= 0, got "${values.grace}"`);
  const url = config.databaseUrl;
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) {
    throw new SluiceError('sluice worker needs a PostgreSQL metadata database', {
      code: 'CONFIG',
      hint: 'Set SLUICE_DATABASE_URL=postgres://user:password@host:5432/db here and for the process that submits runs (scheduler, backfill, run).',
    });
  }
  const log = createLogger((io.env.SLUICE_LOG_LEVEL as Parameters<typeof createLogger>[0]) ?? 'info', (line) => io.err(line));
  if (!io.env.SLUICE_ARTIFACTS) {
    log.warn(`artifacts go to ${config.artifactRoot}, on this machine only: with workers on several machines, set SLUICE_ARTIFACTS to a folder they all see`);
  }

  const store = await openMetadataStore({ url });
  let engine;
  try {
    requirePostgres(store);
    engine = await openEngine({ tempDirectory: resolve(config.home, 'duckdb-tmp') });
  } catch (err) {
    await store.close();
    throw err;
  }
  const artifacts = await openArtifactStore({ home: config.home, root: config.artifactRoot });
  const transport = new GraphileTransport();
  const workerId = newId('worker');
  const leaseMs = positiveInt(io.env.SLUICE_LEASE_MS, 'SLUICE_LEASE_MS', DEFAULT_LEASE_MS);
  const runner = createWorkerAttemptRunner({
    store, artifacts, engine, transport, workerId, leaseMs, logger: log, cwd: io.cwd, ...(values.project ? { project: values.project } : {}), env: io.env,
  });
  const worker = await startWorker({ store, url, runner, concurrency, log, workerId, leaseMs });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log.info(`${signal}: worker ${worker.id} stopping (running steps get ${graceSeconds} s, then are handed back; again to exit now)`);
      void worker.stop({ graceMs: graceSeconds * 1000 });
    } else {
      log.warn(`${signal}: exiting now; the other workers recover this worker's tasks when its lease expires`);
      process.exit(130);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await worker.done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await engine.close().catch(() => {});
    await store.close().catch(() => {});
  }
  return 0;
}
