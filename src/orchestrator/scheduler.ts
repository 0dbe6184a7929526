/**
 * The scheduler: a loop that starts the runs a project's schedules make due, through an Executor.
 *
 * Exactly once per occurrence, across restarts and several schedulers, by two keys:
 * 1. each occurrence is first recorded as a row unique on (pipeline, schedule, instant), together with
 *    the schedule's cursor (what has been dealt with), in one transaction;
 * 2. its run is submitted with the idempotency key `schedule:<instant ISO>`, so a scheduler that died
 *    after recording (or a second scheduler submitting the same row) gets the existing run back.
 * A recorded occurrence whose run was not submitted yet is submitted by the next tick of any scheduler.
 * Occurrences that fell due while no scheduler ran are caught up by the schedule's policy.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { MetadataStore, ScheduleRecord } from '../store/types.ts';
import type { Executor } from './executor-types.ts';
import type { PipelineGraph } from './graph.ts';
import { partitionStart } from './partitions.ts';
import type { ProjectPipeline } from './project.ts';
import { dueOccurrences, nextOccurrence, partitionForOccurrence, type ScheduleDef } from './schedule.ts';

/** The idempotency key of a scheduled run. */
export function scheduleRunKey(schedule: string, occurrence: number): string {
  const at = new Date(occurrence).toISOString();
  return schedule === 'default' ? `schedule:${at}` : `schedule:${schedule}:${at}`;
}

export interface SchedulerOptions {
  store: MetadataStore;
  executor: Pick<Executor, 'submit'>;
  pipelines: readonly ProjectPipeline[];
  clock?: Clock;
  /** How often to look (ms); default 1000. */
  tickMs?: number;
  log?: (line: string) => void;
  /** Called for each run submitted. */
  onSubmit?: (s: TickResult['submitted'][number]) => void;
}

export interface TickResult {
  /** Runs submitted this tick: pipeline, schedule, occurrence, run id. */
  submitted: { pipeline: string; schedule: string; occurrence: number; partition: string | null; runId: string }[];
  /** Occurrences passed over by the catch-up policy or a pause. */
  skipped: number;
}

/** Occurrences recorded per tick and schedule at most (a long downtime with catch-up `all` drains over ticks). */
const MAX_PER_TICK = 1000;

