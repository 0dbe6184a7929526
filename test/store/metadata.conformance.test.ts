/**
 * The MetadataStore conformance suite: one suite, run against every backend (SQLite in a temp file,
 * PostgreSQL from SLUICE_TEST_DATABASE_URL). Every test gets a fresh database. Plus URL / default tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SluiceError } from '../../src/core/errors.ts';
import { openMetadataStore, parseDatabaseUrl, resolveDatabaseUrl } from '../../src/store/index.ts';
import type { MetadataStore, NewDatasetVersion, NewModelVersion, NewRun } from '../../src/store/index.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const storeIndexUrl = pathToFileURL(join(repoRoot, 'src/store/index.ts')).href;

import { postgresBackend, sqliteBackend, type MetadataBackend } from '../helpers/databases.ts';

// ---- fixtures -------------------------------------------------------------------------------------

/** The orchestration fields of a run and a task run created without them (migration 0003). */
const RUN_DEFAULTS = {
  logicalDate: null, trigger: 'manual', key: null, backfillId: null, executor: 'inline', pipelineFile: null, owner: null,
  leaseExpiresAt: null, cancelRequestedAt: null, cancelReason: null, noCache: false,
} as const;
const TASK_DEFAULTS = {
  outputKind: null, maxAttempts: 1, retryDelayMs: 1000, timeoutMs: null, leaseOwner: null, leaseExpiresAt: null, notBefore: null,
  cacheKey: null, cachedFrom: null, errorHint: null, leaseLosses: 0,
} as const;

function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return { id, pipeline: 'flights', params: {}, partition: null, state: 'pending', createdAt: 1_700_000_000_000, ...overrides };
}

function newDatasetVersion(id: string, dataset: string, overrides: Partial<NewDatasetVersion> = {}): NewDatasetVersion {
  return {
    id,
    dataset,
    artifact: `sha256:${'a'.repeat(64)}`,
    schema: [{ name: 'x', type: 'DOUBLE' }],
    rowCount: 10,
    contentHash: `hash-${id}`,
    profile: null,
    runId: null,
    step: null,
    inputs: [],
    partition: null,
    ...overrides,
  };
}

function newModelVersion(id: string, model: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return { id, model, artifact: `sha256:${'b'.repeat(64)}`, metrics: {}, params: {}, runId: null, step: null, inputs: [], ...overrides };
}

