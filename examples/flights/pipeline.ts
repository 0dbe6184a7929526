/**
 * The flights demo: predict whether a US flight departs more than 15 minutes late, and retrain every
 * month, keeping a new model only when it proves better.
 *
 * One run per month M (the pipeline's monthly partitions, 2001-01 to 2001-06), in order:
 *   ingest M (validated while read: bad rows quarantined with the expectations they broke)
 *   -> validate the whole dataset -> features (SQL in DuckDB) for the months up to M
 *   -> drift:       M against the champion's training rows (dataset `flights_drift`)
 *   -> score:       M with the champion (dataset `flights_predictions`, which records the version)
 *   -> performance: M's labels are in the data (a backfill replays months whose labels have arrived):
 *                   the champion and the frozen first model (alias `baseline`) measured on M
 *                   (dataset `flights_performance`: two versions a month, charted as two lines)
 *   -> train:       a challenger on all months before M (`trainMonths` to keep only the last few)
 *   -> promote:     the gate measures challenger and champion on the same rows, M's, which neither
 *                   trained on; the challenger becomes champion only if it wins (the decision and both
 *                   models' metrics go to the alias history). The champion for M+1 is then chosen on
 *                   M: honest, since M+1 is new to both.
 *   -> summary:     one line of the month-by-month table `sluice backfill` prints.
 * The first month has no champion and no month before it: its challenger trains on its days before
 * the 22nd, is measured on the rest, becomes the first champion and is pinned as `baseline`.
 *
 * The whole story:  ./bin/sluice.js backfill flights --from 2001-01 --to 2001-06   (npm run demo)
 * One month:        ./bin/sluice.js run examples/flights/pipeline.ts --partition 2001-05 [--param model=gbdt]
 * Without a partition, a run collects every month not yet ingested and evaluates on the latest one.
 * A month already ingested with the same content is skipped, so a second run only retrains.
 * The monthly schedule (06:00 UTC on the 1st, the previous month) is what `sluice scheduler` runs; the
 * data stop in June 2001, so today it has nothing in range and `sluice schedules` shows it idle.
 */
import { monthly, parquet, pipeline, trainModel, evaluateBinary, type EstimatorSpec, type PromotionGate } from 'sluice';
import { flightsParquetPath } from './data-path.ts';
import { flightsDatasetSuite, flightsSuite, month } from './suites.ts';

const LABEL = 'late';
const MODEL = 'flights_delay';
/** The months the data covers: the pipeline's partitions. */
const MONTHS = { start: '2001-01', end: '2001-06' } as const;

/**
 * The model families the demo can train: pick one with `--param model=gbdt` (or change the default
 * below). Logistic regression replays the six months in about a minute on two busy cores; gbdt with 50
 * trees in two to three (100 trees add about 0.01 AUC and a minute) and gains more from retraining.
 */
const ESTIMATORS = {
  'logistic-regression': { type: 'logistic-regression', C: 1.0, maxIter: 200 },
  gbdt: { type: 'gbdt', numTrees: 50, maxLeaves: 31, learningRate: 0.1, threads: 2, seed: 1 },
  'random-forest': { type: 'random-forest', numTrees: 50, maxDepth: 12, threads: 2, seed: 1 },
} satisfies Record<string, EstimatorSpec>;
const NUMERIC = ['distance'];
// Not the month: the evaluated month is never among the training months. Not the day of the month
// either (it stays a column, for the first month's split): months are split in time, so a model would
// learn which January days had storms, which says nothing of February, and the first month's model,
// trained on days 1-21, would meet only days it never saw.
const CATEGORICAL = ['origin', 'destination', 'hour', 'day_of_week'];
const FEATURES = [...NUMERIC, ...CATEGORICAL];
/** With no earlier month collected, the month itself is split: train before this day, evaluate from it. */
const HOLDOUT_FROM_DAY = 22;
/** Reference rows the drift step compares a month with, at most. */
const DRIFT_REFERENCE_ROWS = 250_000;
/**
 * How a challenger replaces the champion: a better AUC on the same rows by at least 0.001 (less is
 * noise on a month of flights), without a log loss worse by more than 0.005.
 */
const GATE: PromotionGate = { metric: 'auc', minGain: 0.001, guards: [{ metric: 'logLoss', maxWorsening: 0.005 }] };

