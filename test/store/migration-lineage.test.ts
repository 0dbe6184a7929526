// Migration 0008 copies the lineage of versions registered before it (their JSON `inputs`) into
// lineage_edges. A database is brought to 0007 as an earlier Sluice left it, given versions with inputs
// (a repeated input, an empty list, a model made from datasets), then opened by today's store: what
// was made from each input must be found, once each, on SQLite and on PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/store/metadata/migrations.ts';
import { openMetadataStore } from '../../src/store/index.ts';
import { metadataBackends } from '../helpers/databases.ts';

for (const backend of metadataBackends) {
  describe(`migration 0008 lineage copy: ${backend.name}`, { skip: backend.skip }, () => {
    it('versions registered before 0008 keep their lineage, found through lineage_edges', async () => {
      const database = await backend.fresh();
      try {
        const isSqlite = database.url.startsWith('sqlite:');
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema of an older release
        const db = new Kysely<any>({
          dialect: isSqlite
            ? new SqliteDialect({ database: new Database(database.url.slice('sqlite:'.length)) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
        });
        try {
          await migrateToLatest(db, isSqlite ? 'sqlite' : 'postgres', 'the test database', isSqlite ? undefined : 'public', '0007_ui_indexes');
          const now = 1_700_000_000_000;
          await sql`insert into datasets (name, latest_version, created_at, updated_at) values ('raw', 1, ${now}, ${now}), ('features', 2, ${now}, ${now})`.execute(db);
          const dsv = (id: string, dataset: string, version: number, inputs: string[]) =>
            sql`insert into dataset_versions (id, dataset, version, artifact, column_schema, row_count, content_hash, profile, run_id, step, inputs, partition_key, created_at)
                values (${id}, ${dataset}, ${version}, 'sha256:x', '[]', 1, 'h', '[]', null, null, ${JSON.stringify(inputs)}, null, ${now + version})`.execute(db);
          await dsv('dsv_raw1', 'raw', 1, []);
          await dsv('dsv_feat1', 'features', 1, ['dsv_raw1']);
          await dsv('dsv_feat2', 'features', 2, ['dsv_raw1', 'dsv_raw1', 'dsv_feat1']);
          await sql`insert into models (name, latest_version, created_at, updated_at) values ('delay', 1, ${now}, ${now})`.execute(db);
          await sql`insert into model_versions (id, model, version, artifact, metrics, params, run_id, step, inputs, created_at)
                    values ('mv_delay1', 'delay', 1, 'sha256:m', '{}', '{}', null, null, ${JSON.stringify(['dsv_feat2', 'dsv_raw1'])}, ${now + 10})`.execute(db);
        } finally {
          await db.destroy();
        }

        const store = await openMetadataStore({ url: database.url });
        try {
          const ids = async (id: string) => {
            const c = await store.listLineageChildren(id);
            return { datasets: c.datasets.map((v) => v.id).sort(), models: c.models.map((v) => v.id).sort() };
          };
          assert.deepEqual(await ids('dsv_raw1'), { datasets: ['dsv_feat1', 'dsv_feat2'], models: ['mv_delay1'] });
          assert.deepEqual(await ids('dsv_feat1'), { datasets: ['dsv_feat2'], models: [] });
          assert.deepEqual(await ids('dsv_feat2'), { datasets: [], models: ['mv_delay1'] });
          assert.deepEqual(await ids('mv_delay1'), { datasets: [], models: [] });
        } finally {
          await store.close();
        }
      } finally {
        await database.dispose();
      }
    });
  });
}
