/**
 * Ingest benchmark: a batch into a validated, profiled dataset version, beside the competitor measured
 * in the same run, alternating the two so that both see the same load.
 *
 * 1. flights-3m.parquet (3,000,000 rows) through `ingestValidated` with twelve expectations of ten kinds
 *    (column type, not null, two ranges, a regex, a length, values present in another dataset, a SQL
 *    predicate, row count, mean, quantile, freshness), the clean rows written as a registered version
 *    with its profile and the bad rows quarantined; beside DuckDB's bare
 *    `COPY (SELECT * FROM 'flights-3m.parquet') TO ...`.
 * 2. The same data as a CSV file (written by the bench, ~108 MB), through the same path, beside pandas'
 *    `read_csv` alone (Debian's python3-pandas, timed inside its process).
 *
 * The two sides alternate, `--reps` runs each (default 7). Each pair of neighbouring runs meets about
 * the same load on a shared machine, so the bars use the median of the pairs' ratios; the best and
 * median time of each side are printed beside it. Ends with one line per bar of the issue and exits
 * non-zero if any is short.
 *
 * Run: npm run bench:ingest [-- --reps 7]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { flightsParquetPath } from '../examples/flights/data-path.ts';
import { DatasetCatalog, csv, ingest, parquet, type Source, type StagedDataset } from '../src/data/index.ts';
import { openEngine, quoteLiteral } from '../src/engine/index.ts';
import { ingestValidated, suite, type Suite } from '../src/quality/index.ts';
import { openArtifactStore, openMetadataStore } from '../src/store/index.ts';

interface Flight { date: Date; delay: number; distance: number; origin: string; destination: string }

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' } } });
const REPS = Math.max(1, Number(values.reps));
const PYTHON = '/usr/bin/python3';

/** The expectations of the bars: twelve, of ten kinds. */
const tenExpectations = suite<Flight>('flights-bench', (e) => [
  e.columnType('date', 'TIMESTAMP'),
  e.notNull(['date', 'delay', 'distance', 'origin', 'destination']),
  e.between('delay', -120, 24 * 60, { severity: 'warn' }), // 11 impossible delays: quarantined
  e.between('distance', 1, 6000),
  e.regex('origin', /^[A-Z0-9]{3}$/),
  e.length('destination', { min: 3, max: 3 }),
  e.valuesIn('origin', { dataset: 'airports', column: 'iata' }),
  e.sql('origin_is_not_destination', 'origin <> destination'),
  e.rowCount({ min: 1_000 }),
  e.mean('delay', { min: -10, max: 60 }),
  e.quantile('distance', 0.5, { min: 100, max: 3000 }),
  e.freshness('date', { maxAge: '2 days', asOf: '2001-07-01' }),
]);
/** The same plus the expensive one: exact duplicate rows (the data has 191), for information. */
const withUnique = suite<Flight>('flights-bench-unique', (e) => [
  ...tenExpectations.expectations,
  e.unique(['date', 'delay', 'distance', 'origin', 'destination'], { severity: 'warn' }),
]);

const home = mkdtempSync(join(tmpdir(), 'sluice-bench-ingest-'));
const store = await openMetadataStore({ home });
const artifacts = await openArtifactStore({ home });
const catalog = new DatasetCatalog(store, artifacts);
const engine = await openEngine();
const lineage = { runId: null, step: 'bench', inputs: [], partition: null };
let run = 0;

async function commit(staged: StagedDataset[]): Promise<void> {
  for (const s of staged) await catalog.commit(s);
}

/** One validated ingest into a fresh dataset (so that every rep writes a first version). */
async function sluiceIngest(source: Source, checks: Suite<unknown>): Promise<{ seconds: number; cpu: number; rows: number; quarantined: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const result = await ingestValidated(engine, catalog, { dataset: `flights_${++run}`, source, suite: checks, lineage });
  await commit([...result.staged, ...result.quarantined]);
  const used = process.cpuUsage(c);
  return { seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6, rows: result.rows, quarantined: result.quarantinedRows };
}

async function duckdbCopy(path: string, out: string): Promise<number> {
  const t = performance.now();
  await engine.run(`COPY (SELECT * FROM ${quoteLiteral(path)}) TO ${quoteLiteral(out)}`);
  return (performance.now() - t) / 1000;
}

