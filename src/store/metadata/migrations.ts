/**
 * Versioned schema migrations of the metadata database, run by Kysely's Migrator from an in-code
 * provider. The same migrations serve SQLite and PostgreSQL; the only dialect difference is how the
 * insertion-order `seq` column is generated.
 *
 * Rules for new migrations: append a new name that sorts after the last one (0002_..., 0003_...);
 * never edit a migration that has shipped. Migrations are frozen in time, so they use `Kysely<any>`
 * instead of the current `Database` type. On SQLite they run inside a transaction (see open.ts), so a
 * table rebuild that needs `PRAGMA foreign_keys = OFF` must be done outside the Migrator.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- see above: migrations must not depend on today's schema type */
import type { CreateTableBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator, sql } from 'kysely';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import { schedulesMigration } from './schedule-migration.ts';

export type SqlDialectName = 'sqlite' | 'postgres';

/** Names of Kysely's bookkeeping tables in the metadata database. */
const MIGRATION_TABLE = 'sluice_migrations';
const MIGRATION_LOCK_TABLE = 'sluice_migrations_lock';

/** An auto-generated, monotonically increasing primary key that records insertion order. */
function withSeq<TB extends string, C extends string>(dialect: SqlDialectName) {
  return (table: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C | 'seq'> =>
    dialect === 'sqlite'
      ? // AUTOINCREMENT: never reuse a number, even after deletes.
        table.addColumn('seq', 'integer', (col) => col.primaryKey().autoIncrement())
      : table.addColumn('seq', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity());
}

function initial(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('runs')
        .$call(withSeq(dialect))
        .addColumn('id', 'text', (col) => col.notNull().unique())
        .addColumn('pipeline', 'text', (col) => col.notNull())
        .addColumn('params', 'text', (col) => col.notNull())
        .addColumn('partition_key', 'text')
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('error', 'text')
        .addColumn('error_stack', 'text')
        .execute();
      // listRuns: newest first, optionally by pipeline or state (closeUnfinishedRuns uses the state one).
      await db.schema.createIndex('runs_created_idx').on('runs').columns(['created_at', 'seq']).execute();
      await db.schema.createIndex('runs_pipeline_created_idx').on('runs').columns(['pipeline', 'created_at', 'seq']).execute();
      await db.schema.createIndex('runs_state_created_idx').on('runs').columns(['state', 'created_at', 'seq']).execute();

      await db.schema
        .createTable('task_runs')
        .$call(withSeq(dialect))
        .addColumn('id', 'text', (col) => col.notNull().unique())
        .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('step', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('attempt', 'integer', (col) => col.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .addColumn('error', 'text')
        .addColumn('error_stack', 'text')
        .addColumn('output', 'text', (col) => col.notNull())
        .addColumn('logs', 'text', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('task_runs_run_idx').on('task_runs').columns(['run_id', 'seq']).execute();

      await db.schema
        .createTable('datasets')
        .addColumn('name', 'text', (col) => col.primaryKey())
        .addColumn('latest_version', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('dataset_versions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('dataset', 'text', (col) => col.notNull().references('datasets.name'))
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('artifact', 'text', (col) => col.notNull())
        .addColumn('column_schema', 'text', (col) => col.notNull())
        .addColumn('row_count', 'bigint', (col) => col.notNull())
        .addColumn('content_hash', 'text', (col) => col.notNull())
        .addColumn('profile', 'text', (col) => col.notNull())
        .addColumn('run_id', 'text')
        .addColumn('step', 'text')
        .addColumn('inputs', 'text', (col) => col.notNull())
        .addColumn('partition_key', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        // Also the index of getDatasetVersion and listDatasetVersions.
        .addUniqueConstraint('dataset_versions_dataset_version_key', ['dataset', 'version'])
        .execute();

      await db.schema
        .createTable('models')
        .addColumn('name', 'text', (col) => col.primaryKey())
        .addColumn('latest_version', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('model_versions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('model', 'text', (col) => col.notNull().references('models.name'))
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('artifact', 'text', (col) => col.notNull())
        .addColumn('metrics', 'text', (col) => col.notNull())
        .addColumn('params', 'text', (col) => col.notNull())
        .addColumn('run_id', 'text')
        .addColumn('step', 'text')
        .addColumn('inputs', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addUniqueConstraint('model_versions_model_version_key', ['model', 'version'])
        .execute();

      await db.schema
        .createTable('model_aliases')
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('alias', 'text', (col) => col.notNull())
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('model_aliases_pkey', ['model', 'alias'])
        .addForeignKeyConstraint('model_aliases_version_fkey', ['model', 'version'], 'model_versions', ['model', 'version'])
        .execute();
    },
  };
}

/**
 * Dataset versions get `meta` (a JSON object: ingest state, validation report, retention policy) and
 * `expired_at` (retention). The artifact index serves "is this snapshot still referenced?".
 */
function datasetVersionMeta(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('dataset_versions').addColumn('meta', 'text', (col) => col.notNull().defaultTo('{}')).execute();
      await db.schema.alterTable('dataset_versions').addColumn('expired_at', 'bigint').execute();
      await db.schema.createIndex('dataset_versions_artifact_idx').on('dataset_versions').column('artifact').execute();
    },
  };
}

/**
 * Durable orchestration (issue 11): runs carry their trigger, logical date, idempotency key, owner
 * lease and cancel request; task runs carry the retry policy, lease, backoff time and cache key;
 * `workers` records long-lived processes for the reaper; `artifact_pins` keeps staged (not yet
 * committed) artifacts safe from retention and gc.
 */
function orchestration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const runs: [string, string, (c: any) => any][] = [
        ['logical_date', 'bigint', (c) => c],
        ['run_trigger', 'text', (c) => c.notNull().defaultTo('manual')],
        ['run_key', 'text', (c) => c],
        ['backfill_id', 'text', (c) => c],
        ['executor', 'text', (c) => c.notNull().defaultTo('inline')],
        ['pipeline_file', 'text', (c) => c],
        ['owner', 'text', (c) => c],
        ['lease_expires_at', 'bigint', (c) => c],
        ['cancel_requested_at', 'bigint', (c) => c],
        ['cancel_reason', 'text', (c) => c],
        ['no_cache', 'integer', (c) => c.notNull().defaultTo(0)],
      ];
      for (const [name, type, f] of runs) await db.schema.alterTable('runs').addColumn(name, type as any, f).execute();
      // Idempotent submit: one run per (pipeline, key); NULL keys never collide on either dialect.
      await db.schema.createIndex('runs_pipeline_key_idx').on('runs').columns(['pipeline', 'run_key']).unique().execute();
      await db.schema.createIndex('runs_backfill_idx').on('runs').column('backfill_id').execute();
      await db.schema.createIndex('runs_owner_idx').on('runs').columns(['owner', 'state']).execute();

      const tasks: [string, string, (c: any) => any][] = [
        ['output_kind', 'text', (c) => c],
        ['max_attempts', 'integer', (c) => c.notNull().defaultTo(1)],
        ['retry_delay_ms', 'bigint', (c) => c.notNull().defaultTo(1000)],
        ['timeout_ms', 'bigint', (c) => c],
        ['lease_owner', 'text', (c) => c],
        ['lease_expires_at', 'bigint', (c) => c],
        ['not_before', 'bigint', (c) => c],
        ['cache_key', 'text', (c) => c],
        ['cached_from', 'text', (c) => c],
      ];
      for (const [name, type, f] of tasks) await db.schema.alterTable('task_runs').addColumn(name, type as any, f).execute();
      await db.schema.createIndex('task_runs_run_step_idx').on('task_runs').columns(['run_id', 'step']).unique().execute();
      // The reaper: running task runs by lease expiry.
      await db.schema.createIndex('task_runs_state_lease_idx').on('task_runs').columns(['state', 'lease_expires_at']).execute();
      await db.schema.createIndex('task_runs_lease_owner_idx').on('task_runs').columns(['lease_owner', 'state']).execute();
      await db.schema.createIndex('task_runs_cache_key_idx').on('task_runs').columns(['cache_key', 'state']).execute();

      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('host', 'text', (col) => col.notNull())
        .addColumn('pid', 'integer', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('started_at', 'bigint', (col) => col.notNull())
        .addColumn('heartbeat_at', 'bigint', (col) => col.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();

      await db.schema
        .createTable('artifact_pins')
        .addColumn('holder', 'text', (col) => col.notNull())
        .addColumn('artifact', 'text', (col) => col.notNull())
        .addColumn('worker_id', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('artifact_pins_pkey', ['holder', 'artifact'])
        .execute();
      await db.schema.createIndex('artifact_pins_artifact_idx').on('artifact_pins').column('artifact').execute();
      await db.schema.createIndex('model_versions_artifact_idx').on('model_versions').column('artifact').execute();
    },
  };
}

/**
 * Every move of a model alias, kept forever: which version an alias pointed to when, set by which run
 * (or person), why, and the evidence of the decision (the gate's metrics of both models on the same rows).
 */
function aliasHistory(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('model_alias_history')
        .$call(withSeq(dialect))
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('alias', 'text', (col) => col.notNull())
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('previous_version', 'integer')
        .addColumn('reason', 'text')
        .addColumn('run_id', 'text')
        .addColumn('actor', 'text')
        .addColumn('evidence', 'text', (col) => col.notNull())
        .addColumn('at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('model_alias_history_idx').on('model_alias_history').columns(['model', 'alias', 'seq']).execute();
    },
  };
}

/**
 * Indexes of the web UI's queries: runs by partition (and by pipeline and state together), newest first;
 * the datasets and models a run registered.
 */
function uiIndexes(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('runs_partition_created_idx').on('runs').columns(['partition_key', 'created_at', 'seq']).execute();
      await db.schema.createIndex('runs_pipeline_state_created_idx').on('runs').columns(['pipeline', 'state', 'created_at', 'seq']).execute();
      await db.schema.createIndex('dataset_versions_run_idx').on('dataset_versions').column('run_id').execute();
      await db.schema.createIndex('model_versions_run_idx').on('model_versions').column('run_id').execute();
    },
  };
}

/**
 * The web UI, part two (issue 13): a failed task run keeps its error's hint (`SluiceError.hint`, the way
 * out) beside the message and stack; `lineage_edges` holds one row per (input id, output version) so
 * "what was made from this version" is an index lookup instead of a LIKE over every version's JSON
 * `inputs`. Existing versions' inputs are copied in, each dialect unpacking the JSON array itself.
 */
function uiHintAndLineage(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('task_runs').addColumn('error_hint', 'text').execute();
      await db.schema
        .createTable('lineage_edges')
        .addColumn('input_id', 'text', (col) => col.notNull())
        .addColumn('output_kind', 'text', (col) => col.notNull())
        .addColumn('output_id', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('lineage_edges_pkey', ['input_id', 'output_kind', 'output_id'])
        .execute();
      for (const [table, kind] of [['dataset_versions', 'dataset'], ['model_versions', 'model']] as const) {
        const unpack = dialect === 'sqlite'
          ? sql`select distinct j.value, ${kind}, v.id from ${sql.table(table)} v, json_each(v.inputs) j where j.type = 'text'`
          : sql`select distinct j, ${kind}, v.id from ${sql.table(table)} v, jsonb_array_elements_text(v.inputs::jsonb) j`;
        await sql`insert into lineage_edges (input_id, output_kind, output_id) ${unpack}`.execute(db);
      }
    },
  };
}

/**
 * Task runs, part two. The orchestration's hot queries: "does this run have an unfinished task?" (every step's commit) and
 * "queue this run's pending dependents" look rows up by run and state, not by run alone (a 1,000-step
 * run scanned its 1,000 rows at every commit).
 */
function taskRunsStateAndLeaseLosses(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('task_runs_run_state_idx').on('task_runs').columns(['run_id', 'state']).execute();
      // Attempts re-queued because their worker died: counted apart from the step's retries (reaper.ts).
      await db.schema.alterTable('task_runs').addColumn('lease_losses', 'integer', (col) => col.notNull().defaultTo(0)).execute();
    },
  };
}

