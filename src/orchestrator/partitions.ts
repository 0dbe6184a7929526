/**
 * Partitions a pipeline declares: daily or monthly time windows (in a time zone), or a fixed list of
 * keys. A run for a partition gets it as `ctx.run.partition` (e.g. "2001-03") and the window's start
 * as `ctx.run.logicalDate`. Keys are plain strings so they travel in run records and CLI flags:
 * daily "YYYY-MM-DD", monthly "YYYY-MM".
 *
 * @example
 * pipeline('flights', { partitions: monthly({ start: '2001-01', end: '2001-06', dependsOnPrevious: true }) })
 */
import { PipelineDefinitionError, SluiceError } from '../core/errors.ts';

export type PartitionKind = 'daily' | 'monthly' | 'keys';

interface PartitionsBase {
  readonly kind: PartitionKind;
  /**
   * Whether a partition's run needs the previous partition's result (e.g. it trains on the months
   * before it): backfills then run partitions one at a time, in order, and stop at the first failure.
   */
  readonly dependsOnPrevious: boolean;
}

export interface TimePartitions extends PartitionsBase {
  readonly kind: 'daily' | 'monthly';
  /** First partition key ("2001-01" or "2001-01-01"). */
  readonly start: string;
  /** Last partition key, inclusive; undefined = open-ended (up to the last complete window). */
  readonly end: string | undefined;
  /** IANA time zone the windows are cut in; "UTC" by default. */
  readonly timezone: string;
}

export interface KeyPartitions extends PartitionsBase {
  readonly kind: 'keys';
  readonly keys: readonly string[];
}

export type PartitionsDef = TimePartitions | KeyPartitions;

export interface TimePartitionOptions {
  start: string;
  end?: string;
  timezone?: string;
  dependsOnPrevious?: boolean;
}

/** One partition per calendar day, keys "YYYY-MM-DD". */
export function daily(options: TimePartitionOptions): TimePartitions {
  return timePartitions('daily', options);
}

/** One partition per calendar month, keys "YYYY-MM". */
export function monthly(options: TimePartitionOptions): TimePartitions {
  return timePartitions('monthly', options);
}

/** A fixed list of partition keys (regions, customers...), in the order given. */
export function partitionKeys(keys: readonly string[], options: { dependsOnPrevious?: boolean } = {}): KeyPartitions {
  if (keys.length === 0) throw new PipelineDefinitionError('partitionKeys() needs at least one key', { hint: 'Pass the keys, e.g. partitionKeys([\'eu\', \'us\']).' });
  const seen = new Set<string>();
  for (const k of keys) {
    if (typeof k !== 'string' || !KEY.test(k)) {
      throw new PipelineDefinitionError(`Partition key ${JSON.stringify(k)} is not valid`, { hint: 'Use letters, digits, "_", "-", "." and "=" (at most 200 characters).' });
    }
    if (seen.has(k)) throw new PipelineDefinitionError(`Partition key "${k}" is listed twice`, { hint: 'Each key may appear once.' });
    seen.add(k);
  }
  return Object.freeze({ kind: 'keys', keys: Object.freeze([...keys]), dependsOnPrevious: options.dependsOnPrevious ?? false });
}

const KEY = /^[A-Za-z0-9_.=-]{1,200}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

function timePartitions(kind: 'daily' | 'monthly', options: TimePartitionOptions): TimePartitions {
  const timezone = options.timezone ?? 'UTC';
  checkTimeZone(timezone, `${kind}() partitions`);
  const def = { kind, start: options.start, end: options.end, timezone, dependsOnPrevious: options.dependsOnPrevious ?? false };
  const start = parseKey(def, options.start, `${kind}() start`);
  if (options.end !== undefined) {
    const end = parseKey(def, options.end, `${kind}() end`);
    if (end < start) throw new PipelineDefinitionError(`${kind}() partitions end (${options.end}) before they start (${options.start})`, { hint: 'Swap start and end.' });
  }
  return Object.freeze(def);
}