function pandasReadCsv(path: string): { seconds: number; cpu: number } {
  const p = spawnSync(PYTHON, [join(import.meta.dirname, 'python', 'ingest_pandas.py'), path], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`pandas failed (is Debian's python3-pandas installed for ${PYTHON}?): ${p.stderr}`);
  const out = JSON.parse(p.stdout.trim().split('\n').pop()!) as { seconds: number; cpu_seconds: number };
  return { seconds: out.seconds, cpu: out.cpu_seconds };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const best = (xs: number[]): number => Math.min(...xs);
/** The median of ours[i] / theirs[i]: each pair ran back to back, under about the same load. */
const pairRatio = (ours: number[], theirs: number[]): number => median(ours.map((x, i) => x / theirs[i]!));
const f3 = (x: number): string => x.toFixed(3);
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

const loadBefore = load();
try {
  const flights = flightsParquetPath();
  // The reference dataset of the values-in expectation.
  const airports = await ingest(engine, catalog, { dataset: 'airports', source: csv(join(flights, '..', 'airports.csv')), lineage });
  await commit(airports.staged);

  // 1. Parquet, alternating with DuckDB's bare copy.
  const copyOut = join(home, 'bare.parquet');
  await duckdbCopy(flights, copyOut);
  await sluiceIngest(parquet(flights), tenExpectations);
  const bare: number[] = [];
  const ours: number[] = [];
  let last = { rows: 0, quarantined: 0 };
  for (let i = 0; i < REPS; i++) {
    bare.push(await duckdbCopy(flights, copyOut));
    const r = await sluiceIngest(parquet(flights), tenExpectations);
    ours.push(r.seconds);
    last = r;
    console.error(`  parquet rep ${i + 1}: bare COPY ${f3(bare.at(-1)!)} s, Sluice ${f3(r.seconds)} s`);
  }
  const uniqueRuns: number[] = [];
  for (let i = 0; i < Math.min(REPS, 3); i++) uniqueRuns.push((await sluiceIngest(parquet(flights), withUnique)).seconds);

  // 2. CSV (written once), alternating with pandas' read_csv.
  const csvPath = join(home, 'flights-3m.csv');
  await engine.run(`COPY (SELECT * FROM ${quoteLiteral(flights)}) TO ${quoteLiteral(csvPath)} (FORMAT csv, HEADER)`);
  const csvMb = statSync(csvPath).size / 1e6;
  pandasReadCsv(csvPath);
  const pandas: number[] = [];
  const oursCsv: number[] = [];
  const pandasCpu: number[] = [];
  const oursCsvCpu: number[] = [];
  let lastCsv = { rows: 0, quarantined: 0 };
  for (let i = 0; i < REPS; i++) {
    const p = pandasReadCsv(csvPath);
    pandas.push(p.seconds);
    pandasCpu.push(p.cpu);
    const r = await sluiceIngest(csv(csvPath), tenExpectations);
    oursCsv.push(r.seconds);
    oursCsvCpu.push(r.cpu);
    lastCsv = r;
    console.error(`  csv rep ${i + 1}: pandas read_csv ${f3(pandas.at(-1)!)} s, Sluice ${f3(r.seconds)} s`);
  }

  const parquetRatio = pairRatio(ours, bare);
  const csvRatio = pairRatio(oursCsv, pandas);
  console.log(`\nIngest of flights-3m (3,000,000 rows) on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}); ${REPS} alternating runs per side; load average ${loadBefore} before, ${load()} after\n`);
  console.log('| what | best s | median s | ratio of bests | median of pair ratios |');
  console.log('|---|---:|---:|---:|---:|');
  const row = (what: string, xs: number[], base: number[] | null): void => {
    console.log(`| ${what} | ${f3(best(xs))} | ${f3(median(xs))} | ${base ? `${(best(xs) / best(base)).toFixed(2)}x` : '1'} | ${base && base.length === xs.length ? `${pairRatio(xs, base).toFixed(2)}x` : base ? '' : '1'} |`);
  };
  const n = tenExpectations.expectations.length;
  row("DuckDB bare `COPY (SELECT * FROM 'flights-3m.parquet') TO '...parquet'`", bare, null);
  row(`Sluice Parquet -> validated (${n} expectations), profiled, registered version + quarantine`, ours, bare);
  row('Sluice, same with `unique` over all five columns (191 duplicates), for information', uniqueRuns, bare);
  row(`pandas ${'read_csv'} alone, ${csvMb.toFixed(0)} MB CSV`, pandas, null);
  row(`Sluice CSV -> validated (${n} expectations), profiled, registered version + quarantine`, oursCsv, pandas);
  console.log(`\nCPU time (all threads), medians: pandas read_csv ${f3(median(pandasCpu))} s, Sluice CSV ingest ${f3(median(oursCsvCpu))} s (${(median(oursCsvCpu) / median(pandasCpu)).toFixed(2)}x). On a loaded machine the wall ratio tends to this CPU ratio.`);
  console.log(`\nParquet: ${last.rows.toLocaleString('en-US')} clean rows, ${last.quarantined} quarantined; CSV: ${lastCsv.rows.toLocaleString('en-US')} clean, ${lastCsv.quarantined} quarantined.`);
  const bars = [
    { name: 'parquet_ingest_validate_profile_vs_duckdb_copy', measured: parquetRatio, target: 2.0 },
    { name: 'csv_ingest_validate_profile_vs_pandas_read_csv', measured: csvRatio, target: 1.0 },
  ];
  console.log('');
  for (const b of bars) console.log(`bar ${b.name}: ${b.measured.toFixed(2)}x (median of ${REPS} pair ratios) (target ${b.target.toFixed(1)}x) ${b.measured <= b.target ? 'ok' : 'short'}`);
  process.exitCode = bars.every((b) => b.measured <= b.target) ? 0 : 1;
} finally {
  await engine.close();
  await store.close();
  rmSync(home, { recursive: true, force: true });
}
