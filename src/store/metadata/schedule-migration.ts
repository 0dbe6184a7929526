/**
 * Migration 0004_schedules: schedules (cursor, pause), schedule occurrences (unique per pipeline,
 * schedule and instant), backfills and their partitions. Frozen once shipped, like every migration.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema type */
import type { Kysely, Migration } from 'kysely';

export function schedulesMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('schedules')
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('catch_up', 'text', (c) => c.notNull())
        .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('paused_at', 'bigint')
        .addColumn('cursor_at', 'bigint', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('schedules_pkey', ['pipeline', 'name'])
        .execute();

      // The primary key is the idempotency of the scheduler: one row per occurrence, ever.
      await db.schema
        .createTable('schedule_occurrences')
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('occurrence', 'bigint', (c) => c.notNull())
        .addColumn('partition_key', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('submitted_at', 'bigint')
        .addPrimaryKeyConstraint('schedule_occurrences_pkey', ['pipeline', 'schedule', 'occurrence'])
        .execute();
      await db.schema.createIndex('schedule_occurrences_state_idx').on('schedule_occurrences').columns(['state', 'occurrence']).execute();

      await db.schema
        .createTable('backfills')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pipeline', 'text', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('from_key', 'text', (c) => c.notNull())
        .addColumn('to_key', 'text', (c) => c.notNull())
        .addColumn('partitions', 'integer', (c) => c.notNull())
        .addColumn('parallel', 'integer', (c) => c.notNull())
        .addColumn('in_order', 'integer', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('backfills_pipeline_idx').on('backfills').columns(['pipeline', 'from_key', 'to_key', 'created_at']).execute();

      await db.schema
        .createTable('backfill_partitions')
        .addColumn('backfill_id', 'text', (c) => c.notNull().references('backfills.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('partition_key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('backfill_partitions_pkey', ['backfill_id', 'seq'])
        .addUniqueConstraint('backfill_partitions_partition_key', ['backfill_id', 'partition_key'])
        .execute();
      await db.schema.createIndex('backfill_partitions_state_idx').on('backfill_partitions').columns(['backfill_id', 'state', 'seq']).execute();
    },
  };
}