function isSluiceError(pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

/** Registers `count` versions of `dataset` from a separate Node process; all children start together on 'go'. */
function spawnRegistrar(url: string, dataset: string, prefix: string, count: number) {
  const code = `
    const { openMetadataStore } = await import(${JSON.stringify(storeIndexUrl)});
    const store = await openMetadataStore({ url: process.env.SLUICE_CHILD_URL });
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const versions = await Promise.all(Array.from({ length: ${count} }, (_, i) => store.registerDatasetVersion({
      id: ${JSON.stringify(prefix)} + i, dataset: ${JSON.stringify(dataset)}, artifact: 'sha256:' + 'c'.repeat(64),
      schema: [], rowCount: i, contentHash: 'h', profile: null, runId: null, step: null, inputs: [], partition: null,
    }).then((v) => v.version)));
    await store.close();
    process.stdout.write(JSON.stringify(versions) + '\\n');
    process.stdin.destroy();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    env: { ...process.env, SLUICE_CHILD_URL: url },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (out.startsWith('ready\n') ? resolve() : undefined);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`registrar exited (${code}) before ready: ${err}`)));
  });
  const done = new Promise<number[]>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`registrar exited with ${code}: ${err}`));
      resolve(JSON.parse(out.slice('ready\n'.length)) as number[]);
    });
  });
  ready.catch(() => {});
  return { ready, go: () => child.stdin.write('go\n'), done };
}

// ---- the suite ------------------------------------------------------------------------------------

export function metadataStoreConformance(backend: MetadataBackend): void {
  describe(`MetadataStore conformance: ${backend.name}`, { skip: backend.skip }, () => {
    let database: { url: string; dispose(): Promise<void> };
    let store: MetadataStore;
    let opened: MetadataStore[] = [];
    const open = async (url = database.url): Promise<MetadataStore> => {
      const s = await openMetadataStore({ url });
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      database = await backend.fresh();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened) await s.close();
      opened = [];
      await database.dispose();
    });

    it('describes the database without a password', () => {
      assert.match(store.description, /^(sqlite:|postgres(ql)?:\/\/)/);
      if (store.description.startsWith('postgres')) {
        assert.equal(new URL(store.description).password, '');
        const password = new URL(database.url).password;
        if (password) assert.ok(!store.description.includes(`:${password}@`));
      }
    });

    it('creates, reads and updates runs', async () => {
      const created = await store.createRun(newRun('run-1', { params: { lr: 0.1 }, partition: '2024-01', state: 'running', createdAt: 1_700_000_000_123 }));
      assert.deepEqual(created, {
        id: 'run-1', pipeline: 'flights', params: { lr: 0.1 }, partition: '2024-01', state: 'running',
        createdAt: 1_700_000_000_123, startedAt: null, finishedAt: null, error: null, errorStack: null, ...RUN_DEFAULTS,
      });
      assert.deepEqual(await store.getRun('run-1'), created);
      assert.equal(await store.getRun('nope'), undefined);

      await store.updateRun('run-1', { startedAt: 1_700_000_000_200 });
      await store.updateRun('run-1', { state: 'failed', finishedAt: 1_700_000_009_999, error: 'boom', errorStack: 'Error: boom\n    at x' });
      await store.updateRun('run-1', {});
      assert.deepEqual(await store.getRun('run-1'), {
        ...created, state: 'failed', startedAt: 1_700_000_000_200, finishedAt: 1_700_000_009_999, error: 'boom', errorStack: 'Error: boom\n    at x',
      });
      // null clears, undefined leaves alone
      await store.updateRun('run-1', { error: null, errorStack: undefined });
      const after = await store.getRun('run-1');
      assert.equal(after?.error, null);
      assert.equal(after?.errorStack, 'Error: boom\n    at x');
    });

    it('rejects duplicate runs, unknown runs and invalid states with SluiceErrors', async () => {
      await store.createRun(newRun('run-1'));
      await assert.rejects(store.createRun(newRun('run-1')), isSluiceError(/run-1/));
      await assert.rejects(store.updateRun('ghost', { state: 'running' }), isSluiceError(/ghost/));
      await assert.rejects(store.updateRun('ghost', {}), isSluiceError(/ghost/));
      await assert.rejects(store.createRun(newRun('run-2', { state: 'exploded' as never })), isSluiceError(/exploded/));
      await assert.rejects(store.listRuns({ limit: -1 }), isSluiceError(/limit/));
    });

    it('lists runs newest first, filtered by pipeline and state, limited', async () => {
      await store.createRun(newRun('a', { createdAt: 1000, pipeline: 'flights', state: 'succeeded' }));
      await store.createRun(newRun('b', { createdAt: 3000, pipeline: 'churn', state: 'running' }));
      await store.createRun(newRun('c', { createdAt: 2000, pipeline: 'flights', state: 'failed' }));
      // Same createdAt as c but created later: comes first.
      await store.createRun(newRun('d', { createdAt: 2000, pipeline: 'flights', state: 'succeeded' }));
      const ids = async (o?: Parameters<MetadataStore['listRuns']>[0]) => (await store.listRuns(o)).map((r) => r.id);
      assert.deepEqual(await ids(), ['b', 'd', 'c', 'a']);
      assert.deepEqual(await ids({ pipeline: 'flights' }), ['d', 'c', 'a']);
      assert.deepEqual(await ids({ state: 'succeeded' }), ['d', 'a']);
      assert.deepEqual(await ids({ pipeline: 'flights', state: 'failed' }), ['c']);
      assert.deepEqual(await ids({ limit: 2 }), ['b', 'd']);
      assert.deepEqual(await ids({ pipeline: 'flights', limit: 1 }), ['d']);
      assert.deepEqual(await ids({ pipeline: 'nope' }), []);
      assert.deepEqual(await ids({ limit: 0 }), []);
    });

    it('round-trips JSON fields exactly', async () => {
      const params = {
        text: 'héllo ✓ "quoted" \\ \n\t 𝄞', empty: '', n: 1.5, big: 2 ** 53 - 1, small: -0.000123, t: true, f: false, nil: null,
        arr: [1, 'a', null, [2, [3]], {}], obj: { nested: { deep: [{ k: 'v' }] } }, emptyObj: {}, emptyArr: [],
      };
      const run = await store.createRun(newRun('run-1', { params }));
      assert.deepEqual(run.params, params);
      assert.deepEqual((await store.getRun('run-1'))?.params, params);

      await store.createTaskRun({ id: 'task-1', runId: 'run-1', step: 'train', state: 'running' });
      for (const output of [{ datasetVersion: 'dv_1', rows: 3, nested: [params] }, 'a string', 42, true, null, [1, 2]]) {
        await store.updateTaskRun('task-1', { output, logs: ['line 1', 'ünïcode ✓', ''] });
        const [task] = await store.listTaskRuns('run-1');
        assert.deepEqual(task?.output, output);
        assert.deepEqual(task?.logs, ['line 1', 'ünïcode ✓', '']);
      }

      const dv = await store.registerDatasetVersion(newDatasetVersion('dv-1', 'sales', {
        schema: [{ name: 'amount', type: 'DOUBLE' }, { name: 'when', type: 'TIMESTAMP' }],
        profile: { columns: { amount: { min: -1.5, max: 1e300, nulls: 0 } }, notes: [null, 'x'] },
        inputs: ['dv-0', 'sha256:' + 'f'.repeat(64)],
        runId: 'run-1', step: 'ingest', partition: '2024-01',
      }));
      assert.deepEqual(await store.getDatasetVersionById('dv-1'), dv);
      assert.deepEqual(dv.profile, { columns: { amount: { min: -1.5, max: 1e300, nulls: 0 } }, notes: [null, 'x'] });
      assert.deepEqual(dv.inputs, ['dv-0', 'sha256:' + 'f'.repeat(64)]);

      const metrics = { auc: 0.91, loss: 0.25, undefinedAuc: NaN, up: Infinity, down: -Infinity, zero: 0 };
      const mv = await store.registerModelVersion(newModelVersion('mv-1', 'churn', { metrics, params: { depth: 6, features: ['a', 'b'], nested: { x: null } }, inputs: ['dv-1'] }));
      const read = await store.getModelVersion('churn', 1);
      assert.deepEqual(read, mv);
      assert.deepEqual(read?.metrics, metrics);
      assert.deepEqual(read?.params, { depth: 6, features: ['a', 'b'], nested: { x: null } });
    });

    it('rejects values JSON cannot hold', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(store.createRun(newRun('run-1', { params: cyclic as never })), isSluiceError(/params of run run-1/));
      await assert.rejects(store.createRun(newRun('run-2', { params: { n: 10n } as never })), isSluiceError(/params of run run-2/));
      assert.equal(await store.getRun('run-1'), undefined);
    });

    it('keeps times, durations and counts as JS numbers (BIGINT beyond 32 bits)', async () => {
      await store.createRun(newRun('run-1', { createdAt: 4_102_444_800_000 }));
      await store.updateRun('run-1', { startedAt: 4_102_444_800_001, finishedAt: 4_102_444_900_000 });
      const run = await store.getRun('run-1');
      assert.equal(run?.createdAt, 4_102_444_800_000);
      assert.equal(typeof run?.startedAt, 'number');
      assert.equal(run?.finishedAt, 4_102_444_900_000);

      await store.createTaskRun({ id: 't', runId: 'run-1', step: 's', state: 'running' });
      await store.updateTaskRun('t', { startedAt: 4_102_444_800_002, durationMs: 3_000_000_000.4 });
      const [task] = await store.listTaskRuns('run-1');
      assert.equal(task?.startedAt, 4_102_444_800_002);
      assert.equal(task?.durationMs, 3_000_000_000);

      const dv = await store.registerDatasetVersion(newDatasetVersion('dv', 'big', { rowCount: 5_000_000_000 }));
      const read = await store.getDatasetVersion('big');
      assert.equal(read?.rowCount, 5_000_000_000);
      assert.equal(typeof read?.createdAt, 'number');
      assert.equal(read?.createdAt, dv.createdAt);
      assert.ok(Math.abs(dv.createdAt - Date.now()) < 60_000);
      assert.equal(typeof read?.version, 'number');
    });

    it('creates, updates and lists task runs in creation order', async () => {
      await store.createRun(newRun('run-1', { state: 'running' }));
      await store.createRun(newRun('run-2', { state: 'running' }));
      const first = await store.createTaskRun({ id: 'task-z', runId: 'run-1', step: 'zeta', state: 'pending' });
      assert.deepEqual(first, {
        id: 'task-z', runId: 'run-1', step: 'zeta', state: 'pending', attempt: 1, startedAt: null, finishedAt: null,
        durationMs: null, error: null, errorStack: null, output: null, logs: [], ...TASK_DEFAULTS,
      });
      await store.createTaskRun({ id: 'task-a', runId: 'run-1', step: 'alpha', state: 'pending' });
      await store.createTaskRun({ id: 'other', runId: 'run-2', step: 'x', state: 'pending' });
      await store.createTaskRun({ id: 'task-m', runId: 'run-1', step: 'mu', state: 'running' });
      assert.deepEqual((await store.listTaskRuns('run-1')).map((t) => t.id), ['task-z', 'task-a', 'task-m']);
      assert.deepEqual((await store.listTaskRuns('run-2')).map((t) => t.id), ['other']);
      assert.deepEqual(await store.listTaskRuns('nope'), []);

      await store.updateTaskRun('task-a', { state: 'running', attempt: 2, startedAt: 1_700_000_000_000 });
      await store.updateTaskRun('task-a', {
        state: 'failed', finishedAt: 1_700_000_001_500, durationMs: 1500, error: 'bad', errorStack: 'Error: bad', output: { rows: 1 }, logs: ['a', 'b'],
      });
      const tasks = await store.listTaskRuns('run-1');
      assert.deepEqual(tasks[1], {
        id: 'task-a', runId: 'run-1', step: 'alpha', state: 'failed', attempt: 2, startedAt: 1_700_000_000_000, finishedAt: 1_700_000_001_500,
        durationMs: 1500, error: 'bad', errorStack: 'Error: bad', output: { rows: 1 }, logs: ['a', 'b'], ...TASK_DEFAULTS,
      });
      // Updating one task run leaves the order and the others alone.
      assert.deepEqual(tasks.map((t) => t.state), ['pending', 'failed', 'running']);

      await assert.rejects(store.createTaskRun({ id: 'task-x', runId: 'ghost-run', step: 's', state: 'pending' }), isSluiceError(/ghost-run/));
      await assert.rejects(store.createTaskRun({ id: 'task-z', runId: 'run-1', step: 's', state: 'pending' }), isSluiceError(/task-z/));
      await assert.rejects(store.updateTaskRun('ghost-task', { state: 'running' }), isSluiceError(/ghost-task/));
      await assert.rejects(store.updateTaskRun('task-z', { state: 'weird' as never }), isSluiceError(/weird/));
    });

    it('closeUnfinishedRuns closes unfinished runs and their unfinished task runs', async () => {
      await store.createRun(newRun('pending', { createdAt: 1000, state: 'pending' }));
      await store.createRun(newRun('running', { createdAt: 2000, state: 'running' }));
      await store.createRun(newRun('done', { createdAt: 3000, state: 'succeeded' }));
      await store.createRun(newRun('failed', { createdAt: 4000, state: 'failed' }));
      await store.createRun(newRun('cancelled', { createdAt: 5000, state: 'cancelled' }));
      await store.updateRun('failed', { error: 'original', finishedAt: 4500 });
      await store.updateRun('running', { startedAt: 2000 });
      const started = Date.now() - 5000;
      await store.createTaskRun({ id: 't-ok', runId: 'running', step: 'a', state: 'succeeded' });
      await store.updateTaskRun('t-ok', { startedAt: started, finishedAt: started + 10, durationMs: 10 });
      await store.createTaskRun({ id: 't-running', runId: 'running', step: 'b', state: 'running' });
      await store.updateTaskRun('t-running', { startedAt: started });
      await store.createTaskRun({ id: 't-pending', runId: 'running', step: 'c', state: 'pending' });
      await store.createTaskRun({ id: 't-skipped', runId: 'running', step: 'd', state: 'skipped' });
      await store.createTaskRun({ id: 't-of-pending', runId: 'pending', step: 'a', state: 'pending' });
      await store.createTaskRun({ id: 't-of-done', runId: 'done', step: 'a', state: 'succeeded' });

      const before = Date.now();
      const closed = await store.closeUnfinishedRuns('failed', 'the process died');
      const afterMs = Date.now();
      assert.deepEqual(closed, ['pending', 'running']);

      for (const id of closed) {
        const run = await store.getRun(id);
        assert.equal(run?.state, 'failed');
        assert.equal(run?.error, 'the process died');
        assert.ok(run.finishedAt !== null && run.finishedAt >= before && run.finishedAt <= afterMs);
      }
      assert.equal((await store.getRun('done'))?.state, 'succeeded');
      assert.deepEqual(await store.getRun('failed'), { ...newRun('failed', { createdAt: 4000, state: 'failed' }), startedAt: null, finishedAt: 4500, error: 'original', errorStack: null, ...RUN_DEFAULTS });
      assert.equal((await store.getRun('cancelled'))?.state, 'cancelled');

      const tasks = new Map([...(await store.listTaskRuns('running')), ...(await store.listTaskRuns('pending')), ...(await store.listTaskRuns('done'))].map((t) => [t.id, t]));
      assert.equal(tasks.get('t-ok')?.state, 'succeeded');
      assert.equal(tasks.get('t-ok')?.error, null);
      const running = tasks.get('t-running');
      assert.equal(running?.state, 'failed');
      assert.equal(running?.error, 'the process died');
      assert.ok(running.finishedAt !== null && running.finishedAt >= before);
      assert.equal(running.durationMs, running.finishedAt - started);
      const pending = tasks.get('t-pending');
      assert.equal(pending?.state, 'failed');
      assert.equal(pending?.durationMs, null);
      assert.equal(tasks.get('t-skipped')?.state, 'skipped');
      assert.equal(tasks.get('t-of-pending')?.state, 'failed');
      assert.equal(tasks.get('t-of-done')?.state, 'succeeded');

      assert.deepEqual(await store.closeUnfinishedRuns('failed', 'again'), []);
      assert.equal((await store.getRun('running'))?.error, 'the process died');
    });

    it('closeUnfinishedRuns can be limited to given runs', async () => {
      await store.createRun(newRun('a', { state: 'running', createdAt: 1 }));
      await store.createRun(newRun('b', { state: 'running', createdAt: 2 }));
      await store.createRun(newRun('c', { state: 'succeeded', createdAt: 3 }));
      await store.createTaskRun({ id: 'ta', runId: 'a', step: 's', state: 'running' });
      await store.createTaskRun({ id: 'tb', runId: 'b', step: 's', state: 'running' });
      assert.deepEqual(await store.closeUnfinishedRuns('cancelled', 'Ctrl-C', []), []);
      assert.deepEqual(await store.closeUnfinishedRuns('cancelled', 'Ctrl-C', ['b', 'c', 'ghost']), ['b']);
      assert.equal((await store.getRun('a'))?.state, 'running');
      assert.equal((await store.listTaskRuns('a'))[0]?.state, 'running');
      assert.equal((await store.getRun('b'))?.state, 'cancelled');
      assert.equal((await store.listTaskRuns('b'))[0]?.state, 'cancelled');
      assert.equal((await store.getRun('c'))?.state, 'succeeded');
    });

    it('a heartbeat renews every lease of the worker, or with a list of runs only the leases within them', async () => {
      await store.registerWorker({ id: 'w1', host: 'h', pid: 1, kind: 'local' });
      for (const id of ['driven', 'abandoned']) {
        await store.createRun(newRun(id, { state: 'running', owner: 'w1', leaseExpiresAt: 1000 }));
        await store.createTaskRun({ id: `t-${id}`, runId: id, step: 's', state: 'running' });
        await store.updateTaskRun(`t-${id}`, { leaseOwner: 'w1', leaseExpiresAt: 1000 });
      }
      await store.createRun(newRun('foreign', { state: 'running', owner: 'w2', leaseExpiresAt: 1000 }));
      await store.updateRun('abandoned', { cancelRequestedAt: 500 });
      const lease = async (id: string) => [(await store.getRun(id))!.leaseExpiresAt, (await store.listTaskRuns(id))[0]?.leaseExpiresAt];

      assert.deepEqual(await store.heartbeat('w1', 1000, 2000, ['driven', 'ghost']), { cancelRequested: [] }, 'the cancel of a run out of scope is not reported');
      assert.deepEqual(await lease('driven'), [3000, 3000]);
      assert.deepEqual(await lease('abandoned'), [1000, 1000], 'a run out of scope keeps its old lease, so the reaper closes it');
      assert.deepEqual(await lease('foreign'), [1000, undefined]);
      assert.equal((await store.listWorkers()).find((w) => w.id === 'w1')?.heartbeatAt, 2000);

      assert.deepEqual(await store.heartbeat('w1', 1000, 2500, []), { cancelRequested: [] });
      assert.deepEqual(await lease('driven'), [3000, 3000], 'an empty scope renews nothing');
      assert.equal((await store.listWorkers()).find((w) => w.id === 'w1')?.heartbeatAt, 2500, 'but the worker row is renewed');

      assert.deepEqual(await store.heartbeat('w1', 1000, 4000), { cancelRequested: ['abandoned'] });
      assert.deepEqual(await lease('driven'), [5000, 5000]);
      assert.deepEqual(await lease('abandoned'), [5000, 5000], 'without a scope every lease of the worker is renewed');
      assert.deepEqual(await lease('foreign'), [1000, undefined]);
    });

    it('numbers dataset versions per dataset and reads them back', async () => {
      const s1 = await store.registerDatasetVersion(newDatasetVersion('s1', 'sales'));
      const s2 = await store.registerDatasetVersion(newDatasetVersion('s2', 'sales', { rowCount: 20 }));
      const w1 = await store.registerDatasetVersion(newDatasetVersion('w1', 'weather'));
      const s3 = await store.registerDatasetVersion(newDatasetVersion('s3', 'sales', { rowCount: 30 }));
      const a1 = await store.registerDatasetVersion(newDatasetVersion('a1', 'alpha'));
      assert.deepEqual([s1.version, s2.version, w1.version, s3.version, a1.version], [1, 2, 1, 3, 1]);
      assert.deepEqual({ ...s2, createdAt: 0 }, { ...newDatasetVersion('s2', 'sales', { rowCount: 20 }), version: 2, createdAt: 0, meta: {}, expiredAt: null });

      assert.deepEqual(await store.getDatasetVersion('sales'), s3);
      assert.deepEqual(await store.getDatasetVersion('sales', 2), s2);
      assert.equal(await store.getDatasetVersion('sales', 9), undefined);
      assert.equal(await store.getDatasetVersion('nope'), undefined);
      assert.deepEqual(await store.getDatasetVersionById('w1'), w1);
      assert.equal(await store.getDatasetVersionById('nope'), undefined);
      assert.deepEqual((await store.listDatasetVersions('sales')).map((v) => v.id), ['s3', 's2', 's1']);
      assert.deepEqual(await store.listDatasetVersions('nope'), []);
      assert.deepEqual(await store.listDatasets(), [a1, s3, w1]);
      await assert.rejects(store.getDatasetVersion('sales', 0), isSluiceError(/version 0/));
    });

    it('keeps a JSON meta object with each dataset version', async () => {
      const meta = { ingest: { partition: 'month=2001-01', watermark: { column: 'ts', hi: '2001-01-31 23:59:00' }, fingerprint: 'abc' }, validation: { status: 'warned', counts: [1, 2.5, null] } };
      const v = await store.registerDatasetVersion({ ...newDatasetVersion('m1', 'flights'), meta });
      assert.deepEqual(v.meta, meta);
      assert.deepEqual((await store.getDatasetVersion('flights'))?.meta, meta);
      assert.deepEqual((await store.getDatasetVersionById('m1'))?.meta, meta);
      assert.deepEqual((await store.listDatasets())[0]?.meta, meta);
      assert.deepEqual((await store.registerDatasetVersion(newDatasetVersion('m2', 'flights'))).meta, {});
      await assert.rejects(store.registerDatasetVersion({ ...newDatasetVersion('m3', 'flights'), meta: [1, 2] as never }), isSluiceError(/meta/));
    });

    it('expires dataset versions and reports the artifacts nothing live references', async () => {
      const art = (c: string): string => `sha256:${c.repeat(64)}`;
      await store.registerDatasetVersion(newDatasetVersion('e1', 'events', { artifact: art('1') }));
      await store.registerDatasetVersion(newDatasetVersion('e2', 'events', { artifact: art('2') }));
      await store.registerDatasetVersion(newDatasetVersion('e3', 'events', { artifact: art('3') }));
      // Same content as e2, in another dataset: its file must survive e2's expiry.
      await store.registerDatasetVersion(newDatasetVersion('o1', 'other', { artifact: art('2') }));
      assert.equal((await store.getDatasetVersion('events', 1))?.expiredAt, null);
      const orphans = await store.expireDatasetVersions('events', [1, 2], 1_700_000_123_456);
      assert.deepEqual(orphans, [art('1')]);
      assert.equal((await store.getDatasetVersion('events', 1))?.expiredAt, 1_700_000_123_456);
      assert.equal((await store.getDatasetVersion('events', 2))?.expiredAt, 1_700_000_123_456);
      assert.equal((await store.getDatasetVersion('events', 3))?.expiredAt, null);
      assert.deepEqual((await store.listDatasetVersions('events')).map((v) => [v.version, v.expiredAt !== null]), [[3, false], [2, true], [1, true]]);
      // Expiring again changes nothing and reports nothing; the other dataset's copy keeps art('2') alive.
      assert.deepEqual(await store.expireDatasetVersions('events', [1, 2], 1_800_000_000_000), []);
      assert.equal((await store.getDatasetVersion('events', 1))?.expiredAt, 1_700_000_123_456);
      assert.deepEqual(await store.expireDatasetVersions('other', [1], 1_800_000_000_000), [art('2')]);
      assert.deepEqual(await store.expireDatasetVersions('events', [], 1_800_000_000_000), []);
      await assert.rejects(store.expireDatasetVersions('events', [0], 1), isSluiceError(/version 0/));
    });

    it('a failed registration uses up no version number', async () => {
      await store.registerDatasetVersion(newDatasetVersion('dup', 'sales'));
      await assert.rejects(store.registerDatasetVersion(newDatasetVersion('dup', 'sales')), isSluiceError(/dup/));
      await assert.rejects(store.registerDatasetVersion(newDatasetVersion('dup', 'other')), isSluiceError(/dup/));
      assert.equal((await store.registerDatasetVersion(newDatasetVersion('next', 'sales'))).version, 2);
      assert.equal((await store.registerDatasetVersion(newDatasetVersion('first', 'other'))).version, 1);
      await store.registerModelVersion(newModelVersion('m-dup', 'churn'));
      await assert.rejects(store.registerModelVersion(newModelVersion('m-dup', 'churn')), isSluiceError(/m-dup/));
      assert.equal((await store.registerModelVersion(newModelVersion('m-next', 'churn'))).version, 2);
      assert.deepEqual((await store.listDatasets()).map((d) => [d.dataset, d.version]), [['other', 1], ['sales', 2]]);
    });

    it('concurrent registrations get distinct consecutive versions (two stores, one database)', async () => {
      const second = await open();
      const n = 15;
      const results = await Promise.all([
        ...Array.from({ length: n }, (_, i) => store.registerDatasetVersion(newDatasetVersion(`a${i}`, 'shared'))),
        ...Array.from({ length: n }, (_, i) => second.registerDatasetVersion(newDatasetVersion(`b${i}`, 'shared'))),
        ...Array.from({ length: 5 }, (_, i) => second.registerDatasetVersion(newDatasetVersion(`o${i}`, 'other'))),
        ...Array.from({ length: 10 }, (_, i) => (i % 2 ? store : second).registerModelVersion(newModelVersion(`m${i}`, 'churn'))),
      ]);
      const versionsOf = (prefixes: string[]) => results.filter((r) => prefixes.includes(r.id[0]!)).map((r) => r.version).sort((x, y) => x - y);
      assert.deepEqual(versionsOf(['a', 'b']), Array.from({ length: 2 * n }, (_, i) => i + 1));
      assert.deepEqual(versionsOf(['o']), [1, 2, 3, 4, 5]);
      assert.deepEqual(versionsOf(['m']), Array.from({ length: 10 }, (_, i) => i + 1));
      assert.deepEqual((await store.listDatasetVersions('shared')).map((v) => v.version), Array.from({ length: 2 * n }, (_, i) => 2 * n - i));
      assert.equal((await second.getDatasetVersion('shared'))?.version, 2 * n);
      assert.equal((await store.getModelVersion('churn'))?.version, 10);
    });

    it('concurrent registrations from several processes get distinct consecutive versions', { timeout: 60_000 }, async () => {
      const children = [0, 1, 2].map((i) => spawnRegistrar(database.url, 'shared', `p${i}-`, 8));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.go();
      const mine = Promise.all(Array.from({ length: 8 }, (_, i) => store.registerDatasetVersion(newDatasetVersion(`me-${i}`, 'shared')).then((v) => v.version)));
      const all = [...(await mine), ...(await Promise.all(children.map((c) => c.done))).flat()];
      assert.deepEqual(all.sort((x, y) => x - y), Array.from({ length: 32 }, (_, i) => i + 1));
      assert.equal((await store.listDatasetVersions('shared')).length, 32);
    });

    it('numbers model versions and lists models', async () => {
      const c1 = await store.registerModelVersion(newModelVersion('c1', 'churn', { metrics: { auc: 0.8 }, runId: 'r', step: 'train', inputs: ['dv1'] }));
      const c2 = await store.registerModelVersion(newModelVersion('c2', 'churn', { metrics: { auc: 0.85 } }));
      const d1 = await store.registerModelVersion(newModelVersion('d1', 'delay'));
      assert.deepEqual([c1.version, c2.version, d1.version], [1, 2, 1]);
      assert.deepEqual({ ...c1, createdAt: 0 }, { ...newModelVersion('c1', 'churn', { metrics: { auc: 0.8 }, runId: 'r', step: 'train', inputs: ['dv1'] }), version: 1, createdAt: 0 });
      assert.deepEqual(await store.getModelVersion('churn'), c2);
      assert.deepEqual(await store.getModelVersion('churn', 1), c1);
      assert.equal(await store.getModelVersion('churn', 3), undefined);
      assert.equal(await store.getModelVersion('nope'), undefined);
      assert.deepEqual((await store.listModelVersions('churn')).map((m) => m.id), ['c2', 'c1']);
      assert.deepEqual(await store.listModelVersions('nope'), []);
      assert.deepEqual(await store.listModels(), [c2, d1]);
    });

    it('sets, moves and reads model aliases', async () => {
      await store.registerModelVersion(newModelVersion('c1', 'churn'));
      await store.registerModelVersion(newModelVersion('c2', 'churn'));
      await store.registerModelVersion(newModelVersion('d1', 'delay'));
      assert.deepEqual(await store.getModelAliases('churn'), {});
      await store.setModelAlias('churn', 'champion', 1);
      await store.setModelAlias('churn', 'challenger', 2);
      await store.setModelAlias('delay', 'champion', 1);
      assert.deepEqual(await store.getModelAliases('churn'), { champion: 1, challenger: 2 });
      await store.setModelAlias('churn', 'champion', 2);
      assert.deepEqual(await store.getModelAliases('churn'), { challenger: 2, champion: 2 });
      assert.deepEqual(await store.getModelAliases('delay'), { champion: 1 });
      await assert.rejects(store.setModelAlias('churn', 'champion', 7), isSluiceError(/churn.*7/));
      await assert.rejects(store.setModelAlias('ghost', 'champion', 1), isSluiceError(/ghost/));
      assert.deepEqual(await store.getModelAliases('churn'), { challenger: 2, champion: 2 });
      assert.deepEqual(await store.getModelAliases('ghost'), {});
    });

    it('migrations are idempotent: reopening keeps the data, concurrent first opens agree', async () => {
      await store.createRun(newRun('kept'));
      await store.registerDatasetVersion(newDatasetVersion('dv', 'sales'));
      await store.close();
      const again = await open();
      const third = await open();
      assert.equal((await again.getRun('kept'))?.id, 'kept');
      assert.equal((await third.registerDatasetVersion(newDatasetVersion('dv2', 'sales'))).version, 2);

      const other = await backend.fresh();
      try {
        const stores = await Promise.all([open(other.url), open(other.url), open(other.url)]);
        await stores[0]!.createRun(newRun('x'));
        assert.equal((await stores[2]!.getRun('x'))?.id, 'x');
        for (const s of stores) await s.close();
      } finally {
        await other.dispose();
      }
    });

    it('refuses to work once closed; closing twice is fine', async () => {
      await store.close();
      await store.close();
      await assert.rejects(store.getRun('x'), isSluiceError(/closed/));
    });
  });
}

// ---- backends -------------------------------------------------------------------------------------

metadataStoreConformance(sqliteBackend);
metadataStoreConformance(postgresBackend);

// ---- opening ------------------------------------------------------------------------------------------

describe('openMetadataStore', () => {
  it('parses the accepted URLs and never echoes a password', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:.sluice/sluice.db'), { dialect: 'sqlite', path: '.sluice/sluice.db', description: 'sqlite:.sluice/sluice.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:/abs/x.db'), { dialect: 'sqlite', path: '/abs/x.db', description: 'sqlite:/abs/x.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:', description: 'sqlite::memory:' });
    const pgTarget = parseDatabaseUrl('postgres://ann:s3cret@db.example:5433/sluice?sslmode=require&password=s3cret');
    assert.equal(pgTarget.dialect, 'postgres');
    assert.equal(pgTarget.description, 'postgres://ann@db.example:5433/sluice');
    assert.equal(parseDatabaseUrl('postgresql://db/x').description, 'postgresql://db/x');
    for (const bad of ['mysql://root:s3cret@h/db', 'sqlite:', 'sqlite://x.db', 'nonsense', 'postgres://ann:s3cret@[bad/db']) {
      assert.throws(() => parseDatabaseUrl(bad), (err: unknown) => err instanceof SluiceError && !err.message.includes('s3cret'));
    }
  });

  it('defaults to SLUICE_DATABASE_URL, else SQLite in the home directory', async () => {
    const saved = process.env.SLUICE_DATABASE_URL;
    try {
      delete process.env.SLUICE_DATABASE_URL;
      assert.equal(resolveDatabaseUrl(undefined, '/h'), 'sqlite:/h/sluice.db');
      assert.equal(resolveDatabaseUrl('sqlite:x.db', '/h'), 'sqlite:x.db');
      process.env.SLUICE_DATABASE_URL = 'sqlite:from-env.db';
      assert.equal(resolveDatabaseUrl(undefined, '/h'), 'sqlite:from-env.db');
    } finally {
      if (saved === undefined) delete process.env.SLUICE_DATABASE_URL;
      else process.env.SLUICE_DATABASE_URL = saved;
    }

    const home = await mkdtemp(join(tmpdir(), 'sluice-home-'));
    const savedUrl = process.env.SLUICE_DATABASE_URL;
    delete process.env.SLUICE_DATABASE_URL;
    try {
      const store = await openMetadataStore({ home: join(home, 'nested') });
      assert.equal(store.description, `sqlite:${join(home, 'nested', 'sluice.db')}`);
      await store.close();
      assert.ok(existsSync(join(home, 'nested', 'sluice.db')));
      const byString = await openMetadataStore(`sqlite:${join(home, 'nested', 'sluice.db')}`);
      await byString.close();
    } finally {
      if (savedUrl !== undefined) process.env.SLUICE_DATABASE_URL = savedUrl;
      await rm(home, { recursive: true, force: true });
    }
  });

  it('opens SQLite in WAL mode with foreign keys, and in memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-meta-'));
    try {
      const store = await openMetadataStore({ url: `sqlite:${join(dir, 'm.db')}` });
      await store.close();
      const raw = new BetterSqlite3(join(dir, 'm.db'));
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
      for (const t of ['dataset_versions', 'datasets', 'model_aliases', 'model_versions', 'models', 'runs', 'sluice_migrations', 'task_runs']) {
        assert.ok(tables.some((x) => x.name === t), `table ${t}`);
      }
      raw.close();

      const memory = await openMetadataStore('sqlite::memory:');
      assert.equal(memory.description, 'sqlite::memory:');
      await memory.createRun(newRun('r'));
      // foreign_keys = ON: a task run needs its run
      await assert.rejects(memory.createTaskRun({ id: 't', runId: 'ghost', step: 's', state: 'pending' }), isSluiceError(/ghost/));
      await memory.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a database migrated by an unknown (newer) version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-meta-'));
    try {
      const url = `sqlite:${join(dir, 'm.db')}`;
      await (await openMetadataStore(url)).close();
      const raw = new BetterSqlite3(join(dir, 'm.db'));
      raw.prepare('insert into sluice_migrations (name, timestamp) values (?, ?)').run('9999_from_the_future', new Date().toISOString());
      raw.close();
      await assert.rejects(openMetadataStore(url), (err: unknown) => {
        assert.ok(err instanceof SluiceError);
        assert.equal(err.code, 'METADATA_MIGRATION');
        assert.match(err.message, /9999_from_the_future/);
        assert.ok(err.hint);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable PostgreSQL without its password', async () => {
    await assert.rejects(openMetadataStore('postgres://ann:s3cret@127.0.0.1:1/nowhere'), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.match(err.message, /postgres:\/\/ann@127\.0\.0\.1:1\/nowhere/);
      assert.ok(!err.message.includes('s3cret'));
      return true;
    });
  });
});