/** Throws a definition error unless `tz` is an IANA time zone this Node knows. */
export function checkTimeZone(tz: string, where: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new PipelineDefinitionError(`Unknown time zone ${JSON.stringify(tz)} in ${where}`, { hint: 'Use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York".' });
  }
}

/**
 * A time partition key as a day number (days since 1970-01-01 for daily, months since 1970-01 for
 * monthly), so keys compare and step as integers. Throws a SluiceError naming `where` when malformed.
 */
function parseKey(def: Pick<TimePartitions, 'kind'>, key: string, where: string): number {
  const format = def.kind === 'daily' ? 'YYYY-MM-DD' : 'YYYY-MM';
  const m = (def.kind === 'daily' ? DAY : MONTH).exec(key);
  const bad = (): never => {
    throw new SluiceError(`${where}: ${JSON.stringify(key)} is not a ${def.kind} partition key`, { code: 'PARTITION', hint: `Write it as ${format}, e.g. ${def.kind === 'daily' ? '2001-01-31' : '2001-01'}.` });
  };
  if (!m) return bad();
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12) return bad();
  if (def.kind === 'monthly') return (year - 1970) * 12 + (month - 1);
  const day = Number(m[3]);
  const t = Date.UTC(year, month - 1, day);
  const d = new Date(t);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) return bad();
  return Math.round(t / 86_400_000);
}

function formatKey(def: Pick<TimePartitions, 'kind'>, n: number): string {
  if (def.kind === 'monthly') {
    const year = 1970 + Math.floor(n / 12);
    const month = n - (year - 1970) * 12 + 1;
    return `${pad(year, 4)}-${pad(month, 2)}`;
  }
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Throws unless `key` is a partition of `def` (well formed and inside start..end, or listed). */
export function checkPartition(def: PartitionsDef, key: string, pipeline: string): void {
  if (def.kind === 'keys') {
    if (!def.keys.includes(key)) {
      throw new SluiceError(`Pipeline "${pipeline}" has no partition "${key}"`, { code: 'PARTITION', hint: `Its partitions: ${def.keys.slice(0, 20).join(', ')}${def.keys.length > 20 ? ', ...' : ''}.` });
    }
    return;
  }
  const n = parseKey(def, key, `pipeline "${pipeline}" partition`);
  const start = parseKey(def, def.start, 'start');
  const end = def.end === undefined ? undefined : parseKey(def, def.end, 'end');
  if (n < start || (end !== undefined && n > end)) {
    throw new SluiceError(`Partition ${key} is outside pipeline "${pipeline}"'s ${def.kind} partitions (${def.start} to ${def.end ?? 'open'})`, { code: 'PARTITION', hint: 'Pick a partition inside the declared range, or widen it in the pipeline file.' });
  }
}

/**
 * The partitions from `from` to `to`, inclusive, in order: a lazy sequence (a backfill of years of
 * daily partitions never builds a big array unless asked) with its length known up front.
 */
export interface PartitionRange extends Iterable<string> {
  readonly count: number;
  readonly first: string;
  readonly last: string;
}

export function partitionRange(def: PartitionsDef, from: string, to: string, pipeline: string): PartitionRange {
  checkPartition(def, from, pipeline);
  checkPartition(def, to, pipeline);
  if (def.kind === 'keys') {
    const i = def.keys.indexOf(from);
    const j = def.keys.indexOf(to);
    if (j < i) throw new SluiceError(`Backfill range of "${pipeline}" is empty: "${to}" comes before "${from}" in the partition list`, { code: 'PARTITION', hint: 'Give --from the earlier key.' });
    const keys = def.keys.slice(i, j + 1);
    return { count: keys.length, first: from, last: to, [Symbol.iterator]: () => keys[Symbol.iterator]() };
  }
  const a = parseKey(def, from, '--from');
  const b = parseKey(def, to, '--to');
  if (b < a) throw new SluiceError(`Backfill range of "${pipeline}" is empty: --to ${to} is before --from ${from}`, { code: 'PARTITION', hint: 'Swap --from and --to.' });
  return {
    count: b - a + 1, first: from, last: to,
    *[Symbol.iterator]() { for (let n = a; n <= b; n++) yield formatKey(def, n); },
  };
}

/** Every partition of a pipeline up to `now` (time partitions without an end stop at the last complete window). */
export function allPartitions(def: PartitionsDef, now: number, pipeline: string): PartitionRange | undefined {
  if (def.kind === 'keys') return partitionRange(def, def.keys[0]!, def.keys[def.keys.length - 1]!, pipeline);
  const last = def.end ?? lastCompletePartition(def, now);
  if (last === null || parseKey(def, last, 'end') < parseKey(def, def.start, 'start')) return undefined;
  return partitionRange(def, def.start, last, pipeline);
}

/** When a time partition's window starts (epoch ms), in the partitions' time zone: the run's logical date. */
export function partitionStart(def: TimePartitions, key: string): number {
  const n = parseKey(def, key, 'partition');
  if (def.kind === 'monthly') {
    const year = 1970 + Math.floor(n / 12);
    return zonedMidnight(year, n - (year - 1970) * 12 + 1, 1, def.timezone);
  }
  const d = new Date(n * 86_400_000);
  return zonedMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), def.timezone);
}

