/**
 * Extraction of flights-3m.parquet (5 columns, 3M rows) into a Frame, beside DuckDB's own scan of the
 * same file (materialized into a temp table) measured in the same run.
 *
 * Run: npm run bench:extract
 */
import { availableParallelism, cpus } from 'node:os';
import { openEngine, readParquetSql } from '../src/engine/index.ts';
import { flightsParquetPath } from '../examples/flights/data-path.ts';

const REPEAT = 3;

async function best(label: string, fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  console.error(`  ${label}: best of ${REPEAT} = ${(min / 1000).toFixed(3)} s`);
  return min / 1000;
}

const path = flightsParquetPath();
const engine = await openEngine();
const src = readParquetSql(path);
const rows = Number(await engine.scalar(`SELECT count(*) FROM ${src}`));

const scan = await best('duckdb scan', () => engine.run(`CREATE OR REPLACE TEMP TABLE scan AS SELECT * FROM ${src}`));
let frameRows = 0;
const extract = await best('sluice toFrame', async () => { frameRows = (await engine.toFrame(`SELECT * FROM ${src}`)).numRows; });
await engine.close();

if (frameRows !== rows) throw new Error(`frame has ${frameRows} rows, file has ${rows}`);
console.log(`\nExtraction of flights-3m.parquet (${rows.toLocaleString('en-US')} rows, 5 columns) on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'})\n`);
console.log('| what | seconds | rows/s |');
console.log('|---|---:|---:|');
console.log(`| DuckDB scan into a temp table | ${scan.toFixed(3)} | ${(rows / scan / 1e6).toFixed(1)}M |`);
console.log(`| Sluice Parquet -> Frame (typed arrays, dictionary strings) | ${extract.toFixed(3)} | ${(rows / extract / 1e6).toFixed(1)}M |`);
console.log(`\nratio Sluice / DuckDB scan: ${(extract / scan).toFixed(2)}x`);
