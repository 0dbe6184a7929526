// `npm run bench:gbdt`: Sluice's gradient-boosted trees against XGBoost `hist` and scikit-learn's
// HistGradientBoostingClassifier on flights-3m, in the same run, on identical features.
//
// Features: hour, day of week, month, day of month, distance; origin and destination as categories
// (Sluice and scikit-learn natively; XGBoost 1.7 sees their codes as numbers). Label delay > 15.
// Train on rows before 2001-05-26, test on the rest. 100 trees, 31 leaves, 255 bins, learning
// rate 0.1, 2 threads.
//
// The prepared columns are written once to bench/out/gbdt/ as raw little-endian float64 files
// (numpy.fromfile) with a manifest; each model then runs in its own process (Sluice:
// bench/gbdt_sluice.ts, Python: bench/python/gbdt_reference.py) so its peak memory is its own.
// Metrics are computed here for all three with the same code.
//
// Each round starts Sluice's and XGBoost's processes, lets each fit alone (Sluice first), then has
// them predict the test rows in turn, --predict-repeat times each; scikit-learn then fits and
// predicts once. The predict bar is the median of all rounds' Sluice/XGBoost pair ratios:
// neighbouring predictions meet about the same load on a shared machine (as in bench:models).
//
// Options: --repeat N (rounds, the models taking turns; each keeps its fastest fit; default 3,
//          since the machine may be shared and timings noisy), --predict-repeat P (predictions per
//          round and side; default 3), --threads T (default 2), --skip-python.
// Ends with one `bar ...` line per bar of the issue; exits 1 if any is short.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openEngine, readParquetSql } from '../src/engine/index.ts';
import { logLoss, rocAuc } from '../src/ml/metrics/index.ts';
import { median, ModelProcess, type Timing } from './model-process.ts';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'bench', 'out', 'gbdt');
const parquet = join(root, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const PYTHON = '/usr/bin/python3';
const SETTINGS = { trees: 100, leaves: 31, bins: 255, learningRate: 0.1 };
const TARGET = { fitRatio: 1.0, auc: 0.67, predictRatio: 1.0 };

const { values: opts } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' }, 'predict-repeat': { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' }, 'skip-python': { type: 'boolean', default: false },
  },
});
const repeat = Math.max(1, Number(opts.repeat));
const predictRepeat = Math.max(1, Number(opts['predict-repeat']));
const threads = Number(opts.threads);

interface Result { model: string; version: string; fit_seconds: number; predict_seconds: number; peak_rss_mb: number }
interface Row extends Result { auc: number; logLoss: number; predictMedian: number; predictCpu: number }

// ---- Prepare the features once --------------------------------------------------------------
console.log(`Preparing flights-3m features (${parquet})...`);
const t0 = performance.now();
const engine = await openEngine();
const frame = await engine.toFrame(`
  SELECT hour(date) AS hour, dayofweek(date) AS dow, month(date) AS month, day(date) AS dom,
         distance, origin, destination,
         CASE WHEN delay > 15 THEN 1 ELSE 0 END AS label,
         date < TIMESTAMP '2001-05-26' AS is_train
  FROM ${readParquetSql(parquet)}`);
await engine.close();
const n = frame.numRows;
const isTrain = frame.numbers('is_train');
const trainIdx: number[] = [];
const testIdx: number[] = [];
for (let i = 0; i < n; i++) (isTrain[i] === 1 ? trainIdx : testIdx).push(i);

