/**
 * The flights demo: predict whether a US flight departs more than 15 minutes late.
 *
 * ingest by month (validated while read: bad rows quarantined with the expectations they broke) ->
 * validate the whole dataset -> features (SQL in DuckDB) -> train (fitted transformers + a model on
 * the rows before `testFrom`) -> evaluate on the held-out time -> register the model -> batch-score
 * the test period to a Parquet dataset.
 *
 * Run: ./bin/sluice.js run examples/flights/pipeline.ts [--param model=gbdt] [--partition 2001-05]
 * A month already ingested with the same content is skipped, so a second run only retrains.
 */
import { parquet, pipeline, trainModel, scoreDataset, evaluateBinary, type EstimatorSpec } from 'sluice';
import { flightsParquetPath } from './data-path.ts';
import { flightsDatasetSuite, flightsSuite, month } from './suites.ts';

const LABEL = 'late';

/** The model families the demo can train: pick one with `--param model=gbdt` (or change the default below). */
const ESTIMATORS = {
  'logistic-regression': { type: 'logistic-regression', C: 1.0, maxIter: 200 },
  gbdt: { type: 'gbdt', numTrees: 100, maxLeaves: 31, learningRate: 0.1, threads: 2, seed: 1 },
  'random-forest': { type: 'random-forest', numTrees: 50, maxDepth: 12, threads: 2, seed: 1 },
} satisfies Record<string, EstimatorSpec>;
const NUMERIC = ['distance', 'day_of_month'];
const CATEGORICAL = ['origin', 'destination', 'hour', 'day_of_week', 'month'];

export default pipeline('flights', {
  params: {
    /** Parquet file to read; empty means the copy shipped by vega-datasets. */
    source: '',
    /** First day of the held-out test period. */
    testFrom: '2001-05-26',
    /** Which model family to train: logistic-regression, gbdt or random-forest. */
    model: 'logistic-regression',
  },
  description: 'Flight delay prediction on flights-3m (vega-datasets)',
})
  .step('ingest', [], async (_in, ctx) => {
    // By month: with --partition 2001-03 a run takes that month only; without, every month not yet
    // ingested (or changed since). Each month is validated while it is read.
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
    const features = await ctx.datasets.write('flights_features', `
      SELECT date,
             CAST(hour(date) AS VARCHAR) AS hour,
             CAST(dayofweek(date) AS VARCHAR) AS day_of_week,
             CAST(month(date) AS VARCHAR) AS month,
             CAST(day(date) AS DOUBLE) AS day_of_month,
             CAST(distance AS DOUBLE) AS distance,
             origin, destination,
             CAST(delay > 15 AS DOUBLE) AS ${LABEL}
      FROM ${ctx.datasets.sql(validate.clean)}`, { inputs: [...validate.clean.parts] });
    return features;
  })
  .step('train', ['features'], async ({ features }, ctx) => {
    const split = `date < CAST(${sqlString(ctx.params.testFrom)} AS TIMESTAMP)`;
    const train = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date) FROM ${t} WHERE ${split}`);
    const test = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date) FROM ${t} WHERE NOT (${split})`);
    ctx.log(`train ${train.numRows.toLocaleString('en-US')} rows before ${ctx.params.testFrom}, test ${test.numRows.toLocaleString('en-US')} rows`);
    const model = await trainModel(train, {
      label: LABEL, task: 'binary', numeric: NUMERIC, categorical: CATEGORICAL,
      estimator: estimatorFor(ctx.params.model),
      log: (message) => ctx.log(message),
      onProgress: (done, total) => ctx.progress(done, total, 'fitting'),
    });
    const metrics = evaluateBinary(test.numbers(LABEL), model.predict(test));
    ctx.log(`held-out AUC ${metrics.auc.toFixed(4)}, log loss ${metrics.logLoss.toFixed(4)}`);
    const registered = await ctx.models.register('flights_delay', model.toPackage({ metrics, params: { testFrom: ctx.params.testFrom, model: ctx.params.model } }), { inputs: [features] });
    return { model: registered, metrics };
  })
  .step('score', ['train', 'features'], async ({ train, features }, ctx) => {
    const pkg = await ctx.models.load(train.model);
    const split = `date >= CAST(${sqlString(ctx.params.testFrom)} AS TIMESTAMP)`;
    const scored = await scoreDataset(ctx.engine, pkg, `SELECT * FROM ${ctx.datasets.sql(features)} WHERE ${split}`, { keep: ['date', 'origin', 'destination', LABEL] });
    const predictions = await ctx.datasets.write('flights_predictions', scored, { inputs: [features, train.model.id] });
    return predictions;
  })
  .step('summary', ['train', 'score'], ({ train, score }) => ({
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

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
