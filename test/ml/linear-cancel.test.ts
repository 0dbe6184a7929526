// The linear models stop when a run is cancelled: logistic regression and the elastic net run their
// solver between event-loop turns when fitted through fitEstimator/trainModel, and an abort in the
// middle of the fit rejects with CancelledError naming the iteration it stopped at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { trainModel } from '../../src/ml/train.ts';

function rows(n: number): Frame {
  const r = new Rng(3);
  const x = Float64Array.from({ length: n }, () => r.next());
  const z = Float64Array.from({ length: n }, () => r.next());
  const g = Array.from({ length: n }, () => `g${r.int(300)}`);
  const y = Float64Array.from(x, (v, i) => (v + z[i]! + 0.3 * Number(g[i]!.slice(1)) / 300 + 0.5 * r.next() > 1.2 ? 1 : 0));
  return Frame.from({ x, z, g: stringColumn(g), y: numberColumn(y, 'bool'), v: Float64Array.from(x, (a, i) => a * 3 + z[i]! + 0.01 * r.next()) });
}

const frame = rows(200_000);

for (const [label, estimator] of [['y', { type: 'logistic-regression', tol: 1e-300, ftol: 0, maxIter: 1_000_000 }], ['v', { type: 'elastic-net', alpha: 1e-4, tol: 1e-300, ftol: 0, maxIter: 1_000_000 }]] as const) {
  test(`${estimator.type}: an abort in the middle of the fit rejects with CancelledError`, async () => {
    const ac = new AbortController();
    // trainModel reports (1, 2) just before the estimator's fit: the abort then lands at the solver's
    // first turn of the event loop, in the middle of its iterations.
    const fit = trainModel(frame, {
      label, numeric: ['x', 'z'], categorical: ['g'], estimator, signal: ac.signal,
      onProgress: (done) => { if (done === 1) setImmediate(() => ac.abort()); },
    });
    await assert.rejects(fit, (e: unknown) => e instanceof CancelledError && / was cancelled at iteration \d+/.test(e.message));
  });
}
