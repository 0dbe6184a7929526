/**
 * ScheduleStore on Kysely (SQLite and PostgreSQL): schedules, their occurrences, backfills.
 * Idempotence lives in the keys: an occurrence is inserted with ON CONFLICT DO NOTHING on (pipeline,
 * schedule, occurrence), so two schedulers recording the same instant make one row.
 */
import type { Kysely } from 'kysely';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type {
  BackfillPartitionRecord, BackfillPartitionState, BackfillRecord, BackfillState, CatchUp, NewBackfill,
  ScheduleOccurrenceRecord, ScheduleRecord, ScheduleStore,
} from '../schedule-types.ts';
import type { Json } from '../types.ts';
import type { BackfillPartitionsTable, BackfillsTable, ScheduleOccurrencesTable, SchedulesTable, ScheduleTables } from './schedule-schema.ts';

/** Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const INSERT_CHUNK = 500;
const PARTITION_STATES: readonly BackfillPartitionState[] = ['pending', 'submitted', 'succeeded', 'failed', 'cancelled'];

export class KyselyScheduleStore implements ScheduleStore {
  readonly #db: Kysely<ScheduleTables>;
  readonly #description: string;

  constructor(db: Kysely<ScheduleTables>, description: string) {
    this.#db = db;
    this.#description = description;
  }

  async syncSchedule(s: Pick<ScheduleRecord, 'pipeline' | 'name' | 'cron' | 'timezone' | 'catchUp' | 'file'>, now: number): Promise<ScheduleRecord> {
    return this.#guard(`recording schedule ${s.pipeline}/${s.name}`, async () => {
      await this.#db
        .insertInto('schedules')
        .values({ pipeline: s.pipeline, name: s.name, cron: s.cron, timezone: s.timezone, catch_up: s.catchUp, paused: 0, paused_at: null, cursor_at: now, file: s.file, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['pipeline', 'name']).doUpdateSet({ cron: s.cron, timezone: s.timezone, catch_up: s.catchUp, file: s.file, updated_at: now }))
        .execute();
      const row = await this.#db.selectFrom('schedules').selectAll().where('pipeline', '=', s.pipeline).where('name', '=', s.name).executeTakeFirstOrThrow();
      return toSchedule(row);
    });
  }

  async listSchedules(pipeline?: string): Promise<ScheduleRecord[]> {
    return this.#guard('listing schedules', async () => {
      let q = this.#db.selectFrom('schedules').selectAll();
      if (pipeline !== undefined) q = q.where('pipeline', '=', pipeline);
      return (await q.orderBy('pipeline').orderBy('name').execute()).map(toSchedule);
    });
  }

  async setPaused(pipeline: string, paused: boolean, now: number, name?: string): Promise<number> {
    return this.#guard(`${paused ? 'pausing' : 'resuming'} the schedules of ${pipeline}`, () =>
      this.#db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('schedules').selectAll().where('pipeline', '=', pipeline);
        if (name !== undefined) q = q.where('name', '=', name);
        let changed = 0;
        for (const row of await q.execute()) {
          if ((Number(row.paused) === 1) === paused) continue;
          const set = paused ? { paused: 1, paused_at: now, updated_at: now } : { paused: 0, paused_at: null, cursor_at: Math.max(Number(row.cursor_at), now), updated_at: now };
          await trx.updateTable('schedules').set(set).where('pipeline', '=', pipeline).where('name', '=', row.name).execute();
          changed++;
        }
        return changed;
      }),
    );
  }

  async recordOccurrences(pipeline: string, schedule: string, occurrences: readonly { occurrence: number; partition: string | null }[], cursor: number, now: number): Promise<number> {
    return this.#guard(`recording occurrences of ${pipeline}/${schedule}`, () =>
      this.#db.transaction().execute(async (trx) => {
        let inserted = 0;
        for (let i = 0; i < occurrences.length; i += INSERT_CHUNK) {
          const rows = occurrences.slice(i, i + INSERT_CHUNK).map((o) => ({
            pipeline, schedule, occurrence: o.occurrence, partition_key: o.partition, state: 'pending', run_id: null, created_at: now, submitted_at: null,
          }));
          const r = await trx.insertInto('schedule_occurrences').values(rows).onConflict((oc) => oc.columns(['pipeline', 'schedule', 'occurrence']).doNothing()).executeTakeFirst();
          inserted += Number(r.numInsertedOrUpdatedRows ?? 0n);
        }
        await trx.updateTable('schedules').set({ cursor_at: cursor, updated_at: now })
          .where('pipeline', '=', pipeline).where('name', '=', schedule).where('cursor_at', '<', cursor).execute();
        return inserted;
      }),
    );
  }

  async listPendingOccurrences(limit = 100): Promise<ScheduleOccurrenceRecord[]> {
    return this.#guard('listing pending occurrences', async () =>
      (await this.#db.selectFrom('schedule_occurrences').selectAll().where('state', '=', 'pending').orderBy('occurrence').limit(limit).execute()).map(toOccurrence),
    );
  }

  async markOccurrenceSubmitted(pipeline: string, schedule: string, occurrence: number, runId: string, now: number): Promise<void> {
    await this.#guard(`marking occurrence ${new Date(occurrence).toISOString()} of ${pipeline}/${schedule} submitted`, () =>
      this.#db.updateTable('schedule_occurrences').set({ state: 'submitted', run_id: runId, submitted_at: now })
        .where('pipeline', '=', pipeline).where('schedule', '=', schedule).where('occurrence', '=', occurrence).execute(),
    );
  }

  async listOccurrences(pipeline: string, schedule?: string, limit = 20): Promise<ScheduleOccurrenceRecord[]> {
    return this.#guard(`listing occurrences of ${pipeline}`, async () => {
      let q = this.#db.selectFrom('schedule_occurrences').selectAll().where('pipeline', '=', pipeline);
      if (schedule !== undefined) q = q.where('schedule', '=', schedule);
      return (await q.orderBy('occurrence', 'desc').limit(limit).execute()).map(toOccurrence);
    });
  }

  async createBackfill(b: NewBackfill, partitions: Iterable<string>, now: number): Promise<BackfillRecord> {
    return this.#guard(`creating backfill ${b.id} of ${b.pipeline}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const row: BackfillsTable = {
          id: b.id, pipeline: b.pipeline, file: b.file, from_key: b.from, to_key: b.to, partitions: 0, parallel: b.parallel,
          in_order: b.inOrder ? 1 : 0, params: JSON.stringify(b.params), state: 'running', created_at: now, updated_at: now, finished_at: null, error: null,
        };
        await trx.insertInto('backfills').values(row).execute();
        let seq = 0;
        let chunk: BackfillPartitionsTable[] = [];
        const flush = async (): Promise<void> => {
          if (chunk.length) await trx.insertInto('backfill_partitions').values(chunk).execute();
          chunk = [];
        };
        for (const key of partitions) {
          chunk.push({ backfill_id: b.id, seq: seq++, partition_key: key, state: 'pending', run_id: null, attempts: 0, updated_at: now });
          if (chunk.length >= INSERT_CHUNK) await flush();
        }
        await flush();
        await trx.updateTable('backfills').set({ partitions: seq }).where('id', '=', b.id).execute();
        return toBackfill({ ...row, partitions: seq });
      }),
    );
  }

  async getBackfill(id: string): Promise<BackfillRecord | undefined> {
    const row = await this.#guard(`reading backfill ${id}`, () => this.#db.selectFrom('backfills').selectAll().where('id', '=', id).executeTakeFirst());
    return row && toBackfill(row);
  }

  async findBackfill(pipeline: string, from: string, to: string, params: Record<string, Json>): Promise<BackfillRecord | undefined> {
    const wanted = JSON.stringify(sortKeys(params));
    const rows = await this.#guard(`looking up backfills of ${pipeline}`, () =>
      this.#db.selectFrom('backfills').selectAll().where('pipeline', '=', pipeline).where('from_key', '=', from).where('to_key', '=', to).orderBy('created_at', 'desc').execute(),
    );
    const row = rows.find((r) => JSON.stringify(sortKeys(JSON.parse(r.params) as Record<string, Json>)) === wanted);
    return row && toBackfill(row);
  }

  async listBackfills(options: { pipeline?: string; limit?: number } = {}): Promise<BackfillRecord[]> {
    return this.#guard('listing backfills', async () => {
      let q = this.#db.selectFrom('backfills').selectAll();
      if (options.pipeline !== undefined) q = q.where('pipeline', '=', options.pipeline);
      return (await q.orderBy('created_at', 'desc').limit(options.limit ?? 20).execute()).map(toBackfill);
    });
  }

  async listBackfillPartitions(id: string, options: { states?: readonly BackfillPartitionState[]; afterSeq?: number; limit?: number } = {}): Promise<BackfillPartitionRecord[]> {
    return this.#guard(`listing partitions of backfill ${id}`, async () => {
      let q = this.#db.selectFrom('backfill_partitions').selectAll().where('backfill_id', '=', id);
      if (options.states) q = q.where('state', 'in', options.states.length ? [...options.states] : ['(none)']);
      if (options.afterSeq !== undefined) q = q.where('seq', '>', options.afterSeq);
      q = q.orderBy('seq');
      if (options.limit !== undefined) q = q.limit(options.limit);
      return (await q.execute()).map(toBackfillPartition);
    });
  }

  async countBackfillPartitions(id: string): Promise<Record<BackfillPartitionState, number>> {
    return this.#guard(`counting partitions of backfill ${id}`, async () => {
      const rows = await this.#db.selectFrom('backfill_partitions').select(['state']).select((eb) => eb.fn.countAll<number>().as('n')).where('backfill_id', '=', id).groupBy('state').execute();
      const out = Object.fromEntries(PARTITION_STATES.map((s) => [s, 0])) as Record<BackfillPartitionState, number>;
      for (const r of rows) out[r.state as BackfillPartitionState] = Number(r.n);
      return out;
    });
  }

  async updateBackfillPartition(id: string, seq: number, patch: Partial<Pick<BackfillPartitionRecord, 'state' | 'runId' | 'attempts'>>, now: number): Promise<void> {
    const set: Partial<BackfillPartitionsTable> = { updated_at: now };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.runId !== undefined) set.run_id = patch.runId;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    await this.#guard(`updating partition ${seq} of backfill ${id}`, () => this.#db.updateTable('backfill_partitions').set(set).where('backfill_id', '=', id).where('seq', '=', seq).execute());
  }

  async updateBackfill(id: string, patch: Partial<Pick<BackfillRecord, 'state' | 'finishedAt' | 'error' | 'parallel'>>, now: number): Promise<void> {
    const set: Partial<BackfillsTable> = { updated_at: now };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.parallel !== undefined) set.parallel = patch.parallel;
    await this.#guard(`updating backfill ${id}`, () => this.#db.updateTable('backfills').set(set).where('id', '=', id).execute());
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new SluiceError(`Metadata store ${this.#description}: ${what} failed: ${errorMessage(err)}`, { code: 'METADATA', cause: err });
    }
  }
}

function sortKeys(o: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function toSchedule(r: SchedulesTable): ScheduleRecord {
  return {
    pipeline: r.pipeline, name: r.name, cron: r.cron, timezone: r.timezone, catchUp: r.catch_up as CatchUp, paused: Number(r.paused) === 1,
    pausedAt: r.paused_at === null ? null : Number(r.paused_at), cursor: Number(r.cursor_at), file: r.file, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}

function toOccurrence(r: ScheduleOccurrencesTable): ScheduleOccurrenceRecord {
  return {
    pipeline: r.pipeline, schedule: r.schedule, occurrence: Number(r.occurrence), partition: r.partition_key, state: r.state as 'pending' | 'submitted',
    runId: r.run_id, createdAt: Number(r.created_at), submittedAt: r.submitted_at === null ? null : Number(r.submitted_at),
  };
}

function toBackfill(r: BackfillsTable): BackfillRecord {
  return {
    id: r.id, pipeline: r.pipeline, file: r.file, from: r.from_key, to: r.to_key, partitions: Number(r.partitions), parallel: Number(r.parallel),
    inOrder: Number(r.in_order) === 1, params: JSON.parse(r.params) as Record<string, Json>, state: r.state as BackfillState,
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at), error: r.error,
  };
}

function toBackfillPartition(r: BackfillPartitionsTable): BackfillPartitionRecord {
  return {
    backfillId: r.backfill_id, seq: Number(r.seq), partition: r.partition_key, state: r.state as BackfillPartitionState,
    runId: r.run_id, attempts: Number(r.attempts), updatedAt: Number(r.updated_at),
  };
}
