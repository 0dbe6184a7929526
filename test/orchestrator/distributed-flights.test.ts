// The flights demo's backfill on PostgreSQL with two `sluice worker` processes: `sluice backfill`
// submits through the distributed executor (SLUICE_EXECUTOR=distributed) and the workers run the steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMetadataStore } from '../../src/store/index.ts';
import { postgresBackend } from '../helpers/databases.ts';
import { startProcess } from '../helpers/processes.ts';

const root = new URL('../..', import.meta.url).pathname;
const skip = postgresBackend.skip ?? (!existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built');

test('sluice backfill flights --from 2001-04 --to 2001-05 on PostgreSQL with two workers', { skip }, async () => {
  const db = await postgresBackend.fresh();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dist-flights-'));
  const env = { ...process.env, SLUICE_DATABASE_URL: db.url, SLUICE_HOME: join(dir, 'home'), SLUICE_ARTIFACTS: join(dir, 'artifacts'), SLUICE_EXECUTOR: 'distributed' };
  const workers = [0, 1].map(() => startProcess(['bin/sluice.js', 'worker'], { cwd: root, env }));
  const store = await openMetadataStore({ url: db.url });
  try {
    await Promise.all(workers.map((w) => w.waitFor(/taking tasks/, 60_000)));
    const backfill = spawnSync(process.execPath, ['bin/sluice.js', 'backfill', 'flights', '--from', '2001-04', '--to', '2001-05'], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(backfill.status, 0, `${backfill.stderr}\n${workers.map((w) => w.output()).join('\n----\n')}`);
    assert.match(backfill.stderr, /2\/2 partition\(s\) succeeded/);
    const runs = (await store.listRuns({ pipeline: 'flights' })).sort((a, b) => (a.partition! < b.partition! ? -1 : 1));
    assert.deepEqual(runs.map((r) => `${r.partition}:${r.state}:${r.executor}`), ['2001-04:succeeded:distributed', '2001-05:succeeded:distributed']);
    const workerIds = new Set((await store.listWorkers()).filter((w) => w.kind === 'worker').map((w) => w.id));
    assert.equal(workerIds.size, 2);
    for (const run of runs) {
      for (const t of await store.listTaskRuns(run.id)) {
        assert.equal(t.state, 'succeeded', `${run.partition} ${t.step}`);
        assert.ok(t.leaseOwner && workerIds.has(t.leaseOwner), `${t.step} of ${run.partition} ran on a worker (${t.leaseOwner})`);
      }
    }
    const may = (await store.listTaskRuns(runs[1]!.id)).find((t) => t.step === 'summary')!.output as Record<string, unknown>;
    assert.equal(may['evaluated month'], '2001-05');
    assert.equal((await store.listDatasetVersions('flights')).length, 2, 'one version per month');
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited()));
    await store.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
