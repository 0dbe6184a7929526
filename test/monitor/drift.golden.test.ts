// Drift statistics against SciPy 1.10 (values in test/golden/drift.json, made by
// test/golden/make_drift_golden.py from seeded samples stored in the same file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { dataDrift, driftFrame, featureDrift } from '../../src/monitor/index.ts';
import { chiSquaredSf, kolmogorovSf, ksTest, sorted } from '../../src/monitor/stats.ts';
import { goldenJson } from '../helpers/golden.ts';

interface NumericCase {
  name: string; reference: number[]; current: number[]; bins: number;
  wasserstein: number; wasserstein_norm: number; ks_statistic: number; ks_p_exact: number | null;
  ks_p_asymptotic: number; jensen_shannon: number; psi: number;
}
interface CategoricalCase { name: string; reference: string[]; current: string[]; chi_statistic: number; chi_p: number; jensen_shannon: number; psi: number }
const golden = goldenJson('drift', (_k, v) => (v === 'Infinity' ? Infinity : v)) as {
  numeric: NumericCase[]; categorical: CategoricalCase[];
  chi2_sf: { x: number; df: number; sf: number }[]; kolmogorov_sf: { x: number; sf: number }[];
};

function close(actual: number | null, expected: number | null, tol: number, what: string): void {
  assert.ok(actual !== null && expected !== null, `${what}: ${actual} vs ${expected}`);
  if (!Number.isFinite(expected)) { assert.equal(actual, expected, what); return; }
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs SciPy ${expected}`);
}

for (const c of golden.numeric) {
  test(`numeric drift matches SciPy: ${c.name}`, () => {
    const ref = numberColumn(c.reference);
    const cur = numberColumn(c.current);
    close(featureDrift('x', ref, cur, { method: 'wasserstein' }).statistic, c.wasserstein_norm, 1e-10, 'normalized Wasserstein');
    const ks = featureDrift('x', ref, cur, { method: 'ks' });
    close(ks.statistic, c.ks_statistic, 1e-12, 'KS statistic');
    const direct = ksTest(sorted(new Float64Array(c.reference)), sorted(new Float64Array(c.current)));
    if (c.ks_p_exact !== null) {
      assert.equal(direct.method, 'exact');
      close(ks.pValue, c.ks_p_exact, 1e-9, 'KS exact p-value');
    } else {
      assert.equal(direct.method, 'asymptotic');
      close(ks.pValue, c.ks_p_asymptotic, 1e-9, 'KS asymptotic p-value');
    }
    close(featureDrift('x', ref, cur, { method: 'jensen-shannon', bins: c.bins }).statistic, c.jensen_shannon, 1e-10, 'Jensen-Shannon');
    close(featureDrift('x', ref, cur, { method: 'psi', bins: c.bins }).statistic, c.psi, 1e-10, 'PSI');
  });
}

for (const c of golden.categorical) {
  test(`categorical drift matches SciPy: ${c.name}`, () => {
    const ref = stringColumn(c.reference);
    const cur = stringColumn(c.current);
    const chi = featureDrift('origin', ref, cur, { method: 'chi-squared' });
    close(chi.statistic, c.chi_statistic, 1e-10, 'chi-squared statistic');
    close(chi.pValue, c.chi_p, 1e-9, 'chi-squared p-value');
    close(featureDrift('origin', ref, cur, { method: 'jensen-shannon' }).statistic, c.jensen_shannon, 1e-10, 'Jensen-Shannon');
    close(featureDrift('origin', ref, cur, { method: 'psi' }).statistic, c.psi, 1e-10, 'PSI');
  });
}

test('chi-squared and Kolmogorov survival functions match SciPy', () => {
  for (const g of golden.chi2_sf) close(chiSquaredSf(g.x, g.df), g.sf, 1e-10, `chi2.sf(${g.x}, ${g.df})`);
  for (const g of golden.kolmogorov_sf) close(kolmogorovSf(g.x), g.sf, 1e-10, `kstwobign.sf(${g.x})`);
});

test('default methods follow Evidently: tests for small references, distances for big ones', () => {
  const small = golden.numeric.find((c) => c.name === 'shifted_normal')!;
  const big = golden.numeric.find((c) => c.name === 'big_asymptotic')!;
  const cat = golden.categorical.find((c) => c.name === 'moved_mix')!;
  const d1 = featureDrift('x', numberColumn(small.reference), numberColumn(small.current));
  assert.equal(d1.method, 'ks');
  assert.equal(d1.drifted, d1.pValue! < 0.05);
  const d2 = featureDrift('x', numberColumn(big.reference), numberColumn(big.current));
  assert.equal(d2.method, 'wasserstein');
  assert.equal(d2.threshold, 0.1);
  const d3 = featureDrift('o', stringColumn(cat.reference), stringColumn(cat.current));
  assert.equal(d3.method, 'chi-squared');
  assert.equal(d3.drifted, true, 'the moved mix drifts');
  // Few distinct numbers count as categories.
  const d4 = featureDrift('n', numberColumn([1, 2, 3, 1, 2, 3, 1]), numberColumn([1, 1, 1, 2, 3]));
  assert.equal(d4.method, 'chi-squared');
  const bigCats = Array.from({ length: 2000 }, (_, i) => ['a', 'b', 'c'][i % 3]!);
  assert.equal(featureDrift('c', stringColumn(bigCats), stringColumn(bigCats.slice(0, 900))).method, 'jensen-shannon');
});

test('missing values are left out and reported; a dataset drifts when half its columns do', () => {
  const n = 1500;
  const ref = Frame.from({
    a: numberColumn(Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : Math.sin(i) * 10))),
    b: numberColumn(Array.from({ length: n }, (_, i) => Math.cos(i))),
    c: stringColumn(Array.from({ length: n }, (_, i) => ['x', 'y'][i % 2]!)),
  });
  const cur = Frame.from({
    a: numberColumn(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? Infinity : Math.sin(i) * 10 + 8))),
    b: numberColumn(Array.from({ length: n }, (_, i) => Math.cos(i + 1))),
    c: stringColumn(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : ['x', 'y'][i % 2]!))),
  });
  const report = dataDrift(ref, cur);
  const a = report.features.find((f) => f.feature === 'a')!;
  assert.equal(a.drifted, true);
  close(a.referenceMissing, 0.1, 1e-12, 'reference missing share');
  close(a.currentMissing, 0.2, 1e-12, 'current missing share');
  assert.equal(report.features.find((f) => f.feature === 'b')!.drifted, false);
  assert.equal(report.features.find((f) => f.feature === 'c')!.drifted, false);
  assert.equal(report.driftedColumns, 1);
  assert.equal(report.drifted, false, '1 of 3 is under the 0.5 share');
  assert.equal(dataDrift(ref, cur, { driftShare: 0.3 }).drifted, true);
  const frame = driftFrame(report, '2001-03');
  assert.equal(frame.numRows, 3);
  assert.deepEqual(frame.names, ['batch', 'feature', 'kind', 'method', 'statistic', 'p_value', 'threshold', 'drifted', 'reference_rows', 'current_rows', 'reference_missing', 'current_missing', 'reference_hist', 'current_hist']);
  assert.equal(frame.get(0, 'batch'), '2001-03');
});

test('bad input names the column and the way out', () => {
  const num = numberColumn([1, 2, 3]);
  const txt = stringColumn(['a', 'b', 'c']);
  assert.throws(() => featureDrift('delay', num, txt), /Drift of "delay": the reference column holds numbers but the current one text/);
  assert.throws(() => featureDrift('delay', numberColumn([NaN, NaN]), num), /"delay": the reference batch has no values that are not missing/);
  assert.throws(() => featureDrift('origin', txt, txt, { method: 'wasserstein' }), /wasserstein needs a numeric column/);
  const f = Frame.from({ x: num });
  assert.throws(() => dataDrift(f, f, { columns: ['y'] }), /column "y" is not in the reference batch \(it has x\)/);
});
