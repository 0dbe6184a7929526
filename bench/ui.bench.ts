/**
 * bench:ui — server time of the web UI's heaviest pages on a big history: the runs page over 10,000
 * runs (first page, a deep keyset page, filtered by pipeline and state, by partition) and a dataset with
 * 200 columns (profile with a histogram per column). Each page is rendered through Fastify's inject()
 * (no network), best and median of 15 after 3 warm-ups, on SQLite (the embedded default). The bar: each
 * page under 500 ms server time. There is no competitor UI to run on this machine, so only Sluice is shown
 * for pages. Lineage down ("what was made from this version") is also timed as a query beside the LIKE over
 * every version's JSON `inputs` it replaced (migration 0008's lineage_edges), on 20,000 dataset versions.
 *
 *   flock /tmp/sluice-bench.lock npm run bench:ui
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/engine/index.ts';
import { pipeline, runPipeline } from '../src/orchestrator/index.ts';
import { buildUi } from '../src/server/ui/app.ts';
import { openArtifactStore, openMetadataStore } from '../src/store/index.ts';
import type { NewRun } from '../src/store/types.ts';

const RUNS = 10_000;
const COLUMNS = 200;
const BAR_MS = 500;

console.log(`bench:ui on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()[0]!.toFixed(2)}`);
const home = await mkdtemp(join(tmpdir(), 'sluice-bench-ui-'));
const store = await openMetadataStore({ home });
const artifacts = await openArtifactStore({ home });
const engine = await openEngine();
try {
  let t = performance.now();
  const states = ['succeeded', 'succeeded', 'succeeded', 'failed', 'cancelled'] as const;
  const base = Date.UTC(2001, 0, 1);
  for (let start = 0; start < RUNS; start += 1000) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(RUNS, start + 1000); i++) {
        const state = states[i % states.length]!;
        const run: NewRun = {
          id: `run_bench_${String(i).padStart(6, '0')}`, pipeline: `pipeline_${i % 7}`, params: { i }, partition: `2001-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
          state, createdAt: base + i * 60_000, trigger: i % 3 === 0 ? 'schedule' : 'manual',
        };
        await tx.createRun(run);
        await tx.updateRun(run.id, { startedAt: run.createdAt, finishedAt: run.createdAt + 5000 + (i % 50) * 100, ...(state === 'failed' ? { error: `step train failed: <b>bad</b> row ${i}` } : {}) });
      }
    });
  }
  console.log(`recorded ${RUNS.toLocaleString('en-US')} runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const columns = Array.from({ length: COLUMNS }, (_, c) => (c % 4 === 3 ? `'k' || ((i * ${c + 7}) % 13) AS c${c}` : `((i * ${c + 3}) % 1000) / 7.0 AS c${c}`)).join(', ');
  const wide = pipeline('wide').step('write', [], async (_in, ctx) => ctx.datasets.write('wide', `SELECT ${columns} FROM range(20000) t(i)`)).build();
  const r = await runPipeline(wide, { store, artifacts, engine });
  if (r.state !== 'succeeded') throw r.error ?? new Error(`the wide dataset run ${r.state}`);
  console.log(`wrote and profiled a ${COLUMNS}-column dataset of 20,000 rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const LINEAGE = 20_000;
  const source = (await store.getDatasetVersion('wide'))!;
  await store.transaction(async (tx) => {
    for (let i = 0; i < LINEAGE; i++) {
      // Every 400th version is made from the wide dataset; the others from ids that look alike.
      const input = i % 400 === 0 ? source.id : `${source.id.slice(0, -6)}${String(i).padStart(6, '0')}`;
      await tx.registerDatasetVersion({
        id: `dv_bench_${String(i).padStart(6, '0')}`, dataset: `derived_${i % 50}`, artifact: source.artifact, schema: [{ name: 'x', type: 'DOUBLE' }],
        rowCount: 1, contentHash: 'h', profile: null, runId: null, step: null, inputs: [input, `file:/data/part-${i}.parquet`], partition: null,
      });
    }
  });
  console.log(`registered ${LINEAGE.toLocaleString('en-US')} dataset versions with lineage in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const app = buildUi({ store, artifacts, engine });
  const deep = `run_bench_${String(200).padStart(6, '0')}`;
  const pages: [string, string][] = [
    ['runs, first page', '/runs'],
    ['runs, page after run 9,800 of 10,000', `/runs?after=${deep}`],
    ['runs, by pipeline and state', '/runs?pipeline=pipeline_3&state=failed'],
    ['runs, by partition', '/runs?partition=2001-03-03'],
    [`dataset with ${COLUMNS} columns, ${LINEAGE / 400} children among ${LINEAGE.toLocaleString('en-US')} versions`, '/datasets/wide'],
  ];
  const bars: { name: string; text: string; ok: boolean }[] = [];
  console.log('\n| page | rows shown | best ms | median ms | bytes |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, url] of pages) {
    const times: number[] = [];
    let body = '';
    for (let i = 0; i < 18; i++) {
      const t0 = performance.now();
      const res = await app.inject({ url });
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
      body = res.body;
      if (i >= 3) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const shown = (body.match(/<tr data-run=|<tr data-column=/g) ?? []).length;
    console.log(`| ${name} | ${shown} | ${times[0]!.toFixed(1)} | ${median.toFixed(1)} | ${body.length.toLocaleString('en-US')} |`);
    bars.push({ name: `ui ${name}`, text: `median ${median.toFixed(1)} ms (bar ${BAR_MS} ms)`, ok: median < BAR_MS });
  }
  await app.close();

  // Lineage down alone: the indexed lookup the store does now against the LIKE it replaced, same database.
  const timeIt = async (fn: () => Promise<number>): Promise<{ median: number; found: number }> => {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < 18; i++) {
      const t0 = performance.now();
      found = await fn();
      if (i >= 3) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(times.length / 2)]!, found };
  };
  const indexed = await timeIt(async () => { const r = await store.listLineageChildren(source.id); return r.datasets.length + r.models.length; });
  const pattern = `%${JSON.stringify(source.id)}%`;
  const like = await timeIt(() => store.transaction(async (tx) => {
    const d = await tx.execute(`select id, inputs from dataset_versions where inputs like ? order by created_at desc limit 200`, [pattern]);
    const m = await tx.execute(`select id, inputs from model_versions where inputs like ? order by created_at desc limit 200`, [pattern]);
    return [...d, ...m].filter((r) => (JSON.parse(String(r['inputs'])) as string[]).includes(source.id)).length;
  }));
  if (indexed.found !== like.found) throw new Error(`lineage down: the index found ${indexed.found}, the LIKE ${like.found}`);
  console.log(`\n| lineage down over ${LINEAGE.toLocaleString('en-US')} versions | children | median ms |`);
  console.log('|---|---:|---:|');
  console.log(`| Sluice: lineage_edges (primary key lookup) | ${indexed.found} | ${indexed.median.toFixed(2)} |`);
  console.log(`| LIKE over inputs JSON (before migration 0008) | ${like.found} | ${like.median.toFixed(2)} |`);
  bars.push({ name: 'ui lineage down', text: `median ${indexed.median.toFixed(2)} ms, ${(like.median / indexed.median).toFixed(1)}x faster than the LIKE (bar: faster)`, ok: indexed.median < like.median });
  console.log('');
  for (const bar of bars) console.log(`bar ${bar.name}: ${bar.text} ${bar.ok ? 'ok' : 'short'}`);
} finally {
  await engine.close();
  await store.close();
  await rm(home, { recursive: true, force: true });
}
