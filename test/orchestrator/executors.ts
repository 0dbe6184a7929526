/**
 * The executors the conformance suite runs against (test/orchestrator/executor.conformance.test.ts).
 * Add an executor here (orch-dist: the distributed one) and it must pass the same suite, on SQLite and
 * PostgreSQL (`postgresOnly` for executors that need PostgreSQL).
 */
import type { Engine } from '../../src/engine/index.ts';
import { LocalExecutor, type Executor } from '../../src/orchestrator/index.ts';
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
];
