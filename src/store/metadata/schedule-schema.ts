/** Kysely table types of migration 0004_schedules (see ../schedule-types.ts for the records). */
export interface SchedulesTable {
  pipeline: string;
  name: string;
  cron: string;
  timezone: string;
  catch_up: string;
  /** 0 or 1. */
  paused: number;
  paused_at: number | null;
  cursor_at: number;
  file: string | null;
  created_at: number;
  updated_at: number;
}

export interface ScheduleOccurrencesTable {
  pipeline: string;
  schedule: string;
  occurrence: number;
  partition_key: string | null;
  state: string;
  run_id: string | null;
  created_at: number;
  submitted_at: number | null;
}

export interface BackfillsTable {
  id: string;
  pipeline: string;
  file: string | null;
  from_key: string;
  to_key: string;
  partitions: number;
  parallel: number;
  /** 0 or 1. */
  in_order: number;
  /** JSON object. */
  params: string;
  state: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  error: string | null;
}

export interface BackfillPartitionsTable {
  backfill_id: string;
  seq: number;
  partition_key: string;
  state: string;
  run_id: string | null;
  attempts: number;
  updated_at: number;
}

export interface ScheduleTables {
  schedules: SchedulesTable;
  schedule_occurrences: ScheduleOccurrencesTable;
  backfills: BackfillsTable;
  backfill_partitions: BackfillPartitionsTable;
}
