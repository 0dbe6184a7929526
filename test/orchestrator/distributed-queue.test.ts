// The graphile-worker transport on a real PostgreSQL: jobs commit with the caller's transaction, and a
// SIGKILLed worker's job is released by its stale heartbeat and runs in another process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { QueueAdmin, enqueueJobs, migrateQueue } from '../../src/store/queue/graphile.ts';
import { postgresBackend } from '../helpers/databases.ts';

const root = new URL('../..', import.meta.url).pathname;

/** A transaction on one pg client, committed when fn resolves and rolled back when it throws. */
async function inTransaction(pool: pg.Pool, fn: (tx: { execute(text: string, params?: readonly unknown[]): Promise<unknown> }) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    try {
      await fn({ execute: (text, params) => client.query(text, params as unknown[]) });
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  } finally {
    client.release();
  }
}

interface Child { proc: ChildProcess; events: Record<string, unknown>[]; waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>> }

function startWorker(url: string, mode: 'hang' | 'complete'): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/orchestrator/fixtures/queue-worker.ts'], {
    cwd: root,
    env: { ...process.env, QUEUE_URL: url, QUEUE_MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (pred: (e: Record<string, unknown>) => boolean, timeoutMs = 20_000) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; events so far: ${JSON.stringify(events)}`)), timeoutMs);
    const check = () => {
      const hit = events.find(pred);
      if (hit) { clearTimeout(timer); resolve(hit); } else waiters.push(check);
    };
    check();
  });
  return { proc, events, waitFor };
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

describe('graphile-worker transport on PostgreSQL', { skip: postgresBackend.skip }, () => {
  test('workers starting at the same moment all install the queue schema without an error', async () => {
    for (let round = 0; round < 6; round++) {
      const db = await postgresBackend.fresh();
      try {
        await Promise.all(Array.from({ length: 10 }, () => migrateQueue(db.url)));
      } finally {
        await db.dispose();
      }
    }
  });

  test('a job exists iff the transaction that enqueued it commits; one attempt is one job', async () => {
    const db = await postgresBackend.fresh();
    const pool = new pg.Pool({ connectionString: db.url });
    const admin = await (async () => { await migrateQueue(db.url); return QueueAdmin.open(db.url); })();
    try {
      await assert.rejects(inTransaction(pool, async (tx) => {
        await enqueueJobs(tx, [{ taskRunId: 't1', runId: 'r1', attempt: 1 }, { taskRunId: 't2', runId: 'r1', attempt: 1 }]);
        assert.equal((await admin.jobs()).length, 0, 'not visible before commit');
        throw new Error('roll back');
      }), /roll back/);
      assert.deepEqual(await admin.jobs(), [], 'rolled back: no job');

      await inTransaction(pool, (tx) => enqueueJobs(tx, [{ taskRunId: 't1', runId: 'r1', attempt: 1 }, { taskRunId: 't2', runId: 'r1', attempt: 1, runAt: Date.now() + 60_000 }]));
      await inTransaction(pool, (tx) => enqueueJobs(tx, [{ taskRunId: 't1', runId: 'r1', attempt: 1 }]));
      const jobs = await admin.jobs();
      assert.deepEqual(jobs.map((j) => j.key).sort(), ['sluice:t1:1', 'sluice:t2:1'], 'the same attempt enqueued twice is one job');
      const later = jobs.find((j) => j.key === 'sluice:t2:1')!.runAt;
      assert.ok(later > Date.now() + 50_000, 'runAt (retry backoff) becomes the job\'s run_at');
      await inTransaction(pool, (tx) => enqueueJobs(tx, [{ taskRunId: 't1', runId: 'r1', attempt: 2 }]));
      assert.equal((await admin.jobs()).length, 3, 'a new attempt is a new job');
    } finally {
      await admin.close();
      await pool.end();
      await db.dispose();
    }
  });

  test('SIGKILL a worker holding a job: its stale pool is force-unlocked and another process runs the job', async () => {
    const db = await postgresBackend.fresh();
    await migrateQueue(db.url);
    const admin = await QueueAdmin.open(db.url);
    const pool = new pg.Pool({ connectionString: db.url });
    const first = startWorker(db.url, 'hang');
    let second: Child | undefined;
    try {
      const ready = await first.waitFor((e) => e.event === 'ready');
      await inTransaction(pool, (tx) => enqueueJobs(tx, [{ taskRunId: 'held', runId: 'r', attempt: 1 }]));
      const started = await first.waitFor((e) => e.event === 'start');
      assert.equal(started.poolId, ready.poolId, 'the job is locked by the pool that registered');
      first.proc.kill('SIGKILL');
      await exited(first.proc);

      second = startWorker(db.url, 'complete');
      await second.waitFor((e) => e.event === 'ready');
      // The dead pool still holds the lock: graphile-worker alone would wait 4 hours.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(second.events.filter((e) => e.event === 'start').length, 0, 'a locked job is not handed out again');
      assert.equal((await admin.jobs())[0]?.lockedBy, ready.poolId);
      // The live pool heartbeats every 200 ms; only the dead one is stale.
      const released = await admin.releaseDeadPools(1000);
      assert.deepEqual(released, [ready.poolId]);
      const rerun = await second.waitFor((e) => e.event === 'done' && e.taskRunId === 'held', 10_000);
      assert.equal(rerun.pid, second.proc.pid);
      const delivered = second.events.find((e) => e.event === 'start')!;
      assert.equal(delivered.deliveries, 2, 'graphile-worker counts the second delivery');
      for (let i = 0; i < 50 && (await admin.jobs()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await admin.jobs(), [], 'the completed job left the queue');
      assert.deepEqual(await admin.releaseDeadPools(1000), [], 'nothing left to release');

      second.proc.kill('SIGTERM');
      await second.waitFor((e) => e.event === 'stopped');
    } finally {
      first.proc.kill('SIGKILL');
      second?.proc.kill('SIGKILL');
      await Promise.all([exited(first.proc), second ? exited(second.proc) : undefined]);
      await admin.close();
      await pool.end();
      await db.dispose();
    }
  });
});
