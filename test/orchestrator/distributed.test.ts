// The distributed executor with real `sluice worker` processes on a real PostgreSQL: a worker SIGKILLed
// mid-step, PostgreSQL stopped mid-run, a partitioned pipeline shared by two workers, SIGTERM.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedExecutor } from '../../src/orchestrator/distributed.ts';
import { openMetadataStore } from '../../src/store/index.ts';
import type { MetadataStore, TaskRunRecord } from '../../src/store/types.ts';
import { postgresBackend } from '../helpers/databases.ts';
import { startPrivatePostgres } from '../helpers/embedded-postgres.ts';
import { startProcess, type Proc } from '../helpers/processes.ts';
import { chainPipeline, killNoRetryPipeline, killPipeline, monthsPipeline } from './fixtures/dist-project.ts';

const root = new URL('../..', import.meta.url).pathname;
const PROJECT = join(root, 'test/orchestrator/fixtures/dist-project.ts');
const LEASE_MS = 2000;

interface Cluster {
  url: string;
  dir: string;
  store: MetadataStore;
  executor: DistributedExecutor;
  workers: Proc[];
  startWorker(extra?: string[]): Promise<Proc>;
  close(): Promise<void>;
}

/** A database, a shared artifact folder, a test-owned executor; workers started on demand. */
async function cluster(url: string, disposeDb: () => Promise<void>): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dist-'));
  const store = await openMetadataStore({ url });
  const executor = await DistributedExecutor.open({ store, url });
  const workers: Proc[] = [];
  const env = {
    ...process.env,
    SLUICE_DATABASE_URL: url,
    SLUICE_HOME: join(dir, 'home'),
    SLUICE_ARTIFACTS: join(dir, 'artifacts'),
    SLUICE_LEASE_MS: String(LEASE_MS),
    SLUICE_LOG_LEVEL: 'info',
    DIST_TEST_DIR: dir,
  };
  return {
    url, dir, store, executor, workers,
    async startWorker(extra = []) {
      const w = startProcess(['bin/sluice.js', 'worker', '--project', PROJECT, ...extra], { cwd: root, env });
      workers.push(w);
      await w.waitFor(/taking tasks/);
      return w;
    },
    async close() {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited()));
      await executor.close();
      await store.close();
      await disposeDb();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const taskOf = (tasks: TaskRunRecord[], step: string) => tasks.find((t) => t.step === step)!;