/** All migrations, by name; names sort in application order. */
function metadataMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
    '0002_dataset_version_meta': datasetVersionMeta(),
    '0003_orchestration': orchestration(),
    '0005_model_alias_history': aliasHistory(dialect),
    '0006_schedules': schedulesMigration(),
    '0007_ui_indexes': uiIndexes(),
    '0008_ui_hint_lineage': uiHintAndLineage(dialect),
    '0009_task_runs_state_index_lease_losses': taskRunsStateAndLeaseLosses(),
  };
}

/** The in-code MigrationProvider handed to Kysely's Migrator. */
class SluiceMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialectName) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return metadataMigrations(this.dialect);
  }
}

/**
 * Brings the database to the latest schema; returns the names of the migrations it applied
 * (empty when already up to date). `schema` (PostgreSQL) is where the bookkeeping tables live.
 * `upTo` stops at that migration instead (tests: a database as an earlier Sluice left it).
 */
export async function migrateToLatest(
  db: Kysely<any>,
  dialect: SqlDialectName,
  where: string,
  schema?: string,
  upTo?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new SluiceMigrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = upTo === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(upTo);
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const message = errorMessage(error);
    throw new SluiceError(
      `Migrating the metadata database ${where}${failed === undefined ? '' : ` (migration ${failed})`} failed: ${message}`,
      {
        code: 'METADATA_MIGRATION',
        cause: error,
        context: { database: where },
        hint: message.includes('corrupted migrations')
          ? 'The database was migrated by a different (probably newer) version of Sluice; upgrade Sluice or use another database.'
          : undefined,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
