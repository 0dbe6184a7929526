import type { Engine } from '../../engine/index.ts';
import type { ProjectPipeline } from '../../orchestrator/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../../store/types.ts';

/** Retry and cancel, as the orchestration provides them (the CLI wires its executor in). */
export interface RunActions {
  /** Reruns a finished run's failed, cancelled and skipped steps (or the run again); resolves with the run to show. */
  retry(runId: string): Promise<{ runId: string }>;
  /** Requests cancellation of an unfinished run. */
  cancel(runId: string, reason: string): Promise<void>;
}

/** The steps of a run's pipeline and what each reads, for the step graph. */
export interface StepShape { name: string; inputs: readonly string[] }

export interface UiDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  /** DuckDB, to read quarantined rows and drift datasets; without it those sections say so. */
  engine?: Engine;
  actions?: RunActions;
  /** The graph of a run's pipeline (steps and inputs); without it edges come from the lineage of the run's outputs. */
  resolveGraph?: (run: RunRecord) => Promise<readonly StepShape[] | undefined>;
  /** The project's pipelines (`sluice dev`, `sluice ui` in a project): their declared schedules on the schedules page. */
  pipelines?: readonly ProjectPipeline[];
  /** How often a page of an unfinished run refreshes, in ms (default 2000). */
  liveIntervalMs: number;
  now: () => number;
}
