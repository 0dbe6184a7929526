// `npm run bench:models`: Sluice's logistic regression and random forest beside scikit-learn's on
// the flights-3m task, in the same run, on identical prepared features.
//
// Features: hour, day of week, month, day of month, distance (numeric); origin, destination
// (categorical: one-hot for the logistic regressions, codes for the forests). Label delay > 15. Train
// on rows before 2001-05-26, test on the rest.
// - Logistic regression: C = 1, at most 100 iterations (scikit-learn: lbfgs, max_iter=100, with
//   StandardScaler + OneHotEncoder in a pipeline; Sluice: trainModel with scaling + category encoding).
// - Random forest: 50 trees of depth 12 on 500,000 training rows drawn at random (seed 0) from the
//   whole training period (the file is in date order: its first 500,000 rows are all January), 2 threads.
// Each model runs in its own process (peak memory is its own) and fits once (Sluice first, then
// scikit-learn); then the two processes predict the test period in turn, --predict-repeat times
// each (default 7), and the predict bar is the median of the pairs' ratios: on a shared machine a
// prediction of a few seconds meets whatever load is passing, and neighbouring ones about the same
// (as bench:extract and bench:ingest pair their runs). Best, median and CPU times are printed beside.
// Ends with one `bar ...` line per bar of the issue and exits 1 if any is short.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.ts';
import { openEngine, readParquetSql } from '../src/engine/index.ts';
import { logLoss, rocAuc } from '../src/ml/metrics/index.ts';
import { flightsParquetPath } from '../examples/flights/data-path.ts';
import { median, ModelProcess, type Timing } from './model-process.ts';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'bench', 'out', 'models');
const PYTHON = '/usr/bin/python3';
const SETTINGS = { C: 1, maxIter: 100, numTrees: 50, depth: 12, forestRows: 500_000 };
const { values: opts } = parseArgs({ options: { threads: { type: 'string', default: '2' }, models: { type: 'string', default: 'logistic,forest' }, 'predict-repeat': { type: 'string', default: '7' } } });
const predictRepeat = Math.max(1, Number(opts['predict-repeat']));
const threads = Number(opts.threads);
const models = opts.models.split(',');

interface Result { model: string; version: string; fit_seconds: number; peak_rss_mb: number }
interface Row extends Result { auc: number; logLoss: number }

console.log(`Preparing flights-3m features on ${availableParallelism()} cores...`);
const engine = await openEngine();
const frame = await engine.toFrame(`
  SELECT CAST(hour(date) AS DOUBLE) AS hour, CAST(dayofweek(date) AS DOUBLE) AS dow, CAST(month(date) AS DOUBLE) AS month,
         CAST(day(date) AS DOUBLE) AS dom, CAST(distance AS DOUBLE) AS distance, origin, destination,
         CAST(delay > 15 AS DOUBLE) AS label, date < TIMESTAMP '2001-05-26' AS is_train
  FROM ${readParquetSql(flightsParquetPath())}`);
await engine.close();
const numeric = ['hour', 'dow', 'month', 'dom', 'distance'];
const categorical = ['origin', 'destination'];
const isTrain = frame.numbers('is_train');
const trainIdx: number[] = [];
const testIdx: number[] = [];
for (let i = 0; i < frame.numRows; i++) (isTrain[i] === 1 ? trainIdx : testIdx).push(i);
mkdirSync(outDir, { recursive: true });
const write = (file: string, values: ArrayLike<number>, idx: number[]): void => {
  const out = Float64Array.from(idx, (i) => values[i]!);
  writeFileSync(join(outDir, file), new Uint8Array(out.buffer));
};
// The forest's training rows: a seeded random sample of the training period, in row order.
const forestIdx = new Rng(0).shuffle(trainIdx.slice()).slice(0, SETTINGS.forestRows).sort((a, b) => a - b);
for (const name of [...numeric, ...categorical, 'label']) {
  const c = frame.column(name);
  const v = c.kind === 'number' ? c.values : Float64Array.from(c.codes, (x) => (x < 0 ? NaN : x));
  write(`train_${name}.f64`, v, trainIdx);
  write(`test_${name}.f64`, v, testIdx);
  write(`forest_${name}.f64`, v, forestIdx);
}
const manifest = join(outDir, 'manifest.json');
writeFileSync(manifest, JSON.stringify({ numeric, categorical, ...SETTINGS }, null, 1));
const labels = frame.numbers('label');
const yTest = Float64Array.from(testIdx, (i) => labels[i]!);
console.log(`  ${frame.numRows} rows: ${trainIdx.length} train, ${testIdx.length} test\n`);

/** A model process's summary, with the metrics of its last prediction (written to pred_<name>.f64). */
async function finish(side: ModelProcess): Promise<Row | null> {
  const r = await side.done<Result>();
  if (!r) return null;
  const buf = readFileSync(join(outDir, `pred_${side.name}.f64`));
  const pred = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  return { ...r, auc: rocAuc(yTest, pred), logLoss: logLoss(yTest, pred) };
}

interface Predictions { best: number; median: number; cpu: number }
const summary = (t: Timing[]): Predictions => ({ best: Math.min(...t.map((x) => x.predict_seconds)), median: median(t.map((x) => x.predict_seconds)), cpu: median(t.map((x) => x.cpu_seconds)) });

