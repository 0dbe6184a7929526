// Sluice side of `npm run bench:models`: reads the prepared features, fits one model, times fit and
// predict, writes its test predictions, prints one JSON line. Runs in its own process so its peak
// memory is its own.
//   node --import tsx bench/models_sluice.ts --manifest M --model logistic|forest --threads 2
// then one line `predict` on stdin per prediction, `done` to finish (see bench/models.bench.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { answerPredictions } from './model-process.ts';
import { Frame, type Column } from '../src/frame/frame.ts';
import { trainModel } from '../src/ml/train.ts';

const { values: opts } = parseArgs({ options: { manifest: { type: 'string' }, model: { type: 'string' }, threads: { type: 'string', default: '2' } } });
const manifestPath = opts.manifest!;
const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { numeric: string[]; categorical: string[]; C: number; maxIter: number; numTrees: number; depth: number; forestRows: number };
const base = dirname(manifestPath);

function load(split: string, name: string): Float64Array {
  const buf = readFileSync(join(base, `${split}_${name}.f64`));
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Categories arrive as float codes; they become text columns as a user's data would be. */
function frameOf(split: string): Frame {
  const cols: [string, Column][] = m.numeric.map((n) => [n, { kind: 'number', values: load(split, n), logical: 'float' }]);
  for (const name of m.categorical) {
    const v = load(split, name);
    let max = 0;
    for (const x of v) if (x > max) max = x;
    const dictionary = Array.from({ length: max + 1 }, (_, i) => String(i));
    cols.push([name, { kind: 'string', codes: Int32Array.from(v, (x) => (Number.isNaN(x) ? -1 : x)), dictionary }]);
  }
  return new Frame(cols);
}

const train = frameOf('train').withColumn('label', { kind: 'number', values: load('train', 'label'), logical: 'float' });
const test = frameOf('test');

let fitSeconds: number;
let predict: () => Float64Array | Promise<Float64Array>;
if (opts.model === 'logistic') {
  const t0 = performance.now();
  const model = await trainModel(train, { label: 'label', task: 'binary', numeric: m.numeric, categorical: m.categorical, estimator: { type: 'logistic-regression', C: m.C, maxIter: m.maxIter } });
  fitSeconds = (performance.now() - t0) / 1000;
  predict = () => model.predict(test);
} else if (opts.model === 'forest') {
  // The sampled `forestRows` training rows (forest_*.f64), as scikit-learn gets them. Origin and destination are
  // text columns, which the forest splits on as categories (sets of airports), where scikit-learn
  // splits on their codes as numbers; every other setting is scikit-learn's default
  // (maxFeatures 'sqrt', bootstrap, minSamplesLeaf 1).
  const rows = frameOf('forest').withColumn('label', { kind: 'number', values: load('forest', 'label'), logical: 'float' });
  const t0 = performance.now();
  const model = await trainModel(rows, {
    label: 'label', task: 'binary', numeric: m.numeric, categorical: m.categorical,
    estimator: { type: 'random-forest', numTrees: m.numTrees, maxDepth: m.depth, threads: Number(opts.threads), seed: 0 },
  });
  fitSeconds = (performance.now() - t0) / 1000;
  // On worker threads, as scikit-learn predicts with n_jobs=2; the fit's threads are still up.
  predict = () => model.predictAsync(test, { threads: Number(opts.threads) });
} else {
  throw new Error(`unknown model ${opts.model}`);
}
// Fitted: say so, then predict once per `predict` line on stdin (the bench alternates these with
// scikit-learn's, so that neighbouring predictions meet the same load); `done` writes the last
// prediction and the summary.
const pred = await answerPredictions(fitSeconds, predict);
writeFileSync(join(base, `pred_sluice_${opts.model}.f64`), new Uint8Array(pred.buffer, pred.byteOffset, pred.byteLength));
console.log(JSON.stringify({ model: `sluice ${opts.model}`, version: 'this commit', fit_seconds: fitSeconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
