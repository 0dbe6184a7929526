/**
 * The flights demo: predict whether a US flight departs more than 15 minutes late.
 *
 * ingest -> validate (bad rows quarantined with reasons) -> features (SQL in DuckDB) -> train (fitted
 * transformers + regularized logistic regression on the rows before `testFrom`) -> evaluate on the
 * held-out time -> register the model -> batch-score the test period to a Parquet dataset.
 *
 * Run: npx sluice run examples/flights/pipeline.ts [--param samplePercent=10]
 */
import { pipeline, trainModel, scoreDataset, evaluateBinary } from 'sluice';
import { flightsParquetPath } from './data-path.ts';

const LABEL = 'late';

/** The model families the demo can train: pick one with `--param model=gbdt` (or change the default below). */
const ESTIMATORS = {
  'logistic-regression': { type: 'logistic-regression', C: 1.0, maxIter: 200 },
  gbdt: { type: 'gbdt', numTrees: 100, maxLeaves: 31, learningRate: 0.1, threads: 2, seed: 1 },
  'random-forest': { type: 'random-forest', trees: 50, maxDepth: 12, threads: 2, seed: 1 },
} as const;
const NUMERIC = ['distance', 'day_of_month'];
const CATEGORICAL = ['origin', 'destination', 'hour', 'day_of_week', 'month'];

export default pipeline('flights', {
  params: {
    /** Parquet file to read; empty means the copy shipped by vega-datasets. */
    source: '',
    /** Percentage of rows to read (a seeded Bernoulli sample), for quick tries and tests. */
    samplePercent: 100,
    /** First day of the held-out test period. */
    testFrom: '2001-05-26',
    /** Which model family to train: logistic-regression, gbdt or random-forest. */
    model: 'logistic-regression',
  },
  description: 'Flight delay prediction on flights-3m (vega-datasets)',
})
  .step('ingest', [], async (_in, ctx) => {
    const path = ctx.params.source || flightsParquetPath();
    const pct = ctx.params.samplePercent;
    if (!(pct > 0 && pct <= 100)) throw new Error(`samplePercent must be in (0, 100], got ${pct}`);
    const sample = pct < 100 ? ` USING SAMPLE ${pct}% (bernoulli, 7)` : '';
    const raw = await ctx.datasets.write('flights_raw', `SELECT * FROM read_parquet(${sqlString(path)})${sample}`, { inputs: [`file:${path}`] });
    ctx.log(`${raw.rowCount.toLocaleString('en-US')} rows from ${path}`);
    return raw;
  })
  .step('validate', ['ingest'], async ({ ingest }, ctx) => {
    // A row is bad when a field the model needs is missing or impossible; each bad row keeps its reason.
    const reason = `concat_ws('; ',
        CASE WHEN date IS NULL THEN 'date is null' END,
        CASE WHEN origin IS NULL OR destination IS NULL THEN 'airport is null' END,
        CASE WHEN origin = destination THEN 'origin equals destination' END,
        CASE WHEN distance IS NULL OR distance <= 0 THEN 'distance is not positive' END,
        CASE WHEN delay IS NULL THEN 'delay is null' END,
        CASE WHEN delay < -120 OR delay > 24 * 60 THEN 'delay outside [-120, 1440] minutes' END)`;
    const src = ctx.datasets.sql(ingest);
    await ctx.engine.run(`CREATE OR REPLACE TEMP TABLE checked AS SELECT *, NULLIF(${reason}, '') AS _reason FROM ${src}`);
    const clean = await ctx.datasets.write('flights_clean', 'SELECT * EXCLUDE (_reason) FROM checked WHERE _reason IS NULL', { inputs: [ingest] });
    const bad = await ctx.datasets.write('flights_quarantine', 'SELECT * RENAME (_reason AS reason) FROM checked WHERE _reason IS NOT NULL', { inputs: [ingest] });
    if (clean.rowCount + bad.rowCount !== ingest.rowCount) throw new Error('validation lost rows');
    ctx.log(`${clean.rowCount.toLocaleString('en-US')} clean rows, ${bad.rowCount.toLocaleString('en-US')} quarantined`);
    return { clean, quarantined: bad.rowCount };
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
      FROM ${ctx.datasets.sql(validate.clean)}`, { inputs: [validate.clean] });
    return features;
  })
  .step('train', ['features'], async ({ features }, ctx) => {
    const split = `date < CAST(${sqlString(ctx.params.testFrom)} AS TIMESTAMP)`;
    const train = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date) FROM ${t} WHERE ${split}`);
    const test = await ctx.datasets.frame(features, (t) => `SELECT * EXCLUDE (date) FROM ${t} WHERE NOT (${split})`);
    ctx.log(`train ${train.numRows.toLocaleString('en-US')} rows before ${ctx.params.testFrom}, test ${test.numRows.toLocaleString('en-US')} rows`);
    const model = await trainModel(train, {
      label: LABEL, numeric: NUMERIC, categorical: CATEGORICAL,
      estimator: estimatorFor(ctx.params.model),
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

function estimatorFor(name: string): { type: string; [option: string]: string | number } {
  const spec = (ESTIMATORS as Record<string, { type: string }>)[name];
  if (!spec) throw new Error(`Unknown model "${name}"; choose one of ${Object.keys(ESTIMATORS).join(', ')}`);
  return { ...spec };
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