describe('distributed executor with sluice worker processes', { skip: postgresBackend.skip }, () => {
  test('SIGKILL a worker in the middle of a step: the task runs again on another worker, its outputs are registered once, the run succeeds', async () => {
    const db = await postgresBackend.fresh();
    const c = await cluster(db.url, db.dispose);
    try {
      const first = await c.startWorker();
      const run = await c.executor.submit(killPipeline.build(), { pipelineFile: PROJECT });
      const mark = join(c.dir, 'write.started');
      await until('the step to start', async () => existsSync(mark));
      assert.equal(readFileSync(mark, 'utf8'), String(first.pid), 'the first worker runs the step');
      const second = await c.startWorker();
      first.kill('SIGKILL');
      await first.exited();

      const done = await c.executor.wait(run.id, { timeoutMs: 60_000 });
      assert.equal(done.state, 'succeeded', `run ${done.state}: ${done.error}\n${second.output()}`);
      const tasks = await c.store.listTaskRuns(run.id);
      const write = taskOf(tasks, 'write');
      assert.equal(write.state, 'succeeded');
      assert.equal(write.attempt, 2, 'the killed attempt was ended and a second one ran');
      assert.match(second.output(), /re-queued|freed the queue jobs/, 'the second worker recovered the task');
      const versions = await c.store.listDatasetVersions('dist_kill_out');
      assert.equal(versions.length, 1, 'registered exactly once');
      assert.deepEqual(taskOf(tasks, 'count').output, { rows: 100, version: versions[0]!.version });
      assert.ok(!tasks.some((t) => t.state === 'running' || t.state === 'queued'));
    } finally {
      await c.close();
    }
  });

  test('SIGKILL the worker of a step with no retries: its attempt runs again elsewhere without spending a retry, the run succeeds', async () => {
    const db = await postgresBackend.fresh();
    const c = await cluster(db.url, db.dispose);
    try {
      const first = await c.startWorker();
      const run = await c.executor.submit(killNoRetryPipeline.build(), { pipelineFile: PROJECT });
      await until('the step to start', async () => existsSync(join(c.dir, 'write.started')));
      const second = await c.startWorker();
      first.kill('SIGKILL');
      await first.exited();

      const done = await c.executor.wait(run.id, { timeoutMs: 60_000 });
      assert.equal(done.state, 'succeeded', `run ${done.state}: ${done.error}\n${second.output()}`);
      const write = taskOf(await c.store.listTaskRuns(run.id), 'write');
      assert.equal(write.attempt, 2, 'the killed attempt was ended and a second one ran');
      assert.equal(write.maxAttempts, 2, 'the lost lease added an attempt instead of using up a retry (it had none)');
      assert.equal(write.leaseLosses, 1);
      assert.equal((await c.store.listDatasetVersions('dist_kill_out')).length, 1, 'registered exactly once');
    } finally {
      await c.close();
    }
  });

  test('PostgreSQL stopped in the middle of a run and started again: the run completes, nothing stays running', async () => {
    const server = await startPrivatePostgres();
    const c = await cluster(server.url, () => server.dispose());
    try {
      await c.startWorker();
      await c.startWorker();
      const run = await c.executor.submit(chainPipeline.build() as never, { pipelineFile: PROJECT });
      await until('the second step to start', async () => existsSync(join(c.dir, 's1.started')));
      await server.stop();
      await new Promise((r) => setTimeout(r, 3000));
      await server.start();

      const done = await until('the run to finish', async () => {
        const r = await c.store.getRun(run.id);
        return r && (r.state === 'succeeded' || r.state === 'failed' || r.state === 'cancelled') ? r : undefined;
      }, 90_000);
      const tasks = await c.store.listTaskRuns(run.id);
      assert.ok(!tasks.some((t) => t.state === 'running' || t.state === 'queued' || t.state === 'pending'), JSON.stringify(tasks.map((t) => [t.step, t.state])));
      assert.equal(done.state, 'succeeded', `${done.error}\n${c.workers.map((w) => w.output()).join('\n----\n')}`);
      for (let i = 0; i < 6; i++) assert.equal((await c.store.listDatasetVersions(`dist_chain_${i}`)).length, 1, `dist_chain_${i} registered once`);
    } finally {
      await c.close();
    }
  });

  test('two workers share the runs of two monthly partitions; each partition registered once', async () => {
    const db = await postgresBackend.fresh();
    const c = await cluster(db.url, db.dispose);
    try {
      const a = await c.startWorker();
      const b = await c.startWorker();
      const graph = monthsPipeline.build();
      const runs = await Promise.all(['2001-01', '2001-02'].map((month) => c.executor.submit(graph, { pipelineFile: PROJECT, partition: month, key: `test:${month}`, trigger: 'backfill' })));
      const again = await c.executor.submit(graph, { pipelineFile: PROJECT, partition: '2001-01', key: 'test:2001-01', trigger: 'backfill' });
      assert.equal(again.id, runs[0]!.id, 'a second submit with the same key is the same run');
      const owners = new Set<string>();
      for (const [i, run] of runs.entries()) {
        const done = await c.executor.wait(run.id, { timeoutMs: 60_000 });
        assert.equal(done.state, 'succeeded', `${done.error}`);
        const tasks = await c.store.listTaskRuns(run.id);
        assert.deepEqual(taskOf(tasks, 'report').output, { month: ['2001-01', '2001-02'][i], sum: 2997, n: 1000 });
        for (const t of tasks) if (t.leaseOwner) owners.add(t.leaseOwner);
      }
      assert.equal(owners.size, 2, 'both workers ran steps');
      const versions = await c.store.listDatasetVersions('dist_months_raw');
      assert.deepEqual(versions.map((v) => v.partition).sort(), ['2001-01', '2001-02']);
      for (const w of [a, b]) w.kill('SIGTERM');
      assert.deepEqual(await Promise.all([a.exited(), b.exited()]), [0, 0], 'idle workers exit 0 on SIGTERM');
      const workers = await c.store.listWorkers();
      assert.equal(workers.filter((w) => w.stoppedAt !== null).length, 2, 'both marked stopped');
    } finally {
      await c.close();
    }
  });

  test('SIGTERM mid-step: the worker hands the task back within seconds and another worker finishes the run', async () => {
    const db = await postgresBackend.fresh();
    const c = await cluster(db.url, db.dispose);
    try {
      const first = await c.startWorker(['--grace', '1']);
      const run = await c.executor.submit(killPipeline.build(), { pipelineFile: PROJECT });
      await until('the step to start', async () => existsSync(join(c.dir, 'write.started')));
      const second = await c.startWorker();
      const t0 = Date.now();
      first.kill('SIGTERM');
      assert.equal(await first.exited(), 0);
      const stopMs = Date.now() - t0;
      assert.ok(stopMs < 10_000, `stopped in ${stopMs} ms`);
      const done = await c.executor.wait(run.id, { timeoutMs: 30_000 });
      assert.equal(done.state, 'succeeded', `${done.error}\n${second.output()}`);
      const write = taskOf(await c.store.listTaskRuns(run.id), 'write');
      assert.equal(write.attempt, 2);
      assert.equal(write.maxAttempts, 4, 'handing back does not use up a retry');
      assert.equal((await c.store.listDatasetVersions('dist_kill_out')).length, 1);
    } finally {
      await c.close();
    }
  });
});
