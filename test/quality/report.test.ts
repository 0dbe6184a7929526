/**
 * The validation report as the CLI prints it: `sluice datasets show <name>[@version]` gives the
 * version's lineage, ingest state, profile (with top values and a histogram), its validation report
 * (counts per expectation, sample bad rows) and, for a partitioned dataset, its partitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, type CliIO } from '../../src/cli/main.ts';

const sluice = pathToFileURL(resolve(import.meta.dirname, '../../src/index.ts')).href;

function io(home: string, cwd: string): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env: { SLUICE_HOME: home }, cwd };
}

test('sluice datasets show prints the profile and the validation report; a failing validation fails the run with its report', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sluice-report-'));
  const dir = mkdtempSync(join(tmpdir(), 'sluice-report-src-'));
  for (const [month, rows] of [['2001-01', '1,5,a\n2,700,b\n3,6,a\n'], ['2001-02', '4,7,c\n5,-900,a\n']] as const) {
    mkdirSync(join(dir, 'land', `month=${month}`), { recursive: true });
    writeFileSync(join(dir, 'land', `month=${month}`, 'part-0.csv'), `id,delay,code\n${rows}`);
  }
  writeFileSync(join(dir, 'pipeline.ts'), `
    import { csv, pipeline, suite } from ${JSON.stringify(sluice)};
    const checks = () => suite('events', (e) => [
      e.notNull('id'),
      e.between('delay', -60, 600, { name: 'plausible_delay', severity: 'warn' }),
      e.rowCount({ min: Number(process.env.MIN_ROWS ?? 1) }),
    ]);
    export default pipeline('events', { params: {} })
      .step('ingest', [], (_in, ctx) => ctx.datasets.ingest('events', csv(${JSON.stringify(join(dir, 'land', 'month=*', '*.csv'))}, { hive: true }), {
        incremental: { by: 'partition', key: 'month' },
        suite: checks(),
      }))
      .step('summary', ['ingest'], ({ ingest }) => ({ clean: ingest.rows, quarantined: ingest.quarantinedRows }));
  `);
  const run = io(home, dir);
  assert.equal(await main(['run', 'pipeline.ts', '--partition', '2001-01'], run), 0, run.stderr.join('\n'));
  assert.match(run.stdout.join('\n'), /clean: 2\n {2}quarantined: 1/);

  const show = io(home, dir);
  assert.equal(await main(['datasets', 'show', 'events'], show), 0, show.stderr.join('\n'));
  const text = show.stdout.join('\n');
  assert.match(text, /dataset events: 1 version\(s\); showing v1, 2 rows/);
  assert.match(text, /ingest: partition from csv:.*\*\.csv, 3 rows read/);
  assert.match(text, /column +type +nulls +distinct +min +max +mean +std +median +top values +histogram/);
  assert.match(text, /\ndelay +BIGINT +0\.0% +2 +5 +6 +5\.500/);
  assert.match(text, /code +VARCHAR .* a 100%/);
  assert.match(text, /validation WARNED: suite "events" on events \(month=2001-01\)/);
  assert.match(text, /rows: 3 read, 2 clean, 1 quarantined/);
  assert.match(text, /WARN plausible_delay \[row, warn\]: delay within \[-60, 600\] 1 rows \(33\.3%\) quarantined/);
  assert.match(text, /e\.g\. id=2 delay=700 code=b/);
  assert.match(text, /ok {3}row_count \[dataset, fail\]: row count within \[1, any\] observed 2/);

  const q = io(home, dir);
  assert.equal(await main(['datasets', 'show', 'events_quarantine@1'], q), 0);
  assert.match(q.stdout.join('\n'), /_failed +STRUCT\(expectation VARCHAR, reason VARCHAR\)\[\]/);

  // A dataset check of severity 'fail' fails the step; the error lists what failed and registers nothing.
  const failing = io(home, dir);
  failing.env['MIN_ROWS'] = '5';
  process.env['MIN_ROWS'] = '5';
  try {
    assert.equal(await main(['run', 'pipeline.ts', '--partition', '2001-02'], failing), 1);
  } finally {
    delete process.env['MIN_ROWS'];
  }
  assert.match(failing.stderr.join('\n'), /Validation of "events" \(month=2001-02\) with suite "events" failed:\n {2}- row_count: row count within \[5, any\]/);
  assert.match(failing.stderr.join('\n'), /hint: Nothing was registered/);
  const list = io(home, dir);
  assert.equal(await main(['datasets', 'show', 'events', '--json'], list), 0);
  assert.equal((JSON.parse(list.stdout.join('\n')) as unknown[]).length, 1);
  const bad = io(home, dir);
  assert.equal(await main(['datasets', 'show', 'events@9'], bad), 1);
  assert.match(bad.stderr.join('\n'), /Dataset "events" has no version 9/);
});