/** The logical date of a partition key: a time window's start, or null for key partitions. */
export function logicalDateOf(def: PartitionsDef | undefined, key: string | null): number | null {
  if (!def || key === null || def.kind === 'keys') return null;
  return partitionStart(def, key);
}

/** The partition whose window contains `instant`, whether or not it is declared. */
export function partitionContaining(def: TimePartitions, instant: number): string {
  const { year, month, day } = localDate(instant, def.timezone);
  return def.kind === 'monthly' ? `${pad(year, 4)}-${pad(month, 2)}` : `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * The last partition whose window has ended by `instant` (what a schedule firing at `instant`
 * processes: a monthly schedule on the 1st runs the month before), or null when it is outside the
 * declared start..end.
 */
export function lastCompletePartition(def: TimePartitions, instant: number): string | null {
  const containing = parseKey(def, partitionContaining(def, instant), 'instant');
  const key = formatKey(def, containing - 1);
  const n = containing - 1;
  if (n < parseKey(def, def.start, 'start')) return null;
  if (def.end !== undefined && n > parseKey(def, def.end, 'end')) return null;
  return key;
}

/** The partition whose window contains `instant`, or null when outside start..end. */
export function currentPartition(def: TimePartitions, instant: number): string | null {
  const key = partitionContaining(def, instant);
  const n = parseKey(def, key, 'instant');
  if (n < parseKey(def, def.start, 'start')) return null;
  if (def.end !== undefined && n > parseKey(def, def.end, 'end')) return null;
  return key;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(instant: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(instant))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out['year']!, month: out['month']!, day: out['day']!, hour: out['hour']!, minute: out['minute']!, second: out['second']! };
}

function localDate(instant: number, tz: string): { year: number; month: number; day: number } {
  const { year, month, day } = localParts(instant, tz);
  return { year, month, day };
}

/** The zone's UTC offset at `instant`, in ms (positive east of Greenwich). */
function offsetAt(instant: number, tz: string): number {
  const p = localParts(instant, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant local midnight starts `year-month-day` in `tz`. Where a zone skips midnight (a DST change
 * at 00:00), the day starts at the first instant that exists.
 */
function zonedMidnight(year: number, month: number, day: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall - offsetAt(wall, tz);
  guess = wall - offsetAt(guess, tz);
  const p = localParts(guess, tz);
  if (p.year === year && p.month === month && p.day === day) {
    // Two candidates near a transition: take the earlier instant that still falls on this day.
    const earlier = guess - 3_600_000;
    const q = localParts(earlier, tz);
    if (q.year === year && q.month === month && q.day === day && q.hour === 0) return earlier;
    return guess;
  }
  // Midnight does not exist (the clocks jumped past it): the day starts when the jump lands.
  let t = guess;
  while (!(localParts(t, tz).day === day)) t += 15 * 60_000;
  return t;
}
