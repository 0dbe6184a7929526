// Training kernels. The fused update (leaf values added and the next gradients computed in one compiled pass) must
// give the gradients the plain loss computes from the raw scores, including where the binary
// loss's carried e^-raw state leaves fastExp's range (raw scores beyond ±80) and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFusedUpdate } from '../../src/ml/gbdt/bound.ts';
import { lossFor, type Objective } from '../../src/ml/gbdt/losses.ts';
import { digitOf, histogramLayout } from '../../src/ml/trees/histogram.ts';

function close(actual: number, expected: number, what: string): void {
  const tol = 1e-6 * Math.max(Math.abs(expected), 1e-30);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

for (const objective of ['binary', 'regression', 'huber'] as Objective[]) {
  for (const weighted of [false, true]) {
    test(`fused update equals the loss's gradients: ${objective}${weighted ? ', weighted' : ''}`, () => {
      const start = [-200, -85, -80.5, -79.9, -30, -5, 0, 5, 30, 79.9, 80.5, 85, 200, 0.25];
      const n = start.length;
      const raw = Float64Array.from(start);
      const label = Float64Array.from(start, (_, i) => (objective === 'binary' ? i % 2 : (i * 7) % 5 - 2));
      const weight = weighted ? Float64Array.from(start, (_, i) => 0.5 + (i % 3)) : null;
      const gh = new Float32Array(2 * n);
      const ref = new Float32Array(2 * n);
      const leafOf = Uint16Array.from(start, (_, i) => i % 3);
      const leafValue = new Float64Array(3);
      const leafFactor = new Float64Array(3);
      const loss = lossFor(objective);
      const state = loss.initState ? new Float64Array(n) : null;
      if (state) loss.initState!(raw, state, 0, n);
      const update = compileFusedUpdate(objective, { raw, label, weight, gh, leafOf, leafValue, leafFactor, state, delta: 1.5 })!;
      // Leaf values that carry rows across ±80 and back, then small steps.
      const steps = [[10, -10, 0.5], [-15, 15, -0.5], [120, -120, 3], [-120, 120, -3], [0.1, -0.2, 0.3]];
      for (const [s, step] of steps.entries()) {
        for (let j = 0; j < 3; j++) { leafValue[j] = step[j]!; leafFactor[j] = Math.exp(-step[j]!); }
        const expectedRaw = Float64Array.from(raw, (x, r) => x + step[leafOf[r]!]!);
        update(0, n);
        assert.deepEqual(raw, expectedRaw, `raw scores after step ${s}`);
        loss.gradients(raw, label, weight, ref, 0, n, 1, 1.5);
        for (let i = 0; i < 2 * n; i++) close(gh[i]!, ref[i]!, `step ${s}, row ${i >> 1}, ${i % 2 ? 'hessian' : 'gradient'}`);
      }
    });
  }
}

test('the fused update does not exist for multiclass (every class changes before any gradient)', () => {
  const n = 2;
  assert.equal(compileFusedUpdate('multiclass', {
    raw: new Float64Array(n), label: new Float64Array(n), weight: null, gh: new Float32Array(2 * n), leafOf: new Uint16Array(n),
    leafValue: new Float64Array(1), leafFactor: new Float64Array(1), state: null, delta: 1,
  }), null);
});

test('features are bundled first fit decreasing into groups of at most 256 codes', () => {
  // Flights' bins: hour, day of week, month (5 in the training period), day of month, distance, origin, destination.
  const numBins = [24, 7, 5, 31, 255, 228, 227];
  const layout = histogramLayout(numBins);
  assert.deepEqual(layout.groupFeatures.map((g) => Array.from(g)), [[0, 2], [1, 3], [4], [5], [6]]);
  const seen = new Set<number>();
  layout.groupFeatures.forEach((members, g) => {
    let codes = 1;
    for (const f of members) { codes *= numBins[f]! + 1; seen.add(f); assert.equal(layout.groupOf[f], g); }
    assert.equal(layout.groupSlots[g], codes);
    assert.ok(codes <= 256, `group ${g} has ${codes} codes`);
  });
  assert.equal(seen.size, numBins.length);
  // Every (bin of each member) combination has one code, and each digit reads back.
  for (const members of layout.groupFeatures.filter((m) => m.length > 1)) {
    const [a, b] = [members[0]!, members[1]!];
    for (let x = 0; x <= numBins[a]!; x++) {
      for (let y = 0; y <= numBins[b]!; y++) {
        const code = x * layout.stride[a]! + y * layout.stride[b]!;
        assert.equal(digitOf(layout, a, code), x);
        assert.equal(digitOf(layout, b, code), y);
      }
    }
  }
  // Without anything to bundle, the layout is the identity.
  assert.deepEqual(histogramLayout([255, 255, 200]).groupFeatures.map((g) => Array.from(g)), [[0], [1], [2]]);
});