export class Scheduler {
  readonly #store: MetadataStore;
  readonly #executor: Pick<Executor, 'submit'>;
  readonly #pipelines: Map<string, ProjectPipeline>;
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #log: (line: string) => void;
  readonly #onSubmit: SchedulerOptions['onSubmit'];
  /** From this instant on the scheduler has been watching: occurrences after it are never "missed". */
  #watchingSince: number | undefined;
  #synced = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#executor = options.executor;
    this.#pipelines = new Map(options.pipelines.map((p) => [p.name, p]));
    this.#clock = options.clock ?? systemClock;
    this.#tickMs = options.tickMs ?? 1000;
    this.#log = options.log ?? (() => {});
    this.#onSubmit = options.onSubmit;
  }

  /** Records every declared schedule (new ones start now); returns their records. */
  async sync(): Promise<ScheduleRecord[]> {
    const now = this.#clock.now();
    const out: ScheduleRecord[] = [];
    for (const p of this.#pipelines.values()) {
      for (const s of p.graph.schedules) {
        out.push(await this.#store.schedules.syncSchedule({ pipeline: p.name, name: s.name, cron: s.cron, timezone: s.timezone, catchUp: s.catchUp, file: p.file }, now));
      }
    }
    this.#synced = true;
    return out;
  }

  /** One pass: record what fell due since each schedule's cursor, then submit every recorded occurrence not yet submitted. */
  async tick(): Promise<TickResult> {
    if (!this.#synced) await this.sync();
    const now = this.#clock.now();
    this.#watchingSince ??= now;
    let skipped = 0;
    const rows = await this.#store.schedules.listSchedules();
    for (const row of rows) {
      const p = this.#pipelines.get(row.pipeline);
      const def = p?.graph.schedules.find((s) => s.name === row.name);
      if (!p || !def) continue; // a schedule of a pipeline this project no longer declares
      if (row.paused) {
        const passed = countBetween(def, row.cursor, now);
        if (passed > 0) this.#log(`${row.pipeline}/${row.name}: paused, ${passed} occurrence(s) not run`);
        skipped += passed;
        await this.#store.schedules.recordOccurrences(row.pipeline, row.name, [], now, now);
        continue;
      }
      const due = dueOccurrences(def, row.cursor, now, this.#watchingSince);
      const taken = due.run.slice(0, MAX_PER_TICK);
      const cursor = taken.length < due.run.length ? taken[taken.length - 1]! : now;
      if (due.skipped > 0) {
        this.#log(`${row.pipeline}/${row.name}: ${due.skipped} occurrence(s) missed while no scheduler ran, not run (catch-up: ${def.catchUp})`);
        skipped += due.skipped;
      }
      const occurrences: { occurrence: number; partition: string | null }[] = [];
      for (const at of taken) {
        const { partition, outside } = partitionForOccurrence(def, p.graph.partitions, at);
        if (outside) {
          this.#log(`${row.pipeline}/${row.name}: occurrence ${new Date(at).toISOString()} has no partition inside the declared range, not run`);
          skipped++;
          continue;
        }
        occurrences.push({ occurrence: at, partition });
      }
      await this.#store.schedules.recordOccurrences(row.pipeline, row.name, occurrences, cursor, now);
    }
    return { submitted: await this.#submitPending(), skipped };
  }

  async #submitPending(): Promise<TickResult['submitted']> {
    const submitted: TickResult['submitted'] = [];
    for (;;) {
      const pending = await this.#store.schedules.listPendingOccurrences(100);
      let progressed = false;
      for (const o of pending) {
        const p = this.#pipelines.get(o.pipeline);
        if (!p) continue;
        const run = await this.#executor.submit(p.graph, {
          key: scheduleRunKey(o.schedule, o.occurrence),
          trigger: 'schedule',
          partition: o.partition,
          logicalDate: logicalDateFor(p.graph, o.partition, o.occurrence),
          pipelineFile: p.file,
        });
        await this.#store.schedules.markOccurrenceSubmitted(o.pipeline, o.schedule, o.occurrence, run.id, this.#clock.now());
        this.#log(`${o.pipeline}/${o.schedule}: ${new Date(o.occurrence).toISOString()}${o.partition ? ` (partition ${o.partition})` : ''} -> run ${run.id}`);
        const s = { pipeline: o.pipeline, schedule: o.schedule, occurrence: o.occurrence, partition: o.partition, runId: run.id };
        submitted.push(s);
        this.#onSubmit?.(s);
        progressed = true;
      }
      if (!progressed || pending.length < 100) return submitted;
    }
  }

  /** Ticks every `tickMs` until stop(); a failed tick is logged and retried on the next. */
  start(): void {
    const loop = async (): Promise<void> => {
      if (this.#stopped) return;
      this.#running = this.tick().then(() => {}, (err: unknown) => this.#log(`scheduler tick failed: ${errorMessage(err)}`));
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#tickMs);
    };
    void loop();
  }

  /** Stops ticking; resolves when the tick under way (if any) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}

/** A partitioned run's logical date is its partition's start; otherwise the occurrence itself. */
function logicalDateFor(graph: PipelineGraph, partition: string | null, occurrence: number): number {
  if (partition !== null && graph.partitions && graph.partitions.kind !== 'keys') return partitionStart(graph.partitions, partition);
  return occurrence;
}

function countBetween(def: ScheduleDef, after: number, until: number): number {
  let n = 0;
  for (let t = nextOccurrence(def, after); t !== null && t <= until && n < 100_000; t = nextOccurrence(def, t)) n++;
  return n;
}