const features = [
  { name: 'hour', categorical: false }, { name: 'dow', categorical: false }, { name: 'month', categorical: false },
  { name: 'dom', categorical: false }, { name: 'distance', categorical: false },
  { name: 'origin', categorical: true }, { name: 'destination', categorical: true },
];
/** A feature as float64: numbers as they are, categories as their dictionary codes (NaN for null). */
function asFloat(name: string): Float64Array {
  const c = frame.column(name);
  if (c.kind === 'number') return c.values;
  if (c.dictionary.length > 254) throw new Error(`${name} has ${c.dictionary.length} categories; scikit-learn 1.2 accepts at most 254`);
  return Float64Array.from(c.codes, (v) => (v < 0 ? NaN : v));
}
mkdirSync(outDir, { recursive: true });
const write = (file: string, values: Float64Array, idx: number[]): void => {
  const out = Float64Array.from(idx, (i) => values[i]!);
  writeFileSync(join(outDir, file), new Uint8Array(out.buffer));
};
for (const f of features) {
  const v = asFloat(f.name);
  write(`train_${f.name}.f64`, v, trainIdx);
  write(`test_${f.name}.f64`, v, testIdx);
}
const label = frame.numbers('label');
write('train_label.f64', label, trainIdx);
write('test_label.f64', label, testIdx);
const manifestPath = join(outDir, 'manifest.json');
writeFileSync(manifestPath, JSON.stringify({ trainRows: trainIdx.length, testRows: testIdx.length, features, ...SETTINGS }, null, 1));
const yTest = Float64Array.from(testIdx, (i) => label[i]!);
console.log(`  ${n} rows: ${trainIdx.length} train, ${testIdx.length} test; ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

// ---- Run each model in its own process ------------------------------------------------------
// The models take turns round by round, so that each model's runs meet the same stretches of load
// as the others' (on a shared machine the load drifts over the minutes a run takes); each keeps
// its fastest fit, and Sluice's and XGBoost's predictions alternate within a round.

interface Model { name: string; cmd: string; args: string[]; fits: number[]; timings: Timing[]; last: Omit<Result, 'predict_seconds'> | null; failed: boolean }

function resultOf(m: Model): Row | null {
  if (m.failed || !m.last || m.timings.length === 0) return null;
  const buf = readFileSync(join(outDir, `pred_${m.name}.f64`));
  const pred = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const seconds = m.timings.map((t) => t.predict_seconds);
  return {
    ...m.last, fit_seconds: Math.min(...m.fits), predict_seconds: Math.min(...seconds), predictMedian: median(seconds),
    predictCpu: median(m.timings.map((t) => t.cpu_seconds)), auc: rocAuc(yTest, pred), logLoss: logLoss(yTest, pred),
  };
}

function pythonHas(module: string): string | null {
  const p = spawnSync(PYTHON, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
  return p.status === 0 ? p.stdout.trim() : null;
}

console.log(`Load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start.`);
console.log(`Fitting (${SETTINGS.trees} trees, ${SETTINGS.leaves} leaves, ${SETTINGS.bins} bins, learning rate ${SETTINGS.learningRate}, ${threads} threads):`);
const models: Model[] = [{ name: 'sluice', cmd: process.execPath, args: ['--import', 'tsx', join(root, 'bench', 'gbdt_sluice.ts'), '--manifest', manifestPath, '--threads', String(threads)], fits: [], timings: [], last: null, failed: false }];
const missing: string[] = [];
for (const [model, module, pkg] of [['xgboost', 'xgboost', 'python3-xgboost'], ['sklearn', 'sklearn', 'python3-sklearn']] as const) {
  if (opts['skip-python']) continue;
  if (!pythonHas(module)) { missing.push(pkg); continue; }
  models.push({ name: model, cmd: PYTHON, args: [join(root, 'bench', 'python', 'gbdt_reference.py'), '--manifest', manifestPath, '--model', model, '--threads', String(threads)], fits: [], timings: [], last: null, failed: false });
}
/** Sluice/XGBoost ratios of predictions made one after the other. */
const pairRatios: number[] = [];
const paired = models.filter((m) => m.name !== 'sklearn');
const alone = models.filter((m) => m.name === 'sklearn');
for (let i = 0; i < repeat; i++) {
  for (const group of [paired, alone]) {
    // One fit at a time (each has this bench's share of the machine to itself), then the
    // group's predictions alternate.
    const sides: { m: Model; side: ModelProcess }[] = [];
    for (const m of group) {
      if (m.failed) continue;
      const side = new ModelProcess(m.name, m.cmd, m.args, { cwd: root, threads });
      const ready = await side.next<{ fit_seconds: number }>();
      if (!ready) { m.failed = true; continue; }
      m.fits.push(ready.fit_seconds);
      sides.push({ m, side });
    }
    const times = group === alone ? 1 : predictRepeat;
    for (let k = 0; k < times; k++) {
      const pair: (Timing | null)[] = [];
      for (const { m, side } of sides) {
        const t = await side.predict();
        if (t) m.timings.push(t); else m.failed = true;
        pair.push(t);
      }
      if (group === paired && pair.length === 2 && pair[0] && pair[1]) pairRatios.push(pair[0].predict_seconds / pair[1].predict_seconds);
    }
    for (const { m, side } of sides) {
      m.last = await side.done<Omit<Result, 'predict_seconds'>>();
      if (!m.last) m.failed = true;
      const t = m.timings.slice(-times);
      console.log(`  ${m.name} run ${i + 1}: fit ${m.fits.at(-1)!.toFixed(2)} s, predict ${t.map((x) => x.predict_seconds.toFixed(3)).join(' / ')} s`);
    }
  }
}
const rows: Row[] = [];
for (const m of models) {
  const r = resultOf(m);
  if (r) rows.push(r);
}
const sluice = rows.find((r) => r.model === 'sluice') ?? null;
if (missing.length > 0) {
  console.log(`\n  ${PYTHON} lacks ${missing.join(' and ')}: install with\n    sudo apt-get install ${missing.join(' ')}\n  (Debian's packages; the comparison needs /usr/bin/python3 with them).`);
}

// ---- Table and bars ---------------------------------------------------------------------------
const fmt = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const header = ['model', 'version', 'fit s', `predict s best / median`, 'predict CPU s', 'test AUC', 'log loss', 'peak MB', 'Sluice fit ratio', 'Sluice predict ratio', 'Sluice memory ratio'];
const pairRatio = pairRatios.length > 0 ? median(pairRatios) : NaN;
const table = rows.map((r) => [
  r.model, r.version, fmt(r.fit_seconds, 2), `${fmt(r.predict_seconds, 3)} / ${fmt(r.predictMedian, 3)}`, fmt(r.predictCpu, 3),
  fmt(r.auc, 4), fmt(r.logLoss, 4), fmt(r.peak_rss_mb, 0),
  sluice && r !== sluice ? `${fmt(sluice.fit_seconds / r.fit_seconds, 2)}x` : '',
  // Against XGBoost: the median of the pair ratios; against scikit-learn: best against best.
  sluice && r !== sluice ? `${fmt(r.model === 'xgboost' ? pairRatio : sluice.predict_seconds / r.predict_seconds, 2)}x` : '',
  sluice && r !== sluice ? `${fmt(sluice.peak_rss_mb / r.peak_rss_mb, 2)}x` : '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
console.log(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) console.log(line(t));
console.log();

const xgb = rows.find((r) => r.model === 'xgboost');
const bars: { name: string; measured: string; target: string; ok: boolean }[] = [
  {
    name: 'fit-time-vs-xgboost',
    measured: sluice && xgb ? `${(sluice.fit_seconds / xgb.fit_seconds).toFixed(2)}x (${sluice.fit_seconds.toFixed(2)} s vs ${xgb.fit_seconds.toFixed(2)} s)` : 'n/a',
    target: `<= ${TARGET.fitRatio.toFixed(2)}x`,
    ok: !!sluice && !!xgb && sluice.fit_seconds <= TARGET.fitRatio * xgb.fit_seconds,
  },
  {
    name: 'test-auc',
    measured: sluice ? sluice.auc.toFixed(4) : 'n/a',
    target: `>= ${TARGET.auc.toFixed(3)}`,
    ok: !!sluice && sluice.auc >= TARGET.auc,
  },
  {
    name: 'predict-time-vs-xgboost',
    // Median of the ratios of predictions made one after the other, best times beside.
    measured: sluice && xgb && pairRatios.length > 0
      ? `${pairRatio.toFixed(2)}x (median of ${pairRatios.length} pair ratios; best ${sluice.predict_seconds.toFixed(3)} s vs ${xgb.predict_seconds.toFixed(3)} s, CPU ${sluice.predictCpu.toFixed(3)} s vs ${xgb.predictCpu.toFixed(3)} s)`
      : 'n/a',
    target: `<= ${TARGET.predictRatio.toFixed(2)}x`,
    ok: !!sluice && !!xgb && pairRatio <= TARGET.predictRatio,
  },
];
for (const b of bars) console.log(`bar ${b.name}: ${b.measured} (target ${b.target}) ${b.ok ? 'ok' : 'short'}`);
process.exit(bars.every((b) => b.ok) ? 0 : 1);
