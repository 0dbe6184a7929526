// The schedule tables (migration 0004) on SQLite and PostgreSQL: one row per occurrence however many
// schedulers record it, the cursor only moves forward, pause/resume, backfills planned in chunks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openMetadataStore } from '../../src/store/index.ts';
import { metadataBackends } from '../helpers/databases.ts';

for (const backend of metadataBackends) {
  describe(`schedule store on ${backend.name}`, { skip: backend.skip }, () => {
    it('records each occurrence once, even from two stores at once, and keeps the cursor monotonic', async () => {
      const db = await backend.fresh();
      const a = await openMetadataStore(db.url);
      const b = await openMetadataStore(db.url);
      try {
        const def = { pipeline: 'p', name: 'default', cron: '0 * * * *', timezone: 'UTC', catchUp: 'all' as const, file: '/x/p.ts' };
        const first = await a.schedules.syncSchedule(def, 1000);
        assert.equal(first.cursor, 1000);
        const again = await b.schedules.syncSchedule({ ...def, cron: '5 * * * *' }, 9999);
        assert.equal(again.cursor, 1000, 'a known schedule keeps its cursor');
        assert.equal(again.cron, '5 * * * *');
        const occ = [3_600_000, 7_200_000, 10_800_000].map((o) => ({ occurrence: o, partition: null }));
        const [na, nb] = await Promise.all([
          a.schedules.recordOccurrences('p', 'default', occ, 10_800_000, 11_000_000),
          b.schedules.recordOccurrences('p', 'default', occ.slice(1), 7_200_000, 11_000_000),
        ]);
        assert.equal(na + nb, 3, 'three rows in all');
        assert.equal((await a.schedules.listOccurrences('p')).length, 3);
        assert.equal((await a.schedules.listSchedules('p'))[0]!.cursor, 10_800_000, 'never moved back');
        const pending = await a.schedules.listPendingOccurrences();
        assert.deepEqual(pending.map((o) => o.occurrence), [3_600_000, 7_200_000, 10_800_000]);
        await a.schedules.markOccurrenceSubmitted('p', 'default', 3_600_000, 'run_1', 12_000_000);
        assert.equal((await a.schedules.listPendingOccurrences()).length, 2);
        assert.equal(await a.schedules.setPaused('p', true, 13_000_000), 1);
        assert.equal(await a.schedules.setPaused('p', true, 13_000_000), 0, 'already paused');
        assert.equal((await a.schedules.listSchedules('p'))[0]!.paused, true);
        await a.schedules.setPaused('p', false, 20_000_000);
        const resumed = (await a.schedules.listSchedules('p'))[0]!;
        assert.equal(resumed.paused, false);
        assert.equal(resumed.cursor, 20_000_000, 'what fell due while paused does not run');
      } finally {
        await a.close();
        await b.close();
        await db.dispose();
      }
    });

    it('plans a backfill of 3,000 partitions in one transaction and pages through them', async () => {
      const db = await backend.fresh();
      const s = await openMetadataStore(db.url);
      try {
        const keys = function* () { for (let i = 0; i < 3000; i++) yield `k${String(i).padStart(4, '0')}`; };
        const bf = await s.schedules.createBackfill({ id: 'bf_1', pipeline: 'p', file: null, from: 'k0000', to: 'k2999', parallel: 4, inOrder: false, params: { b: 1, a: 'x' } }, keys(), 5);
        assert.equal(bf.partitions, 3000);
        assert.deepEqual(await s.schedules.countBackfillPartitions('bf_1'), { pending: 3000, submitted: 0, succeeded: 0, failed: 0, cancelled: 0 });
        const page = await s.schedules.listBackfillPartitions('bf_1', { afterSeq: 1499, limit: 3 });
        assert.deepEqual(page.map((p) => p.partition), ['k1500', 'k1501', 'k1502']);
        await s.schedules.updateBackfillPartition('bf_1', 1500, { state: 'succeeded', runId: 'r', attempts: 1 }, 6);
        assert.equal((await s.schedules.listBackfillPartitions('bf_1', { states: ['succeeded'] }))[0]!.partition, 'k1500');
        assert.equal((await s.schedules.findBackfill('p', 'k0000', 'k2999', { a: 'x', b: 1 }))?.id, 'bf_1', 'params compared as JSON, key order aside');
        assert.equal(await s.schedules.findBackfill('p', 'k0000', 'k2999', { a: 'y', b: 1 }), undefined);
        // A failed plan leaves nothing behind.
        const bad = function* () { yield 'x'; yield 'x'; };
        await assert.rejects(s.schedules.createBackfill({ id: 'bf_2', pipeline: 'p', file: null, from: 'x', to: 'x', parallel: 1, inOrder: true, params: {} }, bad(), 7));
        assert.equal(await s.schedules.getBackfill('bf_2'), undefined);
      } finally {
        await s.close();
        await db.dispose();
      }
    });
  });
}
