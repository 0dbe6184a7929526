// Child process of test/ml/gbdt.codegen.test.ts, started with and without
// --disallow-code-generation-from-strings: fits gbdt (one thread and two), a random forest and a
// logistic regression on the same generated data and prints one JSON line of what happened.
import { Frame, numberColumn, stringColumn } from '../../src/frame/frame.ts';
import { GradientBoostedTrees, closeThreads } from '../../src/ml/gbdt/index.ts';
import { RandomForest, closeForestThreads } from '../../src/ml/forest/index.ts';
import { rocAuc } from '../../src/ml/metrics/index.ts';
import { rng } from '../../src/ml/trees/sampling.ts';
import { codegenAllowed } from '../../src/ml/codegen.ts';
import { trainModel } from '../../src/ml/train.ts';
import { SluiceError } from '../../src/core/errors.ts';
import '../../src/ml/estimators.ts';

const n = 40_000;
const r = rng(11);
const x = Float64Array.from({ length: n }, () => r() * 10);
const z = Float64Array.from({ length: n }, () => (r() < 0.05 ? NaN : r()));
const city = Array.from({ length: n }, () => `c${Math.floor(r() * 30)}`);
const label = Float64Array.from({ length: n }, (_, i) => (x[i]! / 5 + (Number.isNaN(z[i]!) ? 1 : z[i]!) + (Number(city[i]!.slice(1)) % 3 === 0 ? 0.8 : 0) + r() > 2 ? 1 : 0));
const frame = new Frame([['x', numberColumn(x)], ['z', numberColumn(z)], ['city', stringColumn(city)]]);

const out: Record<string, unknown> = { codegen: codegenAllowed() };
for (const threads of [1, 2]) {
  const m = await new GradientBoostedTrees().fit(frame, label, { objective: 'binary', numTrees: 30, threads });
  out[`gbdt${threads}`] = rocAuc(label, m.predictProba(frame));
}
const forest = await new RandomForest({ numTrees: 10, threads: 2, seed: 1 }).fit(frame, label);
out['forest'] = rocAuc(label, forest.predictProba(frame));
try {
  await trainModel(frame.withColumn('label', numberColumn(label)), { label: 'label', task: 'binary', numeric: ['x'], estimator: { type: 'logistic-regression' } });
  out['linear'] = 'fitted';
} catch (e) {
  out['linear'] = e instanceof SluiceError ? { code: e.code, message: e.message, hint: e.hint } : { other: String(e) };
}
await closeThreads();
await closeForestThreads();
console.log(JSON.stringify(out));
