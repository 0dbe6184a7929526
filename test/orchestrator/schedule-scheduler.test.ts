// The scheduler on a real SQLite store with an injectable clock: DST transitions, restarts, two
// schedulers at once, catch-up policies, pause; and SIGKILL of a real `sluice scheduler` process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import { openEngine } from '../../src/engine/index.ts';
import { pipeline } from '../../src/orchestrator/pipeline.ts';
import { daily } from '../../src/orchestrator/partitions.ts';
import { Scheduler, scheduleRunKey } from '../../src/orchestrator/scheduler.ts';
import { localExecutor } from '../../src/orchestrator/local.ts';
import type { ScheduleOptions } from '../../src/orchestrator/schedule.ts';
import { openArtifactStore, openMetadataStore } from '../../src/store/index.ts';

const at = (s: string): number => Date.parse(s);
const iso = (t: number): string => new Date(t).toISOString();

async function env() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sched-'));
  const store = await openMetadataStore(`sqlite:${join(dir, 'sluice.db')}`);
  const artifacts = await openArtifactStore({ root: join(dir, 'artifacts') });
  const engine = await openEngine();
  const executor = localExecutor({ store, artifacts, engine, concurrency: 2 });
  return { dir, store, executor, async close() { await executor.close(); await engine.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function ticker(schedule: ScheduleOptions, partitions?: ReturnType<typeof daily>) {
  const graph = pipeline('ticker', { schedule, ...(partitions ? { partitions } : {}) })
    .step('t', [], (_in, ctx) => ({ partition: ctx.run.partition, logicalDate: ctx.run.logicalDate }))
    .build();
  return { name: graph.name, graph, file: '/nowhere/ticker.ts' };
}

/** Advances the clock in steps, ticking each time; returns the occurrences submitted. */
async function drive(s: Scheduler, clock: ManualClock, until: number, stepMs: number): Promise<number[]> {
  const out: number[] = [];
  while (clock.now() < until) {
    clock.set(Math.min(until, clock.now() + stepMs));
    out.push(...(await s.tick()).submitted.map((x) => x.occurrence));
  }
  return out;
}

describe('scheduler', () => {
  for (const [tz, fallBack, springForward] of [
    ['America/New_York', '2026-11-01', '2026-03-08'],
    ['Europe/Berlin', '2026-10-25', '2026-03-29'],
  ] as const) {
    it(`${tz}: one run when the clocks fall back, none missed when they spring forward`, async () => {
      const e = await env();
      try {
        const p = ticker({ cron: '30 1,2 * * *', timezone: tz });
        for (const day of [springForward, fallBack]) {
          const clock = new ManualClock(at(`${day}T00:00:00Z`) - 86_400_000);
          const s = new Scheduler({ store: e.store, executor: e.executor, pipelines: [p], clock });
          await s.sync();
          await e.store.schedules.setPaused('ticker', true, clock.now());
          await e.store.schedules.setPaused('ticker', false, clock.now());
          const got = await drive(s, clock, at(`${day}T00:00:00Z`) + 2 * 86_400_000, 10 * 60_000);
          // Local wall times of the runs, per local day: 01:30 and 02:30 exactly once each (02:30 runs at 03:00 when it does not exist).
          const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
          const byDay = new Map<string, string[]>();
          for (const t of got) {
            const [d, time] = fmt.format(new Date(t)).split(', ') as [string, string];
            byDay.set(d, [...(byDay.get(d) ?? []), time]);
          }
          assert.equal(new Set(got).size, got.length, 'no instant twice');
          for (const [d, times] of byDay) assert.ok(times.length <= 2, `${tz} ${d}: ${times.join(' ')}`);
          const next = new Date(at(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
          for (const d of [day, next]) assert.equal(byDay.get(d)?.length, 2, `${tz} ${d}: ${byDay.get(d)?.join(' ')}`);
          const runs = await e.store.listRuns({ pipeline: 'ticker', limit: 1000 });
          assert.equal(new Set(runs.map((r) => r.key)).size, runs.length);
        }
      } finally {
        await e.close();
      }
    });
  }

  it('a restarted scheduler and a second scheduler never start an occurrence twice; catch-up all runs each missed one', async () => {
    const e = await env();
    try {
      const p = ticker({ cron: '0 * * * *', catchUp: 'all' }, daily({ start: '2026-01-01' }));
      const clock = new ManualClock(at('2026-01-02T00:30:00Z'));
      const a = new Scheduler({ store: e.store, executor: e.executor, pipelines: [p], clock });
      const b = new Scheduler({ store: e.store, executor: e.executor, pipelines: [p], clock });
      await a.sync();
      clock.set(at('2026-01-02T03:10:00Z'));
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      const submitted = [...ra.submitted, ...rb.submitted];
      const runs = await e.store.listRuns({ pipeline: 'ticker', limit: 100 });
      assert.equal(runs.length, 3, '01:00, 02:00, 03:00 once each');
      assert.equal(new Set(submitted.map((x) => x.runId)).size, 3);
      // "Restart": a new scheduler after 5 hours down catches up each missed hour, once.
      clock.set(at('2026-01-02T08:30:00Z'));
      const c = new Scheduler({ store: e.store, executor: e.executor, pipelines: [p], clock });
      const rc = await c.tick();
      assert.deepEqual(rc.submitted.map((x) => iso(x.occurrence)), ['04', '05', '06', '07', '08'].map((h) => `2026-01-02T${h}:00:00.000Z`));
      assert.equal((await c.tick()).submitted.length, 0);
      const all = await e.store.listRuns({ pipeline: 'ticker', limit: 100 });
      assert.equal(all.length, 8);
      assert.ok(all.every((r) => r.trigger === 'schedule' && r.partition === '2026-01-01' && r.logicalDate === at('2026-01-01T00:00:00Z')), 'the last complete day');
      const one = all.find((r) => r.key === scheduleRunKey('default', at('2026-01-02T05:00:00Z')));
      assert.ok(one, 'keyed by occurrence');
    } finally {
      await e.close();
    }
  });

  it('catch-up latest runs only the last missed occurrence, none runs none; paused schedules run nothing and resume from now', async () => {
    const e = await env();
    try {
      for (const policy of ['latest', 'none'] as const) {
        const p = { ...ticker({ cron: '0 * * * *', catchUp: policy }), name: `t-${policy}` };
        const graph = pipeline(`t-${policy}`, { schedule: { cron: '0 * * * *', catchUp: policy } }).step('t', [], () => 1).build();
        const clock = new ManualClock(at('2026-01-02T00:30:00Z'));
        await new Scheduler({ store: e.store, executor: e.executor, pipelines: [{ ...p, graph }], clock }).sync();
        clock.set(at('2026-01-02T05:30:00Z'));
        const s = new Scheduler({ store: e.store, executor: e.executor, pipelines: [{ ...p, graph }], clock });
        const r = await s.tick();
        assert.deepEqual(r.submitted.map((x) => iso(x.occurrence)), policy === 'latest' ? ['2026-01-02T05:00:00.000Z'] : []);
        assert.equal(r.skipped, policy === 'latest' ? 4 : 5);
        clock.set(at('2026-01-02T06:00:30Z'));
        assert.equal((await s.tick()).submitted.length, 1, 'on time while watching');
      }
      const graph = pipeline('paused', { schedule: { cron: '0 * * * *' } }).step('t', [], () => 1).build();
      const clock = new ManualClock(at('2026-01-02T00:30:00Z'));
      const s = new Scheduler({ store: e.store, executor: e.executor, pipelines: [{ name: 'paused', graph, file: '/x.ts' }], clock });
      await s.sync();
      await e.store.schedules.setPaused('paused', true, clock.now());
      clock.set(at('2026-01-02T03:30:00Z'));
      assert.equal((await s.tick()).submitted.length, 0);
      await e.store.schedules.setPaused('paused', false, clock.now());
      clock.set(at('2026-01-02T04:00:01Z'));
      assert.deepEqual((await s.tick()).submitted.map((x) => iso(x.occurrence)), ['2026-01-02T04:00:00.000Z']);
    } finally {
      await e.close();
    }
  });
});

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const project = join(root, 'test/fixtures/schedule-project/sluice.config.ts');

describe('sluice scheduler, killed', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, () => {
  it('SIGKILL the scheduler and start it again: no occurrence missed, none run twice', { timeout: 120_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-sched-kill-'));
    const start = (): ChildProcess => spawn(process.execPath, [bin, 'scheduler', '--project', project, '--tick-ms', '200'], { cwd: root, env: { ...process.env, SLUICE_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    const until = (child: ChildProcess, text: RegExp): Promise<void> => new Promise((res, rej) => {
      let buf = '';
      child.stderr!.on('data', (d: Buffer) => { buf += d.toString(); if (text.test(buf)) res(); });
      child.on('exit', () => rej(new Error(`scheduler exited before ${text}: ${buf}`)));
    });
    const exit = (child: ChildProcess): Promise<number | null> => new Promise((r) => child.on('exit', (c) => r(c)));
    try {
      const first = start();
      await until(first, /-> run .*\n[^]*-> run /);
      await new Promise((r) => setTimeout(r, 1500));
      first.kill('SIGKILL');
      await exit(first);
      await new Promise((r) => setTimeout(r, 2500));
      const second = start();
      await until(second, /-> run /);
      await new Promise((r) => setTimeout(r, 2000));
      second.kill('SIGTERM');
      assert.equal(await exit(second), 0);
      const store = await openMetadataStore(`sqlite:${join(home, 'sluice.db')}`);
      try {
        const occ = (await store.schedules.listOccurrences('ticker', 'default', 10_000)).map((o) => o.occurrence).sort((a, b) => a - b);
        const sched = (await store.schedules.listSchedules('ticker'))[0]!;
        // Every second from the first occurrence to the cursor, once each (the downtime caught up).
        const expected: number[] = [];
        for (let t = occ[0]!; t <= sched.cursor; t += 1000) expected.push(t);
        assert.deepEqual(occ, expected, 'no second missed');
        assert.ok(occ.length >= 6, `${occ.length} occurrences`);
        const runs = await store.listRuns({ pipeline: 'ticker', limit: 10_000 });
        const keys = runs.map((r) => r.key);
        assert.equal(new Set(keys).size, runs.length, 'no occurrence has two runs');
        assert.deepEqual(new Set(keys), new Set(occ.map((o) => scheduleRunKey('default', o))), 'each occurrence has its run');
        assert.ok(runs.every((r) => r.trigger === 'schedule'));
        const pending = await store.schedules.listPendingOccurrences();
        assert.equal(pending.length, 0);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
