/**
 * Date and time parts: a timestamp or date column (epoch milliseconds, or ISO-like text such as
 * "2012-01-31", "2012-01-31T10:00:00", "2001/01/14 21:55") becomes numeric columns
 * `<column>_<part>`: year, month (1-12), day (1-31), dayOfWeek (Monday 0 .. Sunday 6, as pandas),
 * dayOfYear, hour, minute, weekend (0/1). Cyclic parts add `<column>_<part>_sin` and `_cos`,
 * sin(2 pi v / period) as in scikit-learn's time-related feature engineering example (hour / 24,
 * dayOfWeek / 7, month / 12, minute / 60, day / 31, dayOfYear / 365), so 23:00 sits next to 00:00.
 *
 * Values are read as wall-clock time: epoch milliseconds in UTC (how Sluice stores timestamps and
 * dates), and text as written (a trailing offset or Z is ignored, not converted).
 * The input column is replaced by its parts. Nothing is learned, but fitting checks the column.
 *
 * @example
 * const dp = fitDateParts(train, ['departure'], { parts: ['weekend'], cyclic: ['hour', 'dayOfWeek', 'month'] });
 * dp.outputs; // ['departure_weekend', 'departure_hour_sin', 'departure_hour_cos', ...]
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { checkDistinct, floatColumn, replaceColumns, requireColumn } from './columns.ts';
import { registerTransformer, type FittedTransformer } from './transformer.ts';

export type DatePart = 'year' | 'month' | 'day' | 'dayOfWeek' | 'dayOfYear' | 'hour' | 'minute' | 'weekend';
export type CyclicPart = 'month' | 'day' | 'dayOfWeek' | 'dayOfYear' | 'hour' | 'minute';

const PARTS: readonly DatePart[] = ['year', 'month', 'day', 'dayOfWeek', 'dayOfYear', 'hour', 'minute', 'weekend'];
export const CYCLE_PERIODS: Readonly<Record<CyclicPart, number>> = { month: 12, day: 31, dayOfWeek: 7, dayOfYear: 365, hour: 24, minute: 60 };

export interface DatePartsOptions {
  /** Plain parts (default: month, dayOfWeek, weekend, and hour for timestamps that have a time of day). */
  parts?: readonly DatePart[];
  /** Parts also (or only) given as sin/cos pairs. */
  cyclic?: readonly CyclicPart[];
}

export class DateParts implements FittedTransformer {
  readonly type = 'date-parts';
  readonly inputs: readonly string[];
  readonly parts: readonly DatePart[];
  readonly cyclic: readonly CyclicPart[];

  constructor(inputs: readonly string[], parts: readonly DatePart[], cyclic: readonly CyclicPart[]) {
    this.inputs = inputs; this.parts = parts; this.cyclic = cyclic;
  }

  get outputs(): readonly string[] {
    return this.inputs.flatMap((name) => [
      ...this.parts.map((p) => `${name}_${p}`),
      ...this.cyclic.flatMap((p) => [`${name}_${p}_sin`, `${name}_${p}_cos`]),
    ]);
  }

  transform(frame: Frame): Frame {
    const added: [string, Column][] = [];
    for (const name of this.inputs) {
      const ms = wallClockMillis(frame, name);
      const n = ms.length;
      const needed = new Set<DatePart>([...this.parts, ...this.cyclic]);
      const col = (p: DatePart): Float64Array | undefined => (needed.has(p) ? new Float64Array(n) : undefined);
      const year = col('year'), month = col('month'), day = col('day'), dayOfWeek = col('dayOfWeek');
      const dayOfYear = col('dayOfYear'), hour = col('hour'), minute = col('minute'), weekend = col('weekend');
      const values: Record<DatePart, Float64Array | undefined> = { year, month, day, dayOfWeek, dayOfYear, hour, minute, weekend };
      for (let i = 0; i < n; i++) {
        const t = ms[i]!;
        if (Number.isNaN(t)) { for (const p of needed) values[p]![i] = NaN; continue; }
        const days = Math.floor(t / 86_400_000);
        const msOfDay = t - days * 86_400_000;
        const date = civilFromDays(days);
        const dow = ((days % 7) + 7 + 3) % 7; // 1970-01-01 was a Thursday (3 when Monday is 0)
        if (year) year[i] = date.year;
        if (month) month[i] = date.month;
        if (day) day[i] = date.day;
        if (dayOfWeek) dayOfWeek[i] = dow;
        if (dayOfYear) dayOfYear[i] = days - daysFromCivil(date.year, 1, 1) + 1;
        if (hour) hour[i] = Math.floor(msOfDay / 3_600_000);
        if (minute) minute[i] = Math.floor(msOfDay / 60_000) % 60;
        if (weekend) weekend[i] = dow >= 5 ? 1 : 0;
      }
      for (const p of this.parts) added.push([`${name}_${p}`, floatColumn(values[p]!)]);
      for (const p of this.cyclic) {
        const v = values[p]!;
        const sin = new Float64Array(n), cos = new Float64Array(n);
        // v / period * 2 pi, in that order, as the reference example computes it.
        for (let i = 0; i < n; i++) { const a = (v[i]! / CYCLE_PERIODS[p]) * 2 * Math.PI; sin[i] = Math.sin(a); cos[i] = Math.cos(a); }
        added.push([`${name}_${p}_sin`, floatColumn(sin)], [`${name}_${p}_cos`, floatColumn(cos)]);
      }
    }
    return replaceColumns(frame, this.inputs, added);
  }

