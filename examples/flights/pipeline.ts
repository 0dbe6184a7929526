/**
 * The flights demo: predict whether a US flight departs more than 15 minutes late.
 *
 * One run per month M (the pipeline's monthly partitions, 2001-01 to 2001-06):
 * ingest month M (validated while read: bad rows quarantined with the expectations they broke) ->
 * validate the whole dataset -> features (SQL in DuckDB) for M and the `trainMonths` months before it ->
 * train (fitted transformers + a model) on the months before M -> evaluate on month M -> register the
 * model -> batch-score month M to a Parquet dataset. The first month has no month before it: its run
 * holds out the month's last days (from the 22nd) instead.
 *
 * Run one month:   ./bin/sluice.js run examples/flights/pipeline.ts --partition 2001-05 [--param model=gbdt]
 * Backfill them:   ./bin/sluice.js backfill flights --from 2001-01 --to 2001-06   (in order: each month trains on the ones before)
 * Without a partition, a run collects every month not yet ingested and evaluates on the latest one.
 * A month already ingested with the same content is skipped, so a second run only retrains.
 * The monthly schedule (06:00 UTC on the 1st, the previous month) is what `sluice scheduler` runs; the
 * data stop in June 2001, so today it has nothing in range and `sluice schedules` shows it idle.
 */
import { monthly, parquet, pipeline, trainModel, scoreDataset, evaluateBinary, type EstimatorSpec } from 'sluice';
import { flightsParquetPath } from './data-path.ts';
import { flightsDatasetSuite, flightsSuite, month } from './suites.ts';

const LABEL = 'late';
/** The months the data covers: the pipeline's partitions. */
const MONTHS = { start: '2001-01', end: '2001-06' } as const;

/** The model families the demo can train: pick one with `--param model=gbdt` (or change the default below). */
const ESTIMATORS = {
  'logistic-regression': { type: 'logistic-regression', C: 1.0, maxIter: 200 },
  gbdt: { type: 'gbdt', numTrees: 100, maxLeaves: 31, learningRate: 0.1, threads: 2, seed: 1 },
  'random-forest': { type: 'random-forest', numTrees: 50, maxDepth: 12, threads: 2, seed: 1 },
} satisfies Record<string, EstimatorSpec>;
const NUMERIC = ['distance', 'day_of_month'];
// Not the month: the evaluated month is never among the training months.
const CATEGORICAL = ['origin', 'destination', 'hour', 'day_of_week'];
/** With no earlier month collected, the month itself is split: train before this day, evaluate from it. */
const HOLDOUT_FROM_DAY = 22;

export default pipeline('flights', {
  params: {
    /** Parquet file to read; empty means the copy shipped by vega-datasets. */
    source: '',
    /** How many months before the evaluated month to train on (0: all of them). */
    trainMonths: 3,
    /** Which model family to train: logistic-regression, gbdt or random-forest. */
    model: 'logistic-regression',
  },
  description: 'Flight delay prediction on flights-3m (vega-datasets)',
  // Each month trains on the months before it, so a backfill runs them in order.
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
    const latest = await ctx.engine.scalar(`SELECT max(${month.sql}) FROM ${ctx.datasets.sql(validate.clean)} WHERE ${month.sql} <= ${sqlString(MONTHS.end)}`);
    const testMonth = ctx.run.partition ?? String(latest);
    const firstMonth = ctx.params.trainMonths > 0 ? addMonths(testMonth, -ctx.params.trainMonths) : '0000-00';
    const features = await ctx.datasets.write('flights_features', `
      SELECT date,
             ${month.sql} AS month,
             CAST(hour(date) AS VARCHAR) AS hour,
             CAST(dayofweek(date) AS VARCHAR) AS day_of_week,
             CAST(day(date) AS DOUBLE) AS day_of_month,
             CAST(distance AS DOUBLE) AS distance,
             origin, destination,
             CAST(delay > 15 AS DOUBLE) AS ${LABEL}
      FROM ${ctx.datasets.sql(validate.clean)}
      WHERE ${month.sql} BETWEEN ${sqlString(firstMonth)} AND ${sqlString(testMonth)}`, { inputs: [...validate.clean.parts] });
    return { features, testMonth };
  })
  .step('train', ['features'], async ({ features: { features, testMonth } }, ctx) => {
    const earlier = Number(await ctx.engine.scalar(`SELECT count(*) FROM ${ctx.datasets.sql(features)} WHERE month < ${sqlString(testMonth)}`));
    // Months before the evaluated one; for the first month, its own first weeks.
    const trainWhere = earlier > 0 ? `month < ${sqlString(testMonth)}` : `month = ${sqlString(testMonth)} AND day_of_month < ${HOLDOUT_FROM_DAY}`;
    const testWhere = earlier > 0 ? `month = ${sqlString(testMonth)}` : `month = ${sqlString(testMonth)} AND day_of_month >= ${HOLDOUT_FROM_DAY}`;
    const train = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${trainWhere}`);
    const test = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date, month) FROM ${t} WHERE ${testWhere}`);
    if (train.numRows === 0 || test.numRows === 0) throw new Error(`no rows to ${train.numRows === 0 ? 'train' : 'evaluate'} on for ${testMonth}: has the month been ingested?`);
    ctx.log(`train ${train.numRows.toLocaleString('en-US')} rows (${trainWhere}), evaluate on ${test.numRows.toLocaleString('en-US')} rows (${testWhere})`);
    const model = await trainModel(train, {
      label: LABEL, task: 'binary', numeric: NUMERIC, categorical: CATEGORICAL,
      estimator: estimatorFor(ctx.params.model),
      log: (message) => ctx.log(message),
      onProgress: (done, total) => ctx.progress(done, total, 'fitting'),
    });
    const metrics = evaluateBinary(test.numbers(LABEL), model.predict(test));
    ctx.log(`held-out AUC ${metrics.auc.toFixed(4)} on ${testMonth}, log loss ${metrics.logLoss.toFixed(4)}`);
    const registered = await ctx.models.register('flights_delay', model.toPackage({ metrics, params: { testMonth, trainWhere, model: ctx.params.model } }), { inputs: [features] });
    return { model: registered, metrics, testMonth, testWhere };
  })
  .step('score', ['train', 'features'], async ({ train, features: { features } }, ctx) => {
    const pkg = await ctx.models.load(train.model);
    const scored = await scoreDataset(ctx.engine, pkg, `SELECT * FROM ${ctx.datasets.sql(features)} WHERE ${train.testWhere}`, { keep: ['date', 'origin', 'destination', LABEL] });
    const predictions = await ctx.datasets.write('flights_predictions', scored, { inputs: [features, train.model.id] });
    return predictions;
  })
  .step('summary', ['train', 'score'], ({ train, score }) => ({
    'evaluated month': train.testMonth,
    'held-out AUC': train.metrics.auc,
    'held-out log loss': train.metrics.logLoss,
    model: `${train.model.name} v${train.model.version}`,
    'test rows': score.rowCount,
    'predictions dataset': `${score.name} v${score.version}`,
    'predictions file': score.path,
  }));

function estimatorFor(name: string): EstimatorSpec {
  const spec = (ESTIMATORS as Record<string, EstimatorSpec>)[name];
  if (!spec) throw new Error(`Unknown model "${name}"; choose one of ${Object.keys(ESTIMATORS).join(', ')}`);
  return { ...spec };
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
