// The test suite needs nothing outside the repository and node_modules: a fresh clone on a machine
// with only Node 20 passes `npm ci && npm test`. This guard reads every test source (and the test
// runner) and fails on any reference to a system folder, a Python install, or the user's home. Temp
// folders a test makes with os.tmpdir() are fine; a hard-coded '/tmp/...' fixture is not.
// A line that truly needs such a path must say why with a `repo-only: allowed (<reason>)` comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadDataset } from './helpers/golden.ts';

const root = resolve(import.meta.dirname, '..');
const self = relative(root, import.meta.filename);

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /['"`]\/(?:usr|opt|etc|var|home|root|srv|mnt|media|tmp|proc|Users|Library)(?:\/|['"`])/, why: 'an absolute path outside the repository' },
  { pattern: /\b(?:dist|site)-packages\b/, why: 'a Python package folder' },
  { pattern: /['"`](?:\/usr\/(?:local\/)?bin\/)?python[0-9.]*['"`\s]/, why: 'runs Python' },
  { pattern: /\bhomedir\s*\(|process\.env\.HOME\b|['"`]~\//, why: "the user's home folder" },
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(?:[cm]?[jt]s|tsx)$/.test(name)) out.push(path);
  }
  return out;
}

test('no test source refers to a path outside the repository (system folders, Python, the home folder)', () => {
  const files = [...sources(join(root, 'test')), join(root, 'scripts/test.mjs')].filter((f) => relative(root, f) !== self);
  assert.ok(files.length > 30, `found ${files.length} test sources`);
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/repo-only: allowed \(.+\)/.test(line)) return;
      for (const { pattern, why } of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${relative(root, file)}:${i + 1}: ${why}: ${line.trim().slice(0, 120)}`);
      }
    });
  }
  assert.deepEqual(found, [], `Tests must read data from the repository (test/golden/data through test/helpers/golden.ts, test/corpus) or node_modules:\n${found.join('\n')}`);
});

test('the guard catches what it is meant to catch', () => {
  const caught = (line: string): boolean => FORBIDDEN.some(({ pattern }) => pattern.test(line));
  for (const bad of [
    "const DATA = '/usr/lib/python3/dist-packages/sklearn/datasets/data';",
    'readFileSync("/tmp/fixture.csv")',
    "spawnSync('python3', ['make.py'])",
    "spawnSync('/usr/bin/python3', ['make.py'])",
    'join(homedir(), ".config")',
    "readFileSync('~/data.csv')",
  ]) assert.ok(caught(bad), bad);
  for (const fine of [
    "mkdtempSync(join(tmpdir(), 'sluice-'))",
    "new URL('../golden/gbdt.json', import.meta.url)",
    '// scikit-learn 1.2 on the same split, see test/golden/make_gbdt_golden.py',
    "join(root, 'node_modules/vega-datasets/data/flights-3m.parquet')",
  ]) assert.ok(!caught(fine), fine);
});

test('the reference data sets load from the repository with scikit-learn\'s shapes', () => {
  const shapes: [Parameters<typeof loadDataset>[0], number, number][] = [
    ['breast_cancer', 569, 30], ['iris', 150, 4], ['wine', 178, 13], ['boston', 506, 13], ['digits', 1797, 64], ['diabetes', 442, 10],
  ];
  for (const [name, rows, features] of shapes) {
    const d = loadDataset(name);
    assert.equal(d.x.length, rows, `${name} rows`);
    assert.equal(d.y.length, rows, `${name} targets`);
    assert.ok(d.x.every((r) => r.length === features), `${name} has ${features} features in every row`);
    assert.ok(d.x.every((r) => r.every(Number.isFinite)) && d.y.every(Number.isFinite), `${name} is all numbers`);
  }
});
