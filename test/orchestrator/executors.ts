/**
 * The executors the conformance suite runs against (test/orchestrator/executor.conformance.test.ts).
 * Add an executor here (orch-dist: the distributed one) and it must pass the same suite, on SQLite and
 * PostgreSQL (`postgresOnly` for executors that need PostgreSQL).
 */
import type { Engine } from '../../src/engine/index.ts';
import { newId } from '../../src/core/ids.ts';
import { LocalExecutor, type Executor, type PipelineGraph } from '../../src/orchestrator/index.ts';
import { DistributedExecutor } from '../../src/orchestrator/distributed.ts';
import { createWorkerAttemptRunner, startWorker } from '../../src/orchestrator/worker.ts';
import type { ArtifactStore, MetadataStore } from '../../src/store/types.ts';

export interface ExecutorEnv {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  /** The metadata database URL (a second process or connection can open it). */
  url: string;
  /** Short leases, so the reaper tests run in seconds. */
  leaseMs: number;
}

export interface ExecutorFactory {
  name: string;
  postgresOnly?: boolean;
  create(env: ExecutorEnv): Promise<Executor>;
}

export const executorFactories: ExecutorFactory[] = [
  { name: 'inline', create: async (env) => new LocalExecutor({ store: env.store, artifacts: env.artifacts, engine: env.engine, kind: 'inline', leaseMs: env.leaseMs }) },
  { name: 'local', create: async (env) => new LocalExecutor({ store: env.store, artifacts: env.artifacts, engine: env.engine, kind: 'local', concurrency: 4, leaseMs: env.leaseMs }) },
  { name: 'distributed', postgresOnly: true, create: distributedInProcess },
];

/**
 * The distributed executor with one `sluice worker` in this process (the suite's steps are closures, so
 * the worker finds a run's graph among the graphs submitted here rather than in a project file; the
 * kill tests in distributed.test.ts run real worker processes). Jobs go through graphile-worker on the
 * test's PostgreSQL like in production.
 */
const submittedGraphs = new Map<string, PipelineGraph>();

async function distributedInProcess(env: ExecutorEnv): Promise<Executor> {
  const executor = await DistributedExecutor.open({ store: env.store, url: env.url, leaseMs: env.leaseMs });
  const workerId = newId('worker');
  const runner = createWorkerAttemptRunner({
    store: env.store, artifacts: env.artifacts, engine: env.engine, transport: executor.transport, workerId, leaseMs: env.leaseMs,
    resolveGraph: async (run) => {
      const graph = submittedGraphs.get(run.pipeline);
      if (!graph) throw new Error(`no graph submitted for pipeline ${run.pipeline}`);
      return graph;
    },
  });
  const worker = await startWorker({ store: env.store, url: env.url, runner, workerId, concurrency: 4, leaseMs: env.leaseMs, reapEveryMs: 500 });
  return {
    kind: executor.kind,
    submit: (graph, options) => { submittedGraphs.set(graph.name, graph); return executor.submit(graph, options); },
    wait: (runId, options) => executor.wait(runId, options),
    retry: (runId, options) => { if (options?.graph) submittedGraphs.set(options.graph.name, options.graph); return executor.retry(runId, options); },
    cancel: (runId, reason) => executor.cancel(runId, reason),
    close: async () => { await worker.stop({ graceMs: 0 }); await executor.close(); },
  };
}