const hasSklearn = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
if (!hasSklearn) console.log(`  ${PYTHON} lacks scikit-learn: install Debian's package with\n    sudo apt-get install python3-sklearn\n`);
interface Pair { model: string; sluice: Row | null; sklearn: Row | null; times: { sluice: Predictions; sklearn: Predictions; pairRatio: number } | null }
const pairs: Pair[] = [];
for (const model of models) {
  // One fit at a time (each fit has the machine to itself, as far as this bench goes), then the
  // predictions alternate: Sluice, scikit-learn, Sluice, ...
  const sides: ModelProcess[] = [new ModelProcess(`sluice_${model}`, process.execPath, ['--import', 'tsx', join(root, 'bench', 'models_sluice.ts'), '--manifest', manifest, '--model', model, '--threads', String(threads)], { cwd: root, threads })];
  const fits: ({ fit_seconds: number } | null)[] = [await sides[0]!.next<{ fit_seconds: number }>()];
  if (hasSklearn && fits[0]) {
    sides.push(new ModelProcess(`sklearn_${model}`, PYTHON, [join(root, 'bench', 'python', 'models_reference.py'), '--manifest', manifest, '--model', model, '--threads', String(threads)], { cwd: root, threads }));
    fits.push(await sides[1]!.next<{ fit_seconds: number }>());
  }
  const ready = sides.filter((_, i) => fits[i]);
  const timings: Timing[][] = ready.map(() => []);
  for (let i = 0; i < predictRepeat; i++) {
    for (let s = 0; s < ready.length; s++) {
      const t = await ready[s]!.predict();
      if (t) timings[s]!.push(t);
    }
  }
  const rows = await Promise.all(sides.map((side, i) => (fits[i] ? finish(side) : Promise.resolve(null))));
  const [sluice = null, sklearn = null] = rows;
  for (const [i, r] of rows.entries()) {
    if (!r) continue;
    const t = summary(timings[i]!);
    console.log(`  ${r.model}: fit ${r.fit_seconds.toFixed(2)} s, predict best ${t.best.toFixed(3)} s, median ${t.median.toFixed(3)} s (${timings[i]!.length} runs; CPU median ${t.cpu.toFixed(3)} s)`);
  }
  const paired = sluice && sklearn && timings[0]!.length === predictRepeat && timings[1]!.length === predictRepeat;
  pairs.push({
    model, sluice, sklearn,
    times: paired ? { sluice: summary(timings[0]!), sklearn: summary(timings[1]!), pairRatio: median(timings[0]!.map((t, i) => t.predict_seconds / timings[1]![i]!.predict_seconds)) } : null,
  });
}

const fmt = (v: number | undefined, d: number): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
console.log(`\n| model | implementation | fit s | predict s best / median of ${predictRepeat} | predict CPU s (median) | test AUC | log loss | peak MB | Sluice fit ratio | Sluice predict ratio (median of pairs) |`);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const p of pairs) {
  for (const [r, t] of [[p.sluice, p.times?.sluice], [p.sklearn, p.times?.sklearn]] as const) {
    if (!r) continue;
    const other = r === p.sklearn && p.sluice;
    const ratio = other ? `${fmt(p.sluice!.fit_seconds / r.fit_seconds, 2)}x` : '';
    const predictRatio = other && p.times ? `${fmt(p.times.pairRatio, 2)}x` : '';
    console.log(`| ${p.model} | ${r.model} ${r.version} | ${fmt(r.fit_seconds, 2)} | ${t ? `${fmt(t.best, 3)} / ${fmt(t.median, 3)}` : 'n/a'} | ${fmt(t?.cpu, 3)} | ${fmt(r.auc, 4)} | ${fmt(r.logLoss, 4)} | ${fmt(r.peak_rss_mb, 0)} | ${ratio} | ${predictRatio} |`);
  }
}
console.log();

const TARGETS: Record<string, { auc: number; ratio: number }> = { logistic: { auc: 0.638, ratio: 0.5 }, forest: { auc: 0.66, ratio: 1.0 } };
let allOk = true;
for (const p of pairs) {
  const t = TARGETS[p.model]!;
  const aucOk = !!p.sluice && p.sluice.auc >= t.auc;
  const ratioOk = !!p.sluice && !!p.sklearn && p.sluice.fit_seconds <= t.ratio * p.sklearn.fit_seconds;
  allOk &&= aucOk && ratioOk;
  console.log(`bar ${p.model}-auc: ${fmt(p.sluice?.auc, 4)} (target >= ${t.auc}) ${aucOk ? 'ok' : 'short'}`);
  console.log(`bar ${p.model}-fit-time-vs-sklearn: ${p.sluice && p.sklearn ? `${fmt(p.sluice.fit_seconds / p.sklearn.fit_seconds, 2)}x (${fmt(p.sluice.fit_seconds, 2)} s vs ${fmt(p.sklearn.fit_seconds, 2)} s)` : 'n/a'} (target <= ${t.ratio.toFixed(1)}x) ${ratioOk ? 'ok' : 'short'}`);
  if (p.model === 'forest') {
    // Prediction of the test period (598,682 rows), worker threads on both sides: the median of
    // the ratios of neighbouring predictions (which meet about the same load).
    const x = p.times;
    const predictOk = !!x && x.pairRatio <= 1.0;
    allOk &&= predictOk;
    console.log(`bar forest-predict-time-vs-sklearn: ${x ? `${fmt(x.pairRatio, 2)}x (median of ${predictRepeat} pair ratios; best ${fmt(x.sluice.best, 3)} s vs ${fmt(x.sklearn.best, 3)} s, CPU ${fmt(x.sluice.cpu, 3)} s vs ${fmt(x.sklearn.cpu, 3)} s)` : 'n/a'} (target <= 1.0x) ${predictOk ? 'ok' : 'short'}`);
  }
}
process.exit(allOk ? 0 : 1);
