/**
 * The scheduling records of the metadata store (migration 0004_schedules): each pipeline schedule's
 * cursor and pause state, one row per schedule occurrence (unique per pipeline, schedule and
 * instant: a restarted or second scheduler can never start one twice), and backfills with one row
 * per partition. All times are epoch ms.
 */
// The same JSON type as types.ts (not imported from there: types.ts imports this file).
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type CatchUp = 'all' | 'latest' | 'none';

export interface ScheduleRecord {
  pipeline: string;
  name: string;
  cron: string;
  timezone: string;
  catchUp: CatchUp;
  paused: boolean;
  pausedAt: number | null;
  /** Occurrences up to this instant have been dealt with (run or skipped by policy). */
  cursor: number;
  /** The file the pipeline was loaded from when the schedule was last seen. */
  file: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ScheduleOccurrenceRecord {
  pipeline: string;
  schedule: string;
  /** The instant the schedule fired (epoch ms, UTC). */
  occurrence: number;
  partition: string | null;
  /** 'pending' until its run is submitted (then the run id is set). */
  state: 'pending' | 'submitted';
  runId: string | null;
  createdAt: number;
  submittedAt: number | null;
}

export type BackfillState = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type BackfillPartitionState = 'pending' | 'submitted' | 'succeeded' | 'failed' | 'cancelled';

export interface BackfillRecord {
  id: string;
  pipeline: string;
  file: string | null;
  from: string;
  to: string;
  /** Number of partitions in from..to. */
  partitions: number;
  /** Runs in flight at once (1 when the pipeline's partitions depend on the previous one). */
  parallel: number;
  inOrder: boolean;
  params: Record<string, Json>;
  state: BackfillState;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface BackfillPartitionRecord {
  backfillId: string;
  /** Position in the range, 0-based: the order partitions are started in. */
  seq: number;
  partition: string;
  state: BackfillPartitionState;
  /** The latest run for this partition. */
  runId: string | null;
  /** Runs made for it so far (a resumed backfill makes a new run for a failed partition). */
  attempts: number;
  updatedAt: number;
}

export type NewBackfill = Omit<BackfillRecord, 'state' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'error' | 'partitions'>;

export interface ScheduleStore {
  /**
   * Records a declared schedule: a new one starts with its cursor at `now` (nothing before its first
   * sight runs); a known one gets its pattern, zone, policy and file updated, keeping cursor and pause.
   */
  syncSchedule(s: Pick<ScheduleRecord, 'pipeline' | 'name' | 'cron' | 'timezone' | 'catchUp' | 'file'>, now: number): Promise<ScheduleRecord>;
  listSchedules(pipeline?: string): Promise<ScheduleRecord[]>;
  /** Pauses or resumes a pipeline's schedules (one by name, or all); resuming moves the cursor to `now`, so what fell due while paused does not run. Returns how many changed. */
  setPaused(pipeline: string, paused: boolean, now: number, name?: string): Promise<number>;
  /**
   * In one transaction: records the occurrences (those already recorded are left alone) and moves the
   * schedule's cursor forward to `cursor` (never back). Returns how many occurrences were new.
   */
  recordOccurrences(pipeline: string, schedule: string, occurrences: readonly { occurrence: number; partition: string | null }[], cursor: number, now: number): Promise<number>;
  /** Occurrences recorded but whose run was not submitted yet (a scheduler died in between), oldest first. */
  listPendingOccurrences(limit?: number): Promise<ScheduleOccurrenceRecord[]>;
  markOccurrenceSubmitted(pipeline: string, schedule: string, occurrence: number, runId: string, now: number): Promise<void>;
  /** Newest first. */
  listOccurrences(pipeline: string, schedule?: string, limit?: number): Promise<ScheduleOccurrenceRecord[]>;

  /** Creates a backfill and one pending row per partition, in one transaction (inserted in chunks). */
  createBackfill(b: NewBackfill, partitions: Iterable<string>, now: number): Promise<BackfillRecord>;
  getBackfill(id: string): Promise<BackfillRecord | undefined>;
  /** The newest backfill of `pipeline` over exactly from..to with these params (JSON-equal), if any. */
  findBackfill(pipeline: string, from: string, to: string, params: Record<string, Json>): Promise<BackfillRecord | undefined>;
  /** Newest first. */
  listBackfills(options?: { pipeline?: string; limit?: number }): Promise<BackfillRecord[]>;
  /** In range order; `afterSeq` and `limit` page through big backfills. */
  listBackfillPartitions(id: string, options?: { states?: readonly BackfillPartitionState[]; afterSeq?: number; limit?: number }): Promise<BackfillPartitionRecord[]>;
  countBackfillPartitions(id: string): Promise<Record<BackfillPartitionState, number>>;
  updateBackfillPartition(id: string, seq: number, patch: Partial<Pick<BackfillPartitionRecord, 'state' | 'runId' | 'attempts'>>, now: number): Promise<void>;
  updateBackfill(id: string, patch: Partial<Pick<BackfillRecord, 'state' | 'finishedAt' | 'error' | 'parallel'>>, now: number): Promise<void>;
}
