/**
 * Schedules a pipeline declares: a cron pattern read in a time zone (croner), what to do about
 * occurrences missed while no scheduler ran (catch-up), and which partition a scheduled run takes.
 *
 * An occurrence is an instant (epoch ms, UTC). Daylight-saving changes are croner's: a fixed-time job
 * (`30 2 * * *`) whose local time does not exist on the spring-forward day runs when the gap ends
 * (03:00), and runs once on the fall-back day though 01:30 happens twice; an interval job
 * (`*\/30 * * * *`) runs at every real half hour, so on the fall-back day 01:00 and 01:30 each come
 * twice, at different instants. Lists and ranges of hours (`30 1,2 * * *`) count as fixed times
 * (croner's `fixedTimeRule: 'no-wildcard'`, as Vixie cron): only patterns with `*` or a step in the
 * hour or minute are interval jobs. The scheduler keys each run by its occurrence instant, so the same
 * instant can never run twice.
 *
 * @example
 * pipeline('flights', { partitions: monthly({ start: '2001-01' }), schedule: { cron: '0 6 1 * *', timezone: 'Europe/Berlin' } })
 */
import { Cron } from 'croner';
import { PipelineDefinitionError } from '../core/errors.ts';
import { checkTimeZone, currentPartition, lastCompletePartition, type PartitionsDef } from './partitions.ts';

/**
 * After downtime, which of the occurrences that fell due while no scheduler ran get a run:
 * - `all`: each missed occurrence once, oldest first;
 * - `latest`: only the most recent one;
 * - `none`: none (only occurrences that fall due while a scheduler runs).
 */
export type CatchUpPolicy = 'all' | 'latest' | 'none';

/**
 * Which partition a scheduled run of a time-partitioned pipeline processes: `last-complete` (the
 * window that ended most recently: a monthly schedule on the 1st runs the previous month) or
 * `current` (the window the occurrence falls in).
 */
export type SchedulePartition = 'last-complete' | 'current';

export interface ScheduleOptions {
  /** Cron pattern, 5 fields (minute precision) or 6 (seconds first), e.g. "0 6 1 * *". */
  cron: string;
  /** IANA time zone the pattern is read in; "UTC" by default. */
  timezone?: string;
  /** Name, unique in the pipeline; "default" when the pipeline has one schedule. */
  name?: string;
  catchUp?: CatchUpPolicy;
  partition?: SchedulePartition;
}

