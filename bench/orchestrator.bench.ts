/**
 * bench:orchestrator: the orchestration's own cost per step, durable (every state change committed
 * to the metadata store).
 *
 * Local half (this file's first section): the local executor on SQLite (a file, WAL), a 1,000-step
 * chain and a 1,000-step fan-out of trivial steps. Bar: at most 1 ms a step. Beside it, the same store
 * doing nothing but the bare statements a step needs at least (one claim update and one commit
 * transaction per step) measures the floor this machine's SQLite sets.
 *
 * Sections are listed in `sections`; the distributed half (graphile-worker on PostgreSQL) adds its own.
 * Ends with one `bar` line per bar; exits non-zero if any is short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../src/engine/index.ts';
import { LocalExecutor, pipeline, type PipelineGraph } from '../src/orchestrator/index.ts';
import type { PipelineBuilder } from '../src/orchestrator/pipeline.ts';
import { openArtifactStore, openMetadataStore } from '../src/store/index.ts';

export interface Bar { name: string; measured: number; target: number; unit: string; lowerIsBetter: boolean }
export interface Section { name: string; run(): Promise<Bar[]> }

const N = 1000;
const REPS = 3;

function chain(n: number): PipelineGraph {
  let b: PipelineBuilder<Record<never, never>, Record<string, unknown>> = pipeline('bench_chain') as never;
  b = b.step('s0', [], () => 0) as never;
  for (let i = 1; i < n; i++) b = b.step(`s${i}`, [`s${i - 1}`] as never, (inputs: Record<string, unknown>) => (inputs[`s${i - 1}`] as number) + 1) as never;
  return b.build();
}

function fanOut(n: number): PipelineGraph {
  let b: PipelineBuilder<Record<never, never>, Record<string, unknown>> = pipeline('bench_fan') as never;
  b = b.step('root', [], () => 0) as never;
  for (let i = 1; i < n; i++) b = b.step(`leaf${i}`, ['root'] as never, () => i) as never;
  return b.build();
}

async function localSection(): Promise<Bar[]> {
  const home = mkdtempSync(join(tmpdir(), 'sluice-bench-orch-'));
  const store = await openMetadataStore({ home });
  const artifacts = await openArtifactStore({ home });
  const engine = await openEngine();
  try {
    const executor = new LocalExecutor({ store, artifacts, engine, concurrency: availableParallelism() });
    const graphs = { chain: chain(N), fan: fanOut(N) };
    const perStep: Record<string, number[]> = { chain: [], fan: [] };
    // One warm-up run each, then REPS measured.
    for (let rep = 0; rep <= REPS; rep++) {
      for (const [name, g] of Object.entries(graphs)) {
        const t0 = performance.now();
        const run = await executor.submit(g);
        const done = await executor.wait(run.id);
        const ms = performance.now() - t0;
        if (done.state !== 'succeeded') throw new Error(`bench run ${run.id} ${done.state}: ${done.error ?? ''}`);
        if (rep > 0) perStep[name]!.push(ms / N);
      }
    }
    await executor.close();

    // The floor: a claim update and a commit transaction (update + dependents' update) per step, bare.
    const bare: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const run = (await store.listRuns({ pipeline: 'bench_chain', limit: 1 }))[0]!;
      const tasks = await store.listTaskRuns(run.id);
      const t0 = performance.now();
      for (const t of tasks) {
        await store.transaction((tx) => tx.updateTaskRun(t.id, { leaseOwner: 'bench', state: 'running' }).then(() => undefined));
        await store.transaction(async (tx) => { await tx.updateTaskRun(t.id, { state: 'succeeded', output: 1 }); await tx.countTaskRuns(run.id, ['pending']); });
      }
      bare.push((performance.now() - t0) / tasks.length);
    }

    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`| local executor, SQLite (${store.description.replace(home, '<tmp>')}) | ms a step (median of ${REPS}) | best |`);
    console.log('|---|---:|---:|');
    console.log(`| ${N}-step chain | ${med(perStep.chain!).toFixed(3)} | ${Math.min(...perStep.chain!).toFixed(3)} |`);
    console.log(`| ${N}-step fan-out | ${med(perStep.fan!).toFixed(3)} | ${Math.min(...perStep.fan!).toFixed(3)} |`);
    console.log(`| floor: bare claim + commit transactions on the same store | ${med(bare).toFixed(3)} | ${Math.min(...bare).toFixed(3)} |`);
    console.log(`\nchain ${(med(perStep.chain!) / med(bare)).toFixed(2)}x the floor; published anchors: Airflow about 1-2 ms per dependency check, 500-1,000 tasks/s.`);
    return [
      { name: 'local_sqlite_chain_1000_ms_per_step', measured: med(perStep.chain!), target: 1, unit: 'ms', lowerIsBetter: true },
      { name: 'local_sqlite_fanout_1000_ms_per_step', measured: med(perStep.fan!), target: 1, unit: 'ms', lowerIsBetter: true },
    ];
  } finally {
    await engine.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export const sections: Section[] = [
  { name: 'local executor on SQLite', run: localSection },
];

console.log(`bench:orchestrator on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const bars: Bar[] = [];
for (const s of sections) {
  console.log(`\n## ${s.name}\n`);
  bars.push(...(await s.run()));
}
console.log('');
for (const b of bars) {
  const ok = b.lowerIsBetter ? b.measured <= b.target : b.measured >= b.target;
  console.log(`bar ${b.name}: ${b.measured.toFixed(3)} ${b.unit} (target ${b.lowerIsBetter ? '<=' : '>='} ${b.target} ${b.unit}) ${ok ? 'ok' : 'short'}`);
}
process.exitCode = bars.every((b) => (b.lowerIsBetter ? b.measured <= b.target : b.measured >= b.target)) ? 0 : 1;
