/**
 * Time-based train/test split: the test part is everything at or after a cutoff time, the training
 * part everything before `cutoff - gap`. The gap keeps rows whose labels may overlap the test period
 * (a label known only days later, rolling features) out of training. Give the cutoff, or a test
 * size: the cutoff is then the time of the first of the latest `testSize` rows, and rows sharing that
 * time all go to the test part, so no timestamp straddles the split.
 *
 * @example
 * const DAY = 86_400_000;
 * const { train, test } = timeSplit(frame.numbers('date'), { testSize: 0.2, gap: 7 * DAY });
 */
import { DataError } from '../../core/errors.ts';
import { testCount, type Split } from './split.ts';

export interface TimeSplitOptions {
  /** Rows at or after this time are the test part. */
  cutoff?: number;
  /** Otherwise: the latest rows, a fraction in (0, 1) or a count; default 0.25. */
  testSize?: number;
  /** Time (same unit as the times, e.g. milliseconds) left out before the cutoff; default 0. */
  gap?: number;
}

export function timeSplit(times: ArrayLike<number>, options: TimeSplitOptions = {}): Split {
  const n = times.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(times[i]!)) {
      throw new DataError(`time split: the time is missing at row ${i}`, { context: { row: i }, hint: 'Drop or quarantine rows without a time first.' });
    }
  }
  const gap = options.gap ?? 0;
  if (!(gap >= 0)) throw new DataError(`time split: gap must be >= 0, got ${gap}`);
  let cutoff = options.cutoff;
  if (cutoff === undefined) {
    const nTest = testCount(n, options.testSize ?? 0.25, 'time split');
    const sorted = Float64Array.from(times).sort();
    cutoff = sorted[n - nTest]!;
  }
  const train: number[] = [], test: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    if (t >= cutoff) test.push(i);
    else if (t < cutoff - gap) train.push(i);
  }
  if (test.length === 0) throw new DataError(`time split: no row at or after the cutoff ${cutoff}`, { hint: 'Use an earlier cutoff.' });
  if (train.length === 0) {
    throw new DataError(`time split: no row before the cutoff ${cutoff} minus the gap ${gap}`, { hint: 'Use a later cutoff, a smaller test size or a smaller gap.' });
  }
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