export interface ScheduleDef {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly catchUp: CatchUpPolicy;
  readonly partition: SchedulePartition;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Checks schedule declarations (pattern, zone, names) against the pipeline's partitions and freezes them. */
export function defineSchedules(pipeline: string, given: ScheduleOptions | readonly ScheduleOptions[] | undefined, partitions: PartitionsDef | undefined): readonly ScheduleDef[] {
  const list = given === undefined ? [] : Array.isArray(given) ? (given as readonly ScheduleOptions[]) : [given as ScheduleOptions];
  const names = new Set<string>();
  const out: ScheduleDef[] = [];
  for (const [i, s] of list.entries()) {
    const name = s.name ?? (list.length === 1 ? 'default' : `schedule${i + 1}`);
    const where = `schedule "${name}" of pipeline "${pipeline}"`;
    if (!NAME.test(name)) throw new PipelineDefinitionError(`The name of ${where} is not valid`, { hint: 'Use letters, digits, "_", "-" and "."; start with a letter or "_".' });
    if (names.has(name)) throw new PipelineDefinitionError(`Pipeline "${pipeline}" has two schedules named "${name}"`, { hint: 'Give each schedule its own `name`.' });
    names.add(name);
    if (typeof s.cron !== 'string' || s.cron.trim() === '') throw new PipelineDefinitionError(`${where} has no cron pattern`, { hint: 'e.g. { cron: "0 6 1 * *" } for 06:00 on the first of each month.' });
    const timezone = s.timezone ?? 'UTC';
    checkTimeZone(timezone, where);
    try {
      new Cron(s.cron, { timezone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', paused: true });
    } catch (err) {
      throw new PipelineDefinitionError(`Cron pattern ${JSON.stringify(s.cron)} of ${where} is not valid: ${err instanceof Error ? err.message : String(err)}`, {
        hint: 'Five fields: minute hour day-of-month month day-of-week, e.g. "0 6 1 * *" (a sixth, leading field is seconds).',
        cause: err,
      });
    }
    const catchUp = s.catchUp ?? 'all';
    if (!['all', 'latest', 'none'].includes(catchUp)) throw new PipelineDefinitionError(`${where}: catchUp must be "all", "latest" or "none", got ${JSON.stringify(catchUp)}`);
    const partition = s.partition ?? 'last-complete';
    if (!['last-complete', 'current'].includes(partition)) throw new PipelineDefinitionError(`${where}: partition must be "last-complete" or "current", got ${JSON.stringify(partition)}`);
    if (partitions?.kind === 'keys') {
      throw new PipelineDefinitionError(`Pipeline "${pipeline}" has key partitions and a schedule: a scheduled run would not know which key to run`, {
        hint: 'Schedule a pipeline with daily or monthly partitions, or none; run key partitions with `sluice backfill`.',
      });
    }
    out.push(Object.freeze({ name, cron: s.cron, timezone, catchUp, partition }));
  }
  return Object.freeze(out);
}

const crons = new WeakMap<ScheduleDef, Cron>();

function cronOf(s: ScheduleDef): Cron {
  let c = crons.get(s);
  if (!c) {
    c = new Cron(s.cron, { timezone: s.timezone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', paused: true });
    crons.set(s, c);
  }
  return c;
}

/** The first occurrence strictly after `after` (epoch ms), or null when the pattern never fires again. */
export function nextOccurrence(s: ScheduleDef, after: number): number | null {
  // croner's nextRun(d) returns the first run after d, truncated to whole seconds.
  const next = cronOf(s).nextRun(new Date(after));
  return next ? next.getTime() : null;
}

/** The next `n` occurrences after `after`. */
export function nextOccurrences(s: ScheduleDef, after: number, n: number): number[] {
  const out: number[] = [];
  let t = after;
  while (out.length < n) {
    const next = nextOccurrence(s, t);
    if (next === null) break;
    out.push(next);
    t = next;
  }
  return out;
}

/**
 * Occurrences in (after, until], oldest first, at most `limit` (the rest are counted): the scheduler's
 * view of what fell due since it last looked. `count` includes those beyond the limit.
 */
export function occurrencesBetween(s: ScheduleDef, after: number, until: number, limit = 10_000): { occurrences: number[]; count: number; latest: number | null } {
  const occurrences: number[] = [];
  let count = 0;
  let latest: number | null = null;
  let t = after;
  for (;;) {
    const next = nextOccurrence(s, t);
    if (next === null || next > until) break;
    count++;
    latest = next;
    if (occurrences.length < limit) occurrences.push(next);
    t = next;
  }
  return { occurrences, count, latest };
}

/**
 * Which occurrences in (after, until] get a run under the schedule's catch-up policy. `onTimeSince`
 * is the instant from which the scheduler has been watching without a gap: occurrences after it are
 * never "missed", whatever the policy.
 */
export function dueOccurrences(s: ScheduleDef, after: number, until: number, onTimeSince: number): { run: number[]; skipped: number } {
  const missedUntil = Math.min(until, onTimeSince);
  const missed = missedUntil > after ? occurrencesBetween(s, after, missedUntil) : { occurrences: [], count: 0, latest: null };
  const onTime = occurrencesBetween(s, Math.max(after, missedUntil), until).occurrences;
  if (s.catchUp === 'all') {
    if (missed.count > missed.occurrences.length) {
      // More than the limit missed: take the oldest `limit` now; the cursor moves to the last taken, so the rest come on the next tick.
      return { run: missed.occurrences, skipped: 0 };
    }
    return { run: [...missed.occurrences, ...onTime], skipped: 0 };
  }
  if (s.catchUp === 'latest') {
    if (onTime.length > 0 || missed.latest === null) return { run: onTime, skipped: missed.count };
    return { run: [missed.latest, ...onTime], skipped: missed.count - 1 };
  }
  return { run: onTime, skipped: missed.count };
}

/** The partition a run at occurrence `at` processes under the schedule, or null for an unpartitioned pipeline. */
export function partitionForOccurrence(s: ScheduleDef, partitions: PartitionsDef | undefined, at: number): { partition: string | null; outside: boolean } {
  if (!partitions || partitions.kind === 'keys') return { partition: null, outside: false };
  const key = s.partition === 'current' ? currentPartition(partitions, at) : lastCompletePartition(partitions, at);
  return { partition: key, outside: key === null };
}
