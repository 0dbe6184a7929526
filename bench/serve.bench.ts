/**
 * Prediction server benchmark: the flights gradient-boosted model behind `sluice serve`, beside the same
 * Predictor behind a bare node:http handler, each in its own process, loaded over loopback by an
 * open-loop generator in a third process, bench/serve_load.ts (autocannon records whole milliseconds,
 * too coarse for a 1.3x bar at about 1 ms): requests leave on a fixed schedule whatever the answers do,
 * and each latency is measured from the moment its request was issued (a stalled server does not slow
 * the sending, so a stall is not hidden); the p99 from each request's scheduled time, which adds the
 * generator's own lateness in waking, is printed beside.
 *
 * 1. Single-row predictions at a fixed 1,000 requests/s for 20 s (`--seconds`): p50, p99, errors.
 * 2. Batch requests of 1,000 rows as fast as they are answered for 10 s: rows per second.
 *
 * The model: Sluice's gbdt (100 trees, 31 leaves) on the flights features (hour, day of week, month,
 * day of month, distance, origin, destination) of January-February 2001 (about 950,000 rows).
 *
 * Run: npm run bench:serve [-- --seconds 20]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { flightsParquetPath } from '../examples/flights/data-path.ts';
import { openEngine, quoteLiteral } from '../src/engine/index.ts';
import { ModelRegistry, trainModel } from '../src/registry/index.ts';
import { openArtifactStore, openMetadataStore } from '../src/store/index.ts';
import type { LoadRequest, LoadResult } from './serve_load.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const SECONDS = Math.max(1, Number(values.seconds));

const home = mkdtempSync(join(tmpdir(), 'sluice-bench-serve-'));
const FEATURES = `CAST(hour(date) AS VARCHAR) AS hour, CAST(dayofweek(date) AS VARCHAR) AS day_of_week,
  CAST(month(date) AS VARCHAR) AS month, CAST(day(date) AS DOUBLE) AS day_of_month, CAST(distance AS DOUBLE) AS distance,
  origin, destination`;

console.log(`bench:serve on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()[0]!.toFixed(2)}`);
const engine = await openEngine();
const src = `read_parquet(${quoteLiteral(flightsParquetPath())})`;
const train = await engine.toFrame(`SELECT ${FEATURES}, CAST(delay > 15 AS DOUBLE) AS late FROM ${src} WHERE date < TIMESTAMP '2001-03-01'`);
// Request rows from the training months, so that every category is one the model knows (the server
// rejects unseen categories with a 400, which would measure the error path instead).
const sample = await engine.rows(`SELECT ${FEATURES} FROM ${src} WHERE date < TIMESTAMP '2001-03-01' USING SAMPLE 2000 ROWS (reservoir, 7)`);
await engine.close();
const t = performance.now();
const model = await trainModel(train, {
  label: 'late', task: 'binary', numeric: ['day_of_month', 'distance'], categorical: ['hour', 'day_of_week', 'month', 'origin', 'destination'],
  estimator: { type: 'gbdt', numTrees: 100, maxLeaves: 31, learningRate: 0.1, threads: 2, seed: 1 },
});
console.log(`trained gbdt on ${train.numRows.toLocaleString('en-US')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
{
  const store = await openMetadataStore({ home });
  const registry = new ModelRegistry(store, await openArtifactStore({ home }));
  const ref = await registry.commit(await registry.stage('flights', model.toPackage(), { runId: null, step: null, inputs: [] }));
  await registry.setAlias('flights', 'champion', ref.version);
  await store.close();
}

async function start(mode: 'sluice' | 'bare'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/serve_server.ts', mode, home, 'flights'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const line = buf.split('\n')[0]; if (buf.includes('\n') && line) resolve(line.trim()); });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { url, child };
}

/** Runs one load in a fresh generator process (bench/serve_load.ts). */
function load(base: string, body: string, options: Omit<LoadRequest, 'url' | 'body'>): Promise<LoadResult> {
  const child = fork('bench/serve_load.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`load generator exited with ${code}`)); });
    child.send({ url: `${base}/v1/models/flights/predict`, body, ...options } satisfies LoadRequest);
  });
}

const one = JSON.stringify({ rows: [sample[0]] });
const batch = JSON.stringify({ rows: Array.from({ length: 1000 }, (_, i) => sample[i % sample.length]) });
const results: Record<string, { single: LoadResult; batch: LoadResult }> = {};
for (const mode of ['bare', 'sluice'] as const) {
  const { url, child } = await start(mode);
  await load(url, one, { rate: 0, seconds: 2, connections: 4, rows: 1 }); // warm-up
  const single = await load(url, one, { rate: 1000, seconds: SECONDS, connections: 0, rows: 1 });
  const many = await load(url, batch, { rate: 0, seconds: 10, connections: 2, rows: 1000 });
  results[mode] = { single, batch: many };
  child.kill('SIGTERM');
}
rmSync(home, { recursive: true, force: true });

const fmt = (x: number): string => x.toFixed(3);
console.log('\n| server | single-row p50 ms | p99 ms | max ms | p99 ms from scheduled time | generator lag p99 ms | requests | errors | batch rows/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [mode, r] of Object.entries(results)) {
  console.log(`| ${mode === 'sluice' ? 'sluice serve (Fastify)' : 'bare node:http'} | ${fmt(r.single.p50)} | ${fmt(r.single.p99)} | ${fmt(r.single.max)} | ${fmt(r.single.scheduledP99)} | ${fmt(r.single.sendLagP99)} | ${r.single.requests} | ${r.single.errors + r.batch.errors} | ${Math.round(r.batch.rowsPerSecond).toLocaleString('en-US')} |`);
}
const s = results['sluice']!;
const b = results['bare']!;
const ratio = s.single.p50 / Math.max(b.single.p50, 0.001);
const bars = [
  { name: 'serve-p99', ok: s.single.p99 <= 5, text: `${fmt(s.single.p99)} ms at 1,000 requests/s for ${SECONDS} s (target <= 5 ms)` },
  { name: 'serve-errors', ok: s.single.errors + s.batch.errors === 0, text: `${s.single.errors + s.batch.errors} failed requests (target 0)` },
  { name: 'serve-p50-vs-bare-http', ok: ratio <= 1.3, text: `${ratio.toFixed(2)}x (${fmt(s.single.p50)} ms vs ${fmt(b.single.p50)} ms) (target <= 1.30x)` },
];
console.log(`\nbatch of 1,000 rows: ${Math.round(s.batch.rowsPerSecond).toLocaleString('en-US')} rows/s through sluice serve, ${Math.round(b.batch.rowsPerSecond).toLocaleString('en-US')} through bare node:http`);
const lag = Math.max(s.single.sendLagP99, b.single.sendLagP99);
if (lag > 2) console.log(`note: the generator issued its requests up to ${fmt(lag)} ms late (p99): the machine is busy`);
for (const bar of bars) console.log(`bar ${bar.name}: ${bar.text} ${bar.ok ? 'ok' : 'short'}`);
process.exit(bars.every((x) => x.ok) ? 0 : 1);