export default pipeline('flights', {
  params: {
    /** Parquet file to read; empty means the copy shipped by vega-datasets. */
    source: '',
    /** How many months before the evaluated month the challenger trains on (0: all of them). */
    trainMonths: 0,
    /** Which model family to train: logistic-regression, gbdt or random-forest. */
    model: 'logistic-regression',
    /** Trees of gbdt and random-forest (0: the family's default above); fewer for a quick run. */
    trees: 0,
  },
  description: 'Flight delay prediction on flights-3m (vega-datasets), retrained monthly behind a promotion gate',
  // Each month trains on the months before it and is judged against the champion they chose, so a backfill runs them in order.
  partitions: monthly({ start: MONTHS.start, end: MONTHS.end, dependsOnPrevious: true }),
  schedule: { cron: '0 6 1 * *', timezone: 'UTC', catchUp: 'all' },
})
  .step('ingest', [], async (_in, ctx) => {
    // By month: a run for partition 2001-03 takes that month only; without a partition, every month
    // not yet ingested (or changed since). Each month is validated while it is read.
    const path = ctx.params.source || flightsParquetPath();
    const result = await ctx.datasets.ingest('flights', parquet(path), {
      incremental: { by: 'partition', key: month, changed: 'replace' },
      suite: flightsSuite,
      quarantine: 'flights_quarantine',
      retention: { keepVersions: 3 },
    });
    ctx.log(`${result.rows.toLocaleString('en-US')} clean rows in ${result.versions.length} month(s), ${result.quarantinedRows.toLocaleString('en-US')} quarantined; ${result.skipped.length} month(s) unchanged`);
    return { rows: result.rows, quarantinedRows: result.quarantinedRows, months: result.versions.length, unchanged: result.skipped.length };
  })
  .step('validate', ['ingest'], async ({ ingest }, ctx) => {
    // Whole-dataset checks over every month collected so far.
    const clean = await ctx.datasets.current('flights');
    if (!clean) throw new Error('no month of flights has been ingested yet');
    const { report } = await ctx.quality.validate(clean, flightsDatasetSuite);
    ctx.log(`${clean.rowCount.toLocaleString('en-US')} rows in ${clean.parts.length} month(s): ${report.status}`);
    return { clean, quarantinedThisRun: ingest.quarantinedRows, status: report.status };
  })
  .step('features', ['validate'], async ({ validate }, ctx) => {
    // The evaluated month: the run's partition, else the latest month collected.
    // (A few flights of 2001-06-30 land in July: the latest declared month, not the latest row, is evaluated.)
    const clean = ctx.datasets.sql(validate.clean);
    const latest = await ctx.engine.scalar(`SELECT max(${month.sql}) FROM ${clean} WHERE ${month.sql} <= ${sqlString(MONTHS.end)}`);
    const testMonth = ctx.run.partition ?? String(latest);
    const features = await ctx.datasets.write('flights_features', featuresSql(clean, `month <= ${sqlString(testMonth)}`), { inputs: [...validate.clean.parts] });
    const earlier = Number(await ctx.engine.scalar(`SELECT count(*) FROM ${ctx.datasets.sql(features)} WHERE month < ${sqlString(testMonth)}`));
    // The rows the month is judged on (every model is measured on them) and the challenger's training rows:
    // the months before it; for a first month, its own days before the 22nd and the rest held out.
    const first = ctx.params.trainMonths > 0 ? ` AND month >= ${sqlString(addMonths(testMonth, -ctx.params.trainMonths))}` : '';
    const trainWhere = earlier > 0 ? `month < ${sqlString(testMonth)}${first}` : `month = ${sqlString(testMonth)} AND day_of_month < ${HOLDOUT_FROM_DAY}`;
    const testWhere = earlier > 0 ? `month = ${sqlString(testMonth)}` : `month = ${sqlString(testMonth)} AND day_of_month >= ${HOLDOUT_FROM_DAY}`;
    return { features, testMonth, trainWhere, testWhere };
  })
  .step('drift', ['validate', 'features'], async ({ validate, features: f }, ctx) => {
    const champion = await ctx.models.find(MODEL, 'champion');
    if (!champion) { ctx.log(`no champion yet: nothing to compare ${f.testMonth} with`); return null; }
    // The champion's training rows, rebuilt from the clean data by the filter it recorded; past
    // DRIFT_REFERENCE_ROWS, a sample of them (the distances barely move, the step takes a fraction).
    // Chosen by a hash of each row, so every replay draws the same one (DuckDB's seeded reservoir
    // sample is not repeatable across its threads).
    const trainWhere = String((await ctx.models.load(champion)).params['trainWhere'] ?? '');
    if (!trainWhere) { ctx.log(`champion v${champion.version} recorded no training rows: drift not measured`); return null; }
    const reference = await ctx.engine.toFrame(`
      SELECT ${FEATURES.join(', ')} FROM (${featuresSql(ctx.datasets.sql(validate.clean), trainWhere)})
      ORDER BY hash(date, origin, destination, distance, ${LABEL}) LIMIT ${DRIFT_REFERENCE_ROWS}`);
    if (reference.numRows === 0) { ctx.log(`the training rows of champion v${champion.version} (${trainWhere}) are no longer in the data: drift not measured`); return null; }
    const current = await ctx.datasets.frame(f.features, (t) => `SELECT ${FEATURES.join(', ')} FROM ${t} WHERE ${f.testWhere}`);
    const { report, dataset } = await ctx.monitor.drift(reference, current, { columns: FEATURES, output: 'flights_drift' });
    const largest = [...report.features].sort((a, b) => b.statistic - a.statistic).slice(0, 3);
    return {
      champion: champion.version, drifted: report.driftedColumns, tested: report.testedColumns, dataset,
      largest: largest.map((x) => `${x.feature} ${x.statistic.toFixed(3)}${x.drifted ? '*' : ''}`).join(', '),
    };
  })
  .step('score', ['features'], async ({ features: f }, ctx) => {
    // The month's batch predictions, made by whatever version `champion` points to (recorded with the rows).
    if (!(await ctx.models.find(MODEL, 'champion'))) { ctx.log(`no champion yet: ${f.testMonth} is not scored`); return null; }
    const { dataset, model, rows } = await ctx.models.score(MODEL, f.features, {
      output: 'flights_predictions', keep: ['date', 'origin', 'destination', LABEL], query: (t) => `SELECT * FROM ${t} WHERE ${f.testWhere}`,
    });
    return { dataset, version: model.version, rows };
  })
  .step('performance', ['features'], async ({ features: f }, ctx) => {
    // Once the month's labels are in: how the champion did on it, and the frozen first model beside it.
    const champion = await ctx.models.find(MODEL, 'champion');
    if (!champion) { ctx.log(`no champion yet: no model to measure on ${f.testMonth}`); return null; }
    const rows = await ctx.datasets.frame(f.features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${f.testWhere}`);
    const current = await ctx.monitor.performance(MODEL, rows, { alias: 'champion', label: LABEL, output: 'flights_performance' });
    const baseline = await ctx.models.find(MODEL, 'baseline')
      ? await ctx.monitor.performance(MODEL, rows, { alias: 'baseline', label: LABEL, output: 'flights_performance' })
      : null;
    return {
      champion: { version: current.version, auc: current.metrics['auc']!, logLoss: current.metrics['logLoss']!, rows: current.rows },
      baseline: baseline ? { version: baseline.version, auc: baseline.metrics['auc']!, logLoss: baseline.metrics['logLoss']!, rows: baseline.rows } : null,
    };
  })
  .step('train', ['features'], async ({ features: f }, ctx) => {
    // In a fixed order: a dataset version is a set of rows (written in parallel), and a fit that sees its
    // rows in another order is another model (bins, bagging, sums), so the replay would not repeat itself.
    const train = await ctx.datasets.frame(f.features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${f.trainWhere} ORDER BY date, origin, destination, distance, ${LABEL}`);
    const test = await ctx.datasets.frame(f.features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${f.testWhere}`);
    if (train.numRows === 0 || test.numRows === 0) throw new Error(`no rows to ${train.numRows === 0 ? 'train' : 'evaluate'} on for ${f.testMonth}: has the month been ingested?`);
    ctx.log(`challenger: train ${train.numRows.toLocaleString('en-US')} rows (${f.trainWhere}), evaluate on ${test.numRows.toLocaleString('en-US')} rows (${f.testWhere})`);
    const model = await trainModel(train, {
      label: LABEL, task: 'binary', numeric: NUMERIC, categorical: CATEGORICAL,
      estimator: estimatorFor(ctx.params.model, ctx.params.trees),
      log: (message) => ctx.log(message),
      onProgress: (done, total) => ctx.progress(done, total, 'fitting'),
      // With the run's signal the fit gives the event loop a turn between rounds: the heartbeat keeps
      // the run's lease (without it a long fit holds the thread past the lease) and a cancel stops it.
      signal: ctx.signal,
    });
    const metrics = evaluateBinary(test.numbers(LABEL), model.predict(test));
    ctx.log(`challenger's held-out AUC ${metrics.auc.toFixed(4)} on ${f.testMonth}, log loss ${metrics.logLoss.toFixed(4)}`);
    const registered = await ctx.models.register(MODEL, model.toPackage({ metrics, params: { testMonth: f.testMonth, trainWhere: f.trainWhere, testWhere: f.testWhere, model: ctx.params.model } }), { inputs: [f.features] });
    return { model: registered, metrics, trainRows: train.numRows };
  })
  // After drift, score and performance: they see the champion this run started with, never the one it promotes.
  .step('promote', ['features', 'train', 'drift', 'score', 'performance'], async ({ features: f, train }, ctx) => {
    // Challenger and champion on the same rows of M; the gate decides and the alias history keeps why.
    const rows = await ctx.datasets.frame(f.features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${f.testWhere}`);
    const decision = await ctx.models.promote(MODEL, train.model, { gate: GATE, rows, label: LABEL });
    // The first champion is also pinned as `baseline`: the frozen model every later month is compared with.
    if (decision.promote && !(await ctx.models.find(MODEL, 'baseline'))) {
      ctx.models.setAlias(MODEL, 'baseline', train.model.version, `the first champion, frozen: later months compare the champion with it (trained ${f.trainWhere})`);
    }
    return { promoted: decision.promote, reason: decision.reason, gain: decision.gain, challenger: decision.evidence.challenger, champion: decision.evidence.champion };
  })
  .step('summary', ['features', 'drift', 'performance', 'train', 'promote'], ({ features: f, drift, performance, train, promote }) => ({
    'evaluated month': f.testMonth,
    champion: performance ? `v${performance.champion.version}` : null,
    'champion AUC': performance?.champion.auc ?? null,
    'January model AUC': performance?.baseline?.auc ?? null,
    challenger: `v${train.model.version}`,
    'challenger AUC': train.metrics.auc,
    promoted: promote.promoted ? 'yes' : 'no',
    'largest drifts': drift?.largest ?? null,
    decision: promote.reason,
  }));

/** The features of the rows of `table` (the clean flights) that match `where` (over the feature columns). */
function featuresSql(table: string, where: string): string {
  return `
    SELECT * FROM (
      SELECT date,
             ${month.sql} AS month,
             CAST(hour(date) AS VARCHAR) AS hour,
             CAST(dayofweek(date) AS VARCHAR) AS day_of_week,
             CAST(day(date) AS DOUBLE) AS day_of_month,
             CAST(distance AS DOUBLE) AS distance,
             origin, destination,
             CAST(delay > 15 AS DOUBLE) AS ${LABEL}
      FROM ${table})
    WHERE ${where}`;
}

function estimatorFor(name: string, trees: number): EstimatorSpec {
  const spec = (ESTIMATORS as Record<string, EstimatorSpec>)[name];
  if (!spec) throw new Error(`Unknown model "${name}"; choose one of ${Object.keys(ESTIMATORS).join(', ')}`);
  if (trees < 0 || !Number.isInteger(trees)) throw new Error(`--param trees must be a whole number >= 0 (0: the family's default), got ${trees}`);
  return trees > 0 && 'numTrees' in spec ? { ...spec, numTrees: trees } : { ...spec };
}

/** "2001-03" moved by n months. */
function addMonths(key: string, n: number): string {
  const [y, m] = key.split('-').map(Number) as [number, number];
  const k = y * 12 + (m - 1) + n;
  return `${String(Math.floor(k / 12)).padStart(4, '0')}-${String((k % 12) + 1).padStart(2, '0')}`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
