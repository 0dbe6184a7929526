// Sluice's side of `npm run bench:gbdt`, run in its own process (like each Python model) so that
// its peak memory is its own: reads the prepared float64 columns, fits, prints one JSON line
// {ready, fit_seconds}, then predicts the test rows once per `predict` line on stdin (one JSON line
// {predict_seconds, cpu_seconds} each; the bench alternates them with XGBoost's), and on `done`
// writes the last probabilities to <dir>/pred_sluice.f64 and prints the summary line.
//
//   node --import tsx bench/gbdt_sluice.ts --manifest bench/out/gbdt/manifest.json [--threads 2]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { answerPredictions } from './model-process.ts';
import { Frame, numberColumn } from '../src/frame/frame.ts';
import { GradientBoostedTrees } from '../src/ml/gbdt/index.ts';

interface Manifest {
  trainRows: number;
  testRows: number;
  features: { name: string; categorical: boolean }[];
  trees: number;
  leaves: number;
  bins: number;
  learningRate: number;
}

const { values } = parseArgs({ options: { manifest: { type: 'string' }, threads: { type: 'string', default: '2' } } });
const manifestPath = values.manifest!;
const dir = dirname(manifestPath);
const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;

function column(split: string, name: string, rows: number): Float64Array {
  const buf = readFileSync(join(dir, `${split}_${name}.f64`));
  const out = new Float64Array(rows);
  new Uint8Array(out.buffer).set(buf.subarray(0, rows * 8));
  if (buf.length !== rows * 8) throw new Error(`${split}_${name}.f64 holds ${buf.length / 8} values, manifest says ${rows}`);
  return out;
}

const frame = (split: string, rows: number): Frame =>
  new Frame(m.features.map((f) => [f.name, numberColumn(column(split, f.name, rows))]));
const train = frame('train', m.trainRows);
const test = frame('test', m.testRows);
const label = column('train', 'label', m.trainRows);

const t0 = performance.now();
const model = await new GradientBoostedTrees().fit(train, label, {
  objective: 'binary',
  numTrees: m.trees,
  maxLeaves: m.leaves,
  maxBins: m.bins,
  learningRate: m.learningRate,
  threads: Number(values.threads),
  categoricalFeatures: m.features.filter((f) => f.categorical).map((f) => f.name),
});
const fit = (performance.now() - t0) / 1000;
const pred = await answerPredictions(fit, () => model.predictProba(test));
writeFileSync(join(dir, 'pred_sluice.f64'), new Uint8Array(pred.buffer, pred.byteOffset, pred.byteLength));
console.log(JSON.stringify({
  model: 'sluice', version: '0.1.0', fit_seconds: fit,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
}));
process.exit(0);
