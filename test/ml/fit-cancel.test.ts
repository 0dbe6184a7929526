// Cancellation reaches the fit loops: a gbdt or forest fit whose AbortSignal aborts in the middle
// rejects with CancelledError soon after (within a round or a tree), directly and through
// trainModel, and leaves no worker thread running; the linear models' solvers (L-BFGS, OWL-QN)
// stop between iterations the same way. (Timing is printed, never asserted tightly:
// the bound below only says the fit stopped long before it would have finished.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { CancelledError } from '../../src/core/errors.ts';
import { GradientBoostedTrees } from '../../src/ml/gbdt/index.ts';
import { RandomForest } from '../../src/ml/forest/index.ts';
import { rng } from '../../src/ml/trees/sampling.ts';
import { liveTreeWorkers } from '../../src/ml/trees/threads.ts';
import { lbfgsAsync, owlqnAsync, type SmoothObjective } from '../../src/ml/linear/index.ts';
import { trainModel } from '../../src/registry/index.ts';
import '../../src/ml/estimators.ts';

function data(n: number): { frame: Frame; label: Float64Array } {
  const r = rng(7);
  const cols: [string, ReturnType<typeof numberColumn>][] = [];
  const label = new Float64Array(n);
  const xs = Array.from({ length: 6 }, () => new Float64Array(n));
  const city: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    xs.forEach((x, j) => { x[i] = r() * 10; s += (j % 2 ? 1 : -1) * x[i]!; });
    const c = Math.floor(r() * 40);
    city.push(`c${c}`);
    label[i] = s + (c % 3) + 4 * (r() - 0.5) > 1 ? 1 : 0;
  }
  xs.forEach((x, j) => cols.push([`x${j}`, numberColumn(x)]));
  return { frame: new Frame([...cols, ['city', stringColumn(city)]]), label };
}

/**
 * Runs `fit` and aborts it from a timer 50 ms after it reports progress `at` (so the abort lands in
 * the middle of the loop); resolves to the error and the milliseconds from abort to rejection.
 */
async function abortDuring(at: number, fit: (signal: AbortSignal, progress: (done: number) => void) => Promise<unknown>): Promise<{ error: unknown; latency: number }> {
  const ac = new AbortController();
  let abortedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const progress = (done: number): void => {
    if (done === at) timer = setTimeout(() => { abortedAt = performance.now(); ac.abort(); }, 50);
  };
  try {
    await fit(ac.signal, progress);
    return { error: null, latency: NaN };
  } catch (error) {
    return { error, latency: performance.now() - abortedAt };
  } finally {
    clearTimeout(timer);
  }
}

function assertCancelled(what: string, r: { error: unknown; latency: number }): void {
  assert.ok(r.error instanceof CancelledError, `${what}: expected CancelledError, got ${String(r.error)}`);
  assert.match((r.error as Error).message, /was cancelled/);
  console.log(`${what}: rejected ${r.latency.toFixed(0)} ms after abort`);
  assert.ok(r.latency < 2000, `${what}: ${r.latency} ms after abort`);
  assert.equal(liveTreeWorkers(), 0, `${what}: worker threads left running`);
}

const { frame, label } = data(60_000);

for (const threads of [1, 2]) {
  test(`gbdt: abort in the middle of a long fit rejects with CancelledError (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
    let rounds = 0;
    const r = await abortDuring(5, (signal, progress) => new GradientBoostedTrees().fit(frame, label, {
      objective: 'binary', numTrees: 100_000, threads, signal, onIteration: (done) => { rounds = done; progress(done); },
    }));
    assertCancelled(`gbdt ${threads} threads after ${rounds} rounds`, r);
    assert.ok(rounds >= 5 && rounds < 100_000);
  });

  test(`random forest: abort in the middle of a long fit rejects with CancelledError (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
    let trees = 0;
    const r = await abortDuring(3, (signal, progress) => new RandomForest().fit(frame, label, {
      numTrees: 100_000, maxDepth: 10, threads, signal, onProgress: (done) => { trees = done; progress(done); },
    }));
    assertCancelled(`forest ${threads} threads after ${trees} trees`, r);
    assert.ok(trees >= 3 && trees < 100_000);
  });
}