  toJSON(): { type: string; state: Json } {
    return { type: this.type, state: { inputs: [...this.inputs], parts: [...this.parts], cyclic: [...this.cyclic] } };
  }
}

export function fitDateParts(frame: Frame, columns: readonly string[], options: DatePartsOptions = {}): DateParts {
  checkDistinct(columns, 'date-parts');
  for (const p of options.parts ?? []) {
    if (!PARTS.includes(p)) throw new DataError(`date-parts: unknown part ${JSON.stringify(p)}`, { hint: `Parts: ${PARTS.join(', ')}.` });
  }
  for (const p of options.cyclic ?? []) {
    if (!(p in CYCLE_PERIODS)) throw new DataError(`date-parts: ${JSON.stringify(p)} has no cycle`, { hint: `Cyclic parts: ${Object.keys(CYCLE_PERIODS).join(', ')}.` });
  }
  let hasTime = false;
  for (const name of columns) {
    const ms = wallClockMillis(frame, name);
    for (let i = 0; i < ms.length && !hasTime; i++) if (ms[i]! % 86_400_000 !== 0 && !Number.isNaN(ms[i]!)) hasTime = true;
  }
  const parts = options.parts ?? (options.cyclic ? [] : ['month', 'dayOfWeek', 'weekend', ...(hasTime ? ['hour' as const] : [])]);
  return new DateParts([...columns], [...parts], [...(options.cyclic ?? [])]);
}

/** Wall-clock epoch milliseconds of a timestamp/date column or of date text. */
export function wallClockMillis(frame: Frame, name: string): Float64Array {
  const col = requireColumn(frame, name, 'date-parts');
  if (col.kind === 'number') {
    if (col.logical !== 'timestamp' && col.logical !== 'date') {
      throw new DataError(`date-parts: column "${name}" is a plain number, not a timestamp or date`, {
        context: { column: name }, hint: "If it holds epoch milliseconds, mark it: numberColumn(values, 'timestamp'); in SQL, cast it to TIMESTAMP.",
      });
    }
    return col.values;
  }
  const parsed = col.dictionary.map(parseDateText);
  const out = new Float64Array(col.codes.length);
  for (let i = 0; i < out.length; i++) {
    const c = col.codes[i]!;
    if (c < 0) { out[i] = NaN; continue; }
    const v = parsed[c]!;
    if (v === undefined) {
      throw new DataError(`date-parts: column "${name}" holds ${JSON.stringify(col.dictionary[c])} at row ${i}, which is not a date or timestamp`, {
        context: { column: name, row: i }, hint: 'Dates read as YYYY-MM-DD or YYYY/MM/DD, optionally followed by hh:mm[:ss[.fff]]; cast the column in SQL (strptime) for other formats.',
      });
    }
    out[i] = v;
  }
  return out;
}

const DATE_TEXT = /^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*$/;

/** Wall-clock epoch milliseconds of date text; NaN for empty text, undefined when it is not a date. */
function parseDateText(s: string): number | undefined {
  if (s.trim() === '') return NaN;
  const m = DATE_TEXT.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  const hour = Number(m[4] ?? 0), minute = Number(m[5] ?? 0), second = Number(m[6] ?? 0);
  const millis = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

function isLeap(y: number): boolean { return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0; }

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number (H. Hinnant's civil_from_days): no Date object per row. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

registerTransformer('date-parts', (state) => {
  const s = state as { inputs: string[]; parts: DatePart[]; cyclic: CyclicPart[] };
  return new DateParts(s.inputs, s.parts, s.cyclic);
});
