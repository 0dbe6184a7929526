// A PostgreSQL restart while a step is staging its outputs (pinning the files it wrote, before the
// commit): the pin waits for the database and the step goes on; no retry of the step is spent, the run
// succeeds and its dataset is registered once. (The pin used to fail the step at once.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEngine } from '../../src/engine/index.ts';
import { localExecutor } from '../../src/orchestrator/local.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';
import { postgresBackend } from '../helpers/databases.ts';
import { startPrivatePostgres } from '../helpers/embedded-postgres.ts';

/** A promise the test opens when it chooses (a step waits on it, or the test waits for a step). */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  return { opened, open };
}

test('PostgreSQL restarts while a step pins its staged dataset: the pin is retried, the step is not failed, the run succeeds', { skip: postgresBackend.skip }, async () => {
  const server = await startPrivatePostgres();
  const home = mkdtempSync(join(tmpdir(), 'sluice-outage-'));
  const store = await openMetadataStore({ url: server.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  const executor = localExecutor({ store, artifacts, engine, leaseMs: 60_000 });
  try {
    const started = gate();
    const go = gate();
    const graph = pipeline('outage_pin')
      .step('write', [], async (_in, ctx) => {
        started.open();
        await go.opened;
        return ctx.datasets.write('outage_pin_out', 'SELECT range AS id FROM range(10)');
      })
      .step('count', ['write'], async ({ write }) => ({ rows: write.rowCount, version: write.version }))
      .build();
    const run = await executor.submit(graph);
    await started.opened;
    await server.stop();
    go.open();
    // The step writes its Parquet file (DuckDB, milliseconds) and pins it while the server is down.
    await sleep(2500);
    await server.start();
    const done = await executor.wait(run.id, { timeoutMs: 60_000 });
    assert.equal(done.state, 'succeeded', `${done.error}`);
    const tasks = await store.listTaskRuns(run.id);
    const write = tasks.find((t) => t.step === 'write')!;
    assert.equal(write.attempt, 1, 'the step ran once: the outage was ridden out, not counted as a failure');
    const versions = await store.listDatasetVersions('outage_pin_out');
    assert.equal(versions.length, 1);
    assert.deepEqual(tasks.find((t) => t.step === 'count')!.output, { rows: 10, version: versions[0]!.version });
  } finally {
    await executor.close();
    await engine.close();
    await store.close();
    await server.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});

// A run whose commit gave up during an outage is abandoned by this process ("its lease runs out and the
// reaper closes it"). The heartbeat used to renew every run and task of the worker, driven or not, so
// while the process kept driving another run the abandoned one stayed `running` for as long as the
// process lived.
test('a run abandoned during an outage is closed by the reaper while the same process goes on driving another run', { skip: postgresBackend.skip }, async () => {
  const server = await startPrivatePostgres();
  const home = mkdtempSync(join(tmpdir(), 'sluice-outage-'));
  const store = await openMetadataStore({ url: server.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  const before = process.env.SLUICE_COMMIT_RETRY_MS;
  process.env.SLUICE_COMMIT_RETRY_MS = '800';
  const executor = localExecutor({ store, artifacts, engine, leaseMs: 1500, reapEveryMs: 200 });
  try {
    const released = gate();
    const longStarted = gate();
    const long = pipeline('outage_long').step('wait', [], async () => { longStarted.open(); await released.opened; return 'done'; }).build();
    const started = gate();
    const go = gate();
    const short = pipeline('outage_short').step('answer', [], async () => { started.open(); await go.opened; return 42; }).build();

    const kept = await executor.submit(long);
    await longStarted.opened;
    const lost = await executor.submit(short);
    await started.opened;
    await server.stop();
    go.open();
    // The commit of `answer` (and the record of its failure) gives up after 800 ms: the run is abandoned.
    await sleep(3000);
    await server.start();
    assert.equal(executor.drives(lost.id), false, 'the run whose commit gave up is no longer driven');
    assert.equal(executor.drives(kept.id), true);

    let state = (await store.getRun(lost.id))!.state;
    for (const t0 = Date.now(); state === 'running' && Date.now() - t0 < 10_000;) {
      await sleep(200);
      state = (await store.getRun(lost.id))!.state;
    }
    assert.equal(state, 'failed', 'the abandoned run is closed once its lease runs out, though its process lives on');
    const closed = await store.getRun(lost.id);
    assert.match(closed!.error ?? '', /lease expired/);
    assert.equal((await store.getRun(kept.id))!.state, 'running', 'the run the process still drives keeps its lease');

    released.open();
    assert.equal((await executor.wait(kept.id, { timeoutMs: 30_000 })).state, 'succeeded');
  } finally {
    if (before === undefined) delete process.env.SLUICE_COMMIT_RETRY_MS;
    else process.env.SLUICE_COMMIT_RETRY_MS = before;
    await executor.close();
    await engine.close();
    await store.close();
    await server.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});
