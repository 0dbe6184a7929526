/**
 * Retention of dataset versions: which old versions to expire. The latest version of each partition is
 * never expired (it is the dataset's current content); among the others, a version goes when it is
 * beyond the newest `keepVersions` of its partition or older than `maxAgeDays`.
 *
 * @example
 * ctx.datasets.write('daily_scores', sql, { retention: { keepVersions: 7 } });
 */
import { DataError } from '../core/errors.ts';
import type { DatasetVersionRecord } from '../store/types.ts';

export interface RetentionPolicy {
  /** Versions kept per partition, the latest included (at least 1). */
  keepVersions?: number;
  /** Versions older than this are expired (the latest of each partition stays). */
  maxAgeDays?: number;
}

export function checkRetention(policy: RetentionPolicy): RetentionPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new DataError(`retention must be an object such as { keepVersions: 7 }, got ${JSON.stringify(policy)}`, { code: 'BAD_OPTION', hint: 'Give keepVersions (>= 1) and/or maxAgeDays (> 0).' });
  }
  if (policy.keepVersions !== undefined && !(Number.isInteger(policy.keepVersions) && policy.keepVersions >= 1)) {
    throw new DataError(`retention.keepVersions must be an integer >= 1, got ${policy.keepVersions}`, {
      code: 'BAD_OPTION', hint: 'The latest version of each partition is the dataset itself and is always kept: keepVersions: 1 keeps only it.',
    });
  }
  if (policy.maxAgeDays !== undefined && !(typeof policy.maxAgeDays === 'number' && policy.maxAgeDays > 0)) {
    throw new DataError(`retention.maxAgeDays must be a number > 0, got ${policy.maxAgeDays}`, { code: 'BAD_OPTION', hint: 'The latest version of each partition is kept whatever its age.' });
  }
  return policy;
}

/** Version numbers to expire under `policy` at time `now` (live versions only are considered). */
export function versionsToExpire(versions: readonly DatasetVersionRecord[], policy: RetentionPolicy, now: number): number[] {
  const byPartition = new Map<string, DatasetVersionRecord[]>();
  for (const v of versions) {
    if (v.expiredAt !== null) continue;
    const key = v.partition ?? '\u0000';
    const list = byPartition.get(key) ?? [];
    list.push(v);
    byPartition.set(key, list);
  }
  const out: number[] = [];
  const cutoff = policy.maxAgeDays === undefined ? -Infinity : now - policy.maxAgeDays * 86_400_000;
  for (const list of byPartition.values()) {
    list.sort((a, b) => b.version - a.version);
    list.forEach((v, i) => {
      if (i === 0) return;
      if ((policy.keepVersions !== undefined && i >= policy.keepVersions) || v.createdAt < cutoff) out.push(v.version);
    });
  }
  return out.sort((a, b) => a - b);
}
