// `sluice schedules` and `sluice schedules pause|resume` through the built command, on the fixture project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const project = join(root, 'test/fixtures/schedule-project/sluice.config.ts');

test('sluice schedules lists next occurrences; pause and resume; bad input names the fix', { skip: !existsSync(join(root, 'dist/cli/main.js')) && 'dist/ not built' }, () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-schedules-'));
  const sluice = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, SLUICE_HOME: home }, encoding: 'utf8' });
  try {
    const list = sluice(['schedules', '--project', project, '--json', '--next', '2']);
    assert.equal(list.status, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { pipeline: string; schedule: string; next: number[]; paused: boolean; lastRunId: string | null }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.pipeline, 'ticker');
    assert.equal(rows[0]!.next.length, 2);
    assert.equal(rows[0]!.next[1]! - rows[0]!.next[0]!, 1000, 'every second');
    assert.equal(rows[0]!.paused, false);
    const paused = sluice(['schedules', 'pause', 'ticker', '--project', project]);
    assert.equal(paused.status, 0, paused.stderr);
    assert.match(paused.stdout, /ticker: 1 schedule\(s\) paused/);
    assert.equal((JSON.parse(sluice(['schedules', '--project', project, '--json']).stdout) as { paused: boolean }[])[0]!.paused, true);
    const resumed = sluice(['schedules', 'resume', 'ticker', '--project', project]);
    assert.match(resumed.stdout, /resumed; occurrences missed while paused will not run/);
    const unknown = sluice(['schedules', 'pause', 'nope', '--project', project]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /has no pipeline named "nope"[^]*hint: Its pipelines: ticker/);
    const noRange = sluice(['backfill', 'ticker', '--project', project, '--from', 'a', '--to', 'b']);
    assert.equal(noRange.status, 1);
    assert.match(noRange.stderr, /declares no partitions[^]*hint: Declare them/);
    const usage = sluice(['backfill', 'ticker', '--project', project, '--parallel', '0', '--from', 'a', '--to', 'b']);
    assert.equal(usage.status, 2);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
