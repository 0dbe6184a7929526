/**
 * Proposed replacement of the `ingest` and `validate` steps of examples/flights/pipeline.ts (not wired
 * in; the pipeline's owner switches over). `proposedSteps` is a working pipeline made of just these two
 * steps: `sluice run examples/flights/ingest-proposal.ts [--partition 2001-03]`.
 *
 * - ingest: flights-3m.parquet collected by month (`month=2001-01` ... `month=2001-07`: six full months
 *   and six flights dated 2001-07-01 00:00). With `--partition 2001-03` a run takes that month only;
 *   without, every month not yet ingested. A month already ingested with the same content is skipped,
 *   so running the same batch twice adds nothing; a month whose rows changed since is re-read as a new
 *   version that replaces it. Each month is validated while it is read: the bad rows go to
 *   `flights_quarantine` with the name and reason of every expectation they broke.
 * - validate: whole-dataset checks over every month collected so far (check only, nothing written),
 *   and the clean dataset handed on as a snapshot (the latest version of each month).
 *
 * Bad rows the data really contains (found by looking):
 * - 191 exact duplicate records (every column equal to another row's): `no_duplicate_flights` keeps the
 *   first and quarantines the copies;
 * - 11 impossible delays: departures 212, 953 and 1,116 minutes early, and eight delays of more than a
 *   day (1,441 to 1,688 minutes, mostly the same PHX-DTW and HNL-MSP late-evening flights: a date off by
 *   one day): `plausible_delay` quarantines them.
 *
 * Downstream, `features` reads `ctx.datasets.sql(validate.clean)` as before (sql() takes snapshots).
 * The `samplePercent` param has no equivalent: for quick tries, run one month (`--partition 2001-01`).
 */
import { parquet, pipeline, suite } from 'sluice';
import { flightsParquetPath } from './data-path.ts';

interface Flight {
  date: Date;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

/** Row and dataset checks of one month of flights, run while the month is ingested. */
export const flightsSuite = suite<Flight>('flights', (e) => [
  e.columnType('date', 'TIMESTAMP'),
  e.columnType('delay', 'BIGINT'),
  e.columnType('distance', 'BIGINT'),
  e.notNull(['date', 'delay', 'distance', 'origin', 'destination']),
  e.unique(['date', 'delay', 'distance', 'origin', 'destination'], { name: 'no_duplicate_flights' }),
  e.between('delay', -120, 24 * 60, { name: 'plausible_delay' }),
  e.between('distance', 1, 6000),
  e.regex('origin', /^[A-Z0-9]{3}$/),
  e.regex('destination', /^[A-Z0-9]{3}$/),
  e.sql('origin_is_not_destination', 'origin <> destination'),
  e.rowCount({ min: 1 }),
  e.mean('delay', { min: -10, max: 60 }, { severity: 'warn' }),
  e.quantile('distance', 0.5, { min: 200, max: 2000 }),
]);

/** Checks of the whole dataset (all months so far). */
export const flightsDatasetSuite = suite<Flight>('flights-dataset', (e) => [
  e.rowCount({ min: 100_000 }),
  e.unique(['date', 'delay', 'distance', 'origin', 'destination'], { name: 'no_duplicates_across_months', severity: 'fail' }),
  e.sqlAggregate('enough_airports', 'count(DISTINCT origin) >= 100', { severity: 'warn' }),
]);

/** The month of a flight: the partition key. */
const month = { name: 'month', sql: "strftime(date, '%Y-%m')" };

export const proposedSteps = pipeline('flights-ingest', {
  params: {
    /** Parquet file to read; empty means the copy shipped by vega-datasets. */
    source: '',
  },
  description: 'Flights collected by month, validated, quarantined',
})
  .step('ingest', [], async (_in, ctx) => {
    const path = ctx.params.source || flightsParquetPath();
    const result = await ctx.datasets.ingest('flights', parquet(path), {
      incremental: { by: 'partition', key: month, changed: 'replace' },
      suite: flightsSuite,
      quarantine: 'flights_quarantine',
      retention: { keepVersions: 3 },
    });
    ctx.log(`${result.rows.toLocaleString('en-US')} clean rows in ${result.versions.length} month(s), ${result.quarantinedRows.toLocaleString('en-US')} quarantined; ${result.skipped.length} month(s) unchanged`);
    return result;
  })
  .step('validate', ['ingest'], async ({ ingest }, ctx) => {
    const clean = await ctx.datasets.current('flights');
    if (!clean) throw new Error('no month of flights has been ingested yet');
    const { report } = await ctx.quality.validate(clean, flightsDatasetSuite);
    return { clean, quarantined: ingest.quarantinedRows, status: report.status };
  });

export default proposedSteps;
