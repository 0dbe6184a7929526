/**
 * The flights demo's expectation suites and partition key.
 *
 * Bad rows the data really contains (found by looking):
 * - 191 exact duplicate records (every column equal to another row's): `no_duplicate_flights` keeps the
 *   first and quarantines the copies;
 * - 11 impossible delays: departures 212, 953 and 1,116 minutes early, and eight delays of more than a
 *   day (1,441 to 1,688 minutes, mostly the same PHX-DTW and HNL-MSP late-evening flights: a date off by
 *   one day): `plausible_delay` quarantines them.
 *
 * Those two are known and expected, so they have severity 'warn' (quarantine the rows, go on); every
 * other row check keeps the default 'fail': a month with a row breaking it stops the run.
 *
 */
import { suite } from 'sluice';

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
  e.unique(['date', 'delay', 'distance', 'origin', 'destination'], { name: 'no_duplicate_flights', severity: 'warn' }),
  e.between('delay', -120, 24 * 60, { name: 'plausible_delay', severity: 'warn' }),
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
export const month = { name: 'month', sql: "strftime(date, '%Y-%m')" };
