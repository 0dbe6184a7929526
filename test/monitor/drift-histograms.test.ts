// The reference-vs-current histograms a drift report carries (and the drift dataset stores as JSON):
// numeric features on 20 shared bins over the reference's range with under/overflow, categorical ones
// as the top categories of both batches plus "other". Expected shares are counted by hand below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { HISTOGRAM_BINS, HISTOGRAM_TOP, dataDrift, driftFrame, featureDrift, type DriftHistogram } from '../../src/monitor/drift.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
}

test('numeric: 20 equal bins over the reference range, shared by the current batch, which counts what falls outside', () => {
  // Reference 0..99: bins of width 4.95 hold 5 integers each. Current -10..109: 10 below, 10 above, 5 in each bin.
  const f = featureDrift('distance', numberColumn([...range(0, 99), NaN, null]), numberColumn(range(-10, 109)));
  const ref = f.referenceHistogram as Extract<DriftHistogram, { kind: 'numeric' }>;
  const cur = f.currentHistogram as Extract<DriftHistogram, { kind: 'numeric' }>;
  assert.equal(ref.kind, 'numeric');
  assert.equal(HISTOGRAM_BINS, 20);
  assert.equal(ref.edges.length, 21);
  assert.deepEqual(cur.edges, ref.edges, 'one set of edges');
  close(ref.edges[0]!, 0, 'first edge');
  close(ref.edges[1]!, 4.95, 'second edge');
  assert.equal(ref.edges[20], 99, 'the last edge is the reference maximum');
  for (const s of ref.shares) close(s, 0.05, 'reference share (missing values left out)');
  assert.equal(ref.under + ref.over, 0);
  for (const s of cur.shares) close(s, 5 / 120, 'current share');
  close(cur.under, 10 / 120, 'under');
  close(cur.over, 10 / 120, 'over');
});

test('numeric: a constant reference gets a bin range of one around its value', () => {
  const f = featureDrift('x', numberColumn([3, 3, 3, 3]), numberColumn([2, 3, 4]));
  const ref = f.referenceHistogram as Extract<DriftHistogram, { kind: 'numeric' }>;
  const cur = f.currentHistogram as Extract<DriftHistogram, { kind: 'numeric' }>;
  assert.equal(ref.edges[0], 2.5);
  assert.equal(ref.edges[20], 3.5);
  close(ref.shares.reduce((a, b) => a + b, 0), 1, 'all reference values binned');
  close(cur.under, 1 / 3, 'under');
  close(cur.over, 1 / 3, 'over');
});

test('categorical: the top categories of both batches together, the rest as other', () => {
  // 12 categories: c00 most common in the reference; "new" only in the current batch, where it is half the rows.
  const refValues: string[] = [];
  for (let k = 0; k < 12; k++) for (let i = 0; i < 24 - k * 2; i++) refValues.push(`c${String(k).padStart(2, '0')}`);
  const curValues = [...refValues, ...Array.from({ length: refValues.length }, () => 'new')];
  const f = featureDrift('origin', stringColumn([...refValues, null]), stringColumn(curValues));
  const ref = f.referenceHistogram as Extract<DriftHistogram, { kind: 'categorical' }>;
  const cur = f.currentHistogram as Extract<DriftHistogram, { kind: 'categorical' }>;
  assert.equal(HISTOGRAM_TOP, 10);
  assert.deepEqual(ref.labels, cur.labels);
  // "new": 0 + 0.5; c00: 24/168 + 24/336 = 0.214..; then c01.. in order. 10 kept: new, c00..c08.
  assert.deepEqual(ref.labels, ['new', 'c00', 'c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08']);
  const n = refValues.length; // 24+22+...+2 = 156
  assert.equal(n, 156);
  close(ref.shares[0]!, 0, 'new in the reference');
  close(cur.shares[0]!, 0.5, 'new in the current batch');
  close(ref.shares[1]!, 24 / n, 'c00 in the reference');
  close(cur.shares[1]!, 24 / (2 * n), 'c00 in the current batch');
  close(ref.other, (6 + 4 + 2) / n, 'c09, c10 and c11 in the reference');
  close(cur.other, (6 + 4 + 2) / (2 * n), 'c09, c10 and c11 in the current batch');
});

test('the drift frame stores both histograms as JSON text per feature', () => {
  const ref = Frame.from({ a: numberColumn(range(0, 99)), b: stringColumn(range(0, 99).map((i) => (i % 3 ? 'x' : 'y'))) });
  const cur = Frame.from({ a: numberColumn(range(50, 149)), b: stringColumn(range(0, 99).map(() => 'x')) });
  const report = dataDrift(ref, cur);
  const frame = driftFrame(report, '2001-04');
  for (let row = 0; row < 2; row++) {
    const feature = frame.get(row, 'feature');
    const f = report.features.find((x) => x.feature === feature)!;
    assert.deepEqual(JSON.parse(String(frame.get(row, 'reference_hist'))), f.referenceHistogram);
    assert.deepEqual(JSON.parse(String(frame.get(row, 'current_hist'))), f.currentHistogram);
  }
  const a = report.features.find((x) => x.feature === 'a')!.currentHistogram as Extract<DriftHistogram, { kind: 'numeric' }>;
  close(a.over, 0.5, 'half the current values are above the reference range');
});
