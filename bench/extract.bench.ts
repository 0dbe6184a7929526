/**
 * Extraction of flights-3m.parquet (5 columns, 3M rows) into a Frame, beside DuckDB's own scan of the
 * same file (materialized into a temp table) measured in the same run: the two alternate, `--reps` runs
 * each (default 7). Neighbouring runs meet about the same load on a shared machine, so the bar uses the
 * median of the pairs' ratios; the best and median time of each side are printed beside it. Ends with
 * the issue's bar (extraction at most 2.0x the scan) and exits non-zero when it is short.
 *
 * Run: npm run bench:extract [-- --reps 7]
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { openEngine, readParquetSql } from '../src/engine/index.ts';
import { flightsParquetPath } from '../examples/flights/data-path.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' } } });
const REPS = Math.max(1, Number(values.reps));
const TARGET = 2.0;

const path = flightsParquetPath();
const engine = await openEngine();
const src = readParquetSql(path);
const rows = Number(await engine.scalar(`SELECT count(*) FROM ${src}`));
const loadBefore = loadavg();

/** Wall seconds of one run, and the process's CPU seconds (all threads: DuckDB's and JavaScript's). */
async function measure(fn: () => Promise<unknown>, cpu: number[]): Promise<number> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(c);
  cpu.push((used.user + used.system) / 1e6);
  return (performance.now() - t) / 1000;
}

const scanRuns: number[] = [];
const extractRuns: number[] = [];
const scanCpu: number[] = [];
const extractCpu: number[] = [];
let frameRows = 0;
const scan = (): Promise<void> => engine.run(`CREATE OR REPLACE TEMP TABLE scan AS SELECT * FROM ${src}`);
const extract = async (): Promise<void> => { frameRows = (await engine.toFrame(`SELECT * FROM ${src}`)).numRows; };
await scan();
await extract();
for (let i = 0; i < REPS; i++) {
  scanRuns.push(await measure(scan, scanCpu));
  extractRuns.push(await measure(extract, extractCpu));
  console.error(`  rep ${i + 1}: DuckDB scan ${scanRuns.at(-1)!.toFixed(3)} s, Sluice toFrame ${extractRuns.at(-1)!.toFixed(3)} s`);
}
await engine.close();
if (frameRows !== rows) throw new Error(`frame has ${frameRows} rows, file has ${rows}`);

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const best = { scan: Math.min(...scanRuns), extract: Math.min(...extractRuns) };
const ratio = median(extractRuns.map((x, i) => x / scanRuns[i]!));
const load = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(' ');
console.log(`\nExtraction of flights-3m.parquet (${rows.toLocaleString('en-US')} rows, 5 columns) on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}); ${REPS} alternating runs each; load average ${load(loadBefore)} before, ${load(loadavg())} after\n`);
console.log('| what | best s | median s | rows/s (best) | ratio of bests | median of pair ratios | median CPU s | CPU ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(`| DuckDB scan into a temp table | ${best.scan.toFixed(3)} | ${median(scanRuns).toFixed(3)} | ${(rows / best.scan / 1e6).toFixed(1)}M | 1 | 1 | ${median(scanCpu).toFixed(3)} | 1 |`);
console.log(`| Sluice Parquet -> Frame (typed arrays, dictionary strings) | ${best.extract.toFixed(3)} | ${median(extractRuns).toFixed(3)} | ${(rows / best.extract / 1e6).toFixed(1)}M | ${(best.extract / best.scan).toFixed(2)}x | ${ratio.toFixed(2)}x | ${median(extractCpu).toFixed(3)} | ${(median(extractCpu) / median(scanCpu)).toFixed(2)}x |`);
console.log('');
console.log(`bar extract_parquet_to_frame_vs_duckdb_scan: ${ratio.toFixed(2)}x (median of ${REPS} pair ratios; best ${best.extract.toFixed(3)} s vs ${best.scan.toFixed(3)} s) (target ${TARGET.toFixed(1)}x) ${ratio <= TARGET ? 'ok' : 'short'}`);
process.exitCode = ratio <= TARGET ? 0 : 1;
