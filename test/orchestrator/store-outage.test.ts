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

test('PostgreSQL restarts while a step pins its staged dataset: the pin is retried, the step is not failed, the run succeeds', { skip: postgresBackend.skip }, async () => {
  const server = await startPrivatePostgres();
  const home = mkdtempSync(join(tmpdir(), 'sluice-outage-'));
  const store = await openMetadataStore({ url: server.url });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  const executor = localExecutor({ store, artifacts, engine, leaseMs: 60_000 });
  try {
    let started!: () => void;
    const stepStarted = new Promise<void>((r) => { started = r; });
    let go!: () => void;
    const goOn = new Promise<void>((r) => { go = r; });
    const graph = pipeline('outage_pin')
      .step('write', [], async (_in, ctx) => {
        started();
        await goOn;
        return ctx.datasets.write('outage_pin_out', 'SELECT range AS id FROM range(10)');
      })
      .step('count', ['write'], async ({ write }) => ({ rows: write.rowCount, version: write.version }))
      .build();
    const run = await executor.submit(graph);
    await stepStarted;
    await server.stop();
    go();
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