test('trainModel passes the signal to the tree learners; an aborted signal stops before any work', async () => {
  for (const estimator of [{ type: 'gbdt', numTrees: 100_000, threads: 2 }, { type: 'random-forest', numTrees: 100_000, threads: 2 }] as const) {
    const train = frame.withColumn('label', numberColumn(label));
    const r = await abortDuring(3, (signal, progress) => trainModel(train, {
      label: 'label', task: 'binary', numeric: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'], categorical: ['city'], estimator, signal,
      // trainModel reports its two stages, then the estimator's rounds or trees.
      onProgress: (done, total) => { if (total > 2) progress(done); },
    }));
    assertCancelled(`trainModel ${estimator.type}`, r);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(trainModel(train, { label: 'label', task: 'binary', numeric: ['x0', 'x1'], estimator, signal: ac.signal }), CancelledError);
    assert.equal(liveTreeWorkers(), 0);
  }
});

test('linear solvers: L-BFGS and OWL-QN stop between iterations when the signal aborts', async () => {
  // Least squares with a slow objective (each evaluation a pass over 400,000 rows) and tolerances
  // of zero, so the solvers would run to maxIter.
  const n = 400_000;
  const D = 8;
  const r = rng(3);
  const X = Float64Array.from({ length: n * D }, () => r() - 0.5);
  const y = Float64Array.from({ length: n }, (_, i) => X[i * D]! - 2 * X[i * D + 1]! + r());
  let evaluations = 0;
  let onEvaluation = (): void => undefined;
  const objective: SmoothObjective = (w, g) => {
    evaluations++;
    onEvaluation();
    g.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      let z = -y[i]!;
      for (let j = 0; j < D; j++) z += X[i * D + j]! * w[j]!;
      f += 0.5 * z * z;
      for (let j = 0; j < D; j++) g[j]! += z * X[i * D + j]!;
    }
    // A ridge term that keeps changing a little, so no iteration ever meets the tolerances.
    for (let j = 0; j < D; j++) { f += 1e-3 * w[j]! ** 4; g[j]! += 4e-3 * w[j]! ** 3; }
    return f;
  };
  const options = { maxIter: 1_000_000, gtol: 0, ftol: -1 };
  for (const [name, run] of [
    ['L-BFGS', (signal: AbortSignal) => lbfgsAsync(objective, new Float64Array(D), options, signal)],
    ['OWL-QN', (signal: AbortSignal) => owlqnAsync(objective, new Float64Array(D), new Float64Array(D).fill(1e-3), options, signal)],
  ] as const) {
    const ac = new AbortController();
    evaluations = 0;
    // Abort from a timer once the third evaluation has run: in the middle of the iterations.
    onEvaluation = () => { if (evaluations === 3) setTimeout(() => ac.abort(), 0); };
    const res = await run(ac.signal).then((r) => r, (e: unknown) => e);
    assert.ok(res instanceof CancelledError, `${name}: ${JSON.stringify(res)}`);
    assert.match(res.message, new RegExp(`${name} was cancelled at iteration \\d+`));
    assert.ok(evaluations < 12, `${name}: ${evaluations} evaluations`);
    console.log(`${name}: ${res.message} after ${evaluations} evaluations`);
  }
});

test('a fit with no signal still gives the event loop its turns (timers and heartbeats keep running)', async () => {
  // Without a signal the fit loops used to hold the thread from start to end: a process's heartbeat
  // could not renew its run's lease during a long fit, and the run was reaped while still working.
  const train = frame.withColumn('label', numberColumn(label));
  for (const [what, fit] of [
    ['gbdt', () => new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 80, threads: 1 })],
    ['random forest', () => new RandomForest().fit(frame, label, { numTrees: 20, maxDepth: 10, threads: 1 })],
    ['trainModel logistic regression', () => trainModel(train, { label: 'label', task: 'binary', numeric: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'], categorical: ['city'], estimator: { type: 'logistic-regression', maxIter: 300 } })],
  ] as const) {
    let ticks = 0;
    const t0 = performance.now();
    const timer = setInterval(() => { ticks++; }, 5);
    try { await fit(); } finally { clearInterval(timer); }
    const ms = performance.now() - t0;
    console.log(`${what}: a fit of ${ms.toFixed(0)} ms let a 5 ms timer run ${ticks} times`);
    // A turn at least every YIELD_MS (20 ms) and one unit of work: at least two in any fit over 200 ms.
    if (ms > 200) assert.ok(ticks >= 2, `${what}: a ${ms.toFixed(0)} ms fit let a 5 ms timer run only ${ticks} times`);
  }
});
