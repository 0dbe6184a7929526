// Schedule math: croner patterns in time zones around the 2026 DST changes, catch-up policies, the
// partition a scheduled run takes, and the declarations on the pipeline builder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineDefinitionError, SluiceError } from '../../src/core/errors.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { daily, lastCompletePartition, monthly, partitionKeys, partitionRange, partitionStart } from '../../src/orchestrator/partitions.ts';
import { defineSchedules, dueOccurrences, nextOccurrences, occurrencesBetween, partitionForOccurrence, type ScheduleOptions } from '../../src/orchestrator/schedule.ts';

const iso = (t: number): string => new Date(t).toISOString();
const at = (s: string): number => Date.parse(s);
const one = (o: ScheduleOptions) => defineSchedules('p', o, undefined)[0]!;

test('fall back, New York 2026-11-01: a daily 01:30 job runs once', () => {
  const s = one({ cron: '30 1 * * *', timezone: 'America/New_York' });
  const got = occurrencesBetween(s, at('2026-10-31T00:00:00Z'), at('2026-11-03T00:00:00Z')).occurrences.map(iso);
  // 01:30 EDT (05:30Z) on Oct 31 and Nov 1; the second 01:30 of Nov 1 (06:30Z, EST) does not run; then 01:30 EST.
  assert.deepEqual(got, ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
});

test('fall back, Europe/Berlin 2026-10-25: a daily 02:30 job runs once', () => {
  const s = one({ cron: '30 2 * * *', timezone: 'Europe/Berlin' });
  const got = occurrencesBetween(s, at('2026-10-24T00:00:00Z'), at('2026-10-27T00:00:00Z')).occurrences.map(iso);
  assert.deepEqual(got, ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
});

test('spring forward, New York 2026-03-08: the 02:30 that does not exist runs at 03:00, not skipped', () => {
  const s = one({ cron: '30 2 * * *', timezone: 'America/New_York' });
  const got = occurrencesBetween(s, at('2026-03-07T00:00:00Z'), at('2026-03-10T00:00:00Z')).occurrences.map(iso);
  assert.deepEqual(got, ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
});

test('spring forward, Europe/Berlin 2026-03-29 and Europe/London: runs the day the clocks change', () => {
  const berlin = one({ cron: '30 2 * * *', timezone: 'Europe/Berlin' });
  const got = occurrencesBetween(berlin, at('2026-03-28T00:00:00Z'), at('2026-03-31T00:00:00Z')).occurrences.map(iso);
  assert.deepEqual(got, ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  const london = one({ cron: '30 1 * * *', timezone: 'Europe/London' });
  const days = occurrencesBetween(london, at('2026-03-28T00:00:00Z'), at('2026-03-31T00:00:00Z')).occurrences;
  assert.equal(days.length, 3, 'one run each of Mar 28, 29 (01:30 does not exist) and 30');
});

test('an interval job runs at every real half hour through fall back: each instant once, none missing', () => {
  const s = one({ cron: '*/30 * * * *', timezone: 'America/New_York' });
  const got = occurrencesBetween(s, at('2026-11-01T03:59:59Z'), at('2026-11-01T08:00:00Z')).occurrences;
  assert.equal(new Set(got).size, got.length, 'no instant twice');
  for (let i = 1; i < got.length; i++) assert.equal(got[i]! - got[i - 1]!, 30 * 60_000, `gap before ${iso(got[i]!)}`);
  assert.equal(got.length, 9);
});

test('the scheduler view is the same whether it looks every minute or once: no duplicate, no gap, across both 2026 transitions', () => {
  for (const tz of ['America/New_York', 'Europe/Berlin', 'Europe/London']) {
    for (const cron of ['30 1 * * *', '30 2 * * *', '0 * * * *', '15 1,2,3 * * *']) {
      const s = one({ cron, timezone: tz });
      for (const [from, to] of [['2026-03-07T00:00:00Z', '2026-03-31T00:00:00Z'], ['2026-10-24T00:00:00Z', '2026-11-03T00:00:00Z']] as const) {
        const once = occurrencesBetween(s, at(from), at(to)).occurrences;
        const stepped: number[] = [];
        let cursor = at(from);
        for (let now = at(from) + 60_000; now <= at(to); now += 23 * 60_000) {
          stepped.push(...dueOccurrences(s, cursor, now, cursor).run);
          cursor = now;
        }
        stepped.push(...dueOccurrences(s, cursor, at(to), cursor).run);
        assert.deepEqual(stepped, once, `${cron} ${tz} ${from}`);
        assert.equal(new Set(once).size, once.length);
      }
    }
  }
});

test('catch-up after downtime: all runs each missed occurrence once, latest only the last, none nothing', () => {
  const base = { cron: '0 * * * *', timezone: 'UTC' };
  const down = at('2026-01-01T00:30:00Z');
  const up = at('2026-01-01T05:10:00Z');
  // Missed: 01:00 .. 05:00 (5 occurrences); the scheduler came back at 05:10.
  assert.deepEqual(dueOccurrences(one({ ...base, catchUp: 'all' }), down, up, up).run.map(iso), ['01', '02', '03', '04', '05'].map((h) => `2026-01-01T${h}:00:00.000Z`));
  assert.deepEqual(dueOccurrences(one({ ...base, catchUp: 'latest' }), down, up, up), { run: [at('2026-01-01T05:00:00Z')], skipped: 4 });
  assert.deepEqual(dueOccurrences(one({ ...base, catchUp: 'none' }), down, up, up), { run: [], skipped: 5 });
  // Once watching, occurrences are on time whatever the policy.
  assert.deepEqual(dueOccurrences(one({ ...base, catchUp: 'none' }), up, at('2026-01-01T06:00:01Z'), up).run.map(iso), ['2026-01-01T06:00:00.000Z']);
});

test('a monthly schedule runs the last complete month; partitions in a time zone', () => {
  const parts = monthly({ start: '2001-01', end: '2001-06' });
  const [s] = defineSchedules('flights', { cron: '0 6 1 * *' }, parts);
  const occ = nextOccurrences(s!, at('2001-01-15T00:00:00Z'), 7);
  assert.deepEqual(occ.map((t) => partitionForOccurrence(s!, parts, t).partition), ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06', null]);
  const berlin = daily({ start: '2026-03-01', timezone: 'Europe/Berlin' });
  assert.equal(iso(partitionStart(berlin, '2026-03-29')), '2026-03-28T23:00:00.000Z');
  assert.equal(iso(partitionStart(berlin, '2026-03-30')), '2026-03-29T22:00:00.000Z', 'CEST from the 29th');
  assert.equal(lastCompletePartition(berlin, at('2026-03-29T22:30:00Z')), '2026-03-29', 'already the 30th in Berlin');
  const ny = daily({ start: '2026-11-01', timezone: 'America/New_York' });
  assert.equal(iso(partitionStart(ny, '2026-11-02')), '2026-11-02T05:00:00.000Z');
});

test('partition ranges: in order, lazy, checked against the declaration', () => {
  const d = daily({ start: '2000-01-01' });
  const r = partitionRange(d, '2000-02-27', '2000-03-01', 'p');
  assert.equal(r.count, 4);
  assert.deepEqual([...r], ['2000-02-27', '2000-02-28', '2000-02-29', '2000-03-01']);
  const big = partitionRange(d, '2000-01-01', '2008-03-18', 'p');
  assert.equal(big.count, 3000);
  assert.throws(() => partitionRange(d, '1999-12-31', '2000-01-02', 'p'), /outside pipeline "p"/);
  assert.throws(() => partitionRange(d, '2000-02-30', '2000-03-01', 'p'), (e: unknown) => e instanceof SluiceError && /YYYY-MM-DD/.test(e.hint ?? ''));
  assert.throws(() => partitionRange(d, '2000-03-01', '2000-02-01', 'p'), /empty/);
  const m = monthly({ start: '2001-01', end: '2001-06' });
  assert.deepEqual([...partitionRange(m, '2001-01', '2001-06', 'f')], ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06']);
  assert.throws(() => partitionRange(m, '2001-01', '2001-07', 'f'), /outside/);
  const k = partitionKeys(['eu', 'us', 'apac']);
  assert.deepEqual([...partitionRange(k, 'us', 'apac', 'k')], ['us', 'apac']);
  assert.throws(() => partitionRange(k, 'eu', 'mars', 'k'), /no partition "mars"/);
});

test('declarations on the builder: typed, frozen, and bad ones rejected with a hint', () => {
  const g = pipeline('flights', { partitions: monthly({ start: '2001-01', dependsOnPrevious: true }), schedule: { cron: '0 6 1 * *', timezone: 'Europe/Berlin', catchUp: 'latest' } })
    .step('a', [], () => 1)
    .build();
  assert.equal(g.partitions?.kind, 'monthly');
  assert.equal(g.partitions?.dependsOnPrevious, true);
  assert.deepEqual(g.schedules, [{ name: 'default', cron: '0 6 1 * *', timezone: 'Europe/Berlin', catchUp: 'latest', partition: 'last-complete' }]);
  assert.ok(Object.isFrozen(g.schedules[0]));
  const bad = (options: Parameters<typeof pipeline>[1], re: RegExp) =>
    assert.throws(() => pipeline('p', options).step('a', [], () => 1).build(), (e: unknown) => e instanceof PipelineDefinitionError && re.test(e.message) && !!e.hint);
  bad({ schedule: { cron: '61 * * * *' } }, /Cron pattern "61 \* \* \* \*" of schedule "default" of pipeline "p" is not valid/);
  bad({ schedule: { cron: '0 * * * *', timezone: 'Mars/Olympus' } }, /Unknown time zone "Mars\/Olympus"/);
  bad({ schedule: [{ cron: '0 * * * *', name: 'x' }, { cron: '5 * * * *', name: 'x' }] }, /two schedules named "x"/);
  bad({ partitions: partitionKeys(['a', 'b']), schedule: { cron: '0 * * * *' } }, /key partitions and a schedule/);
  assert.throws(() => monthly({ start: '2001-13' }), /not a monthly partition key/);
  assert.throws(() => monthly({ start: '2001-06', end: '2001-01' }), /end \(2001-01\) before they start/);
});
