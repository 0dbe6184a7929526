/**
 * `runPipeline`: runs a graph to the end in this process (the local executor, durable in the metadata
 * store) and returns the run, its task runs and the steps' outputs. The CLI's `sluice run` and tests
 * use it; schedulers and workers use the executors directly (local.ts, executor-types.ts).
 */
import type { Clock } from '../core/clock.ts';
import { SluiceError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { ArtifactStore, MetadataStore, RunState, TaskRunRecord } from '../store/types.ts';
import type { RunEvent, SubmitOptions } from './executor-types.ts';
import type { ParamValue, PipelineGraph } from './graph.ts';
import { LocalExecutor } from './local.ts';

export type { RunEvent } from './executor-types.ts';

export interface RunOptions {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  params?: Record<string, string | ParamValue>;
  partition?: string | null;
  /** How many steps run at once; default the number of cores. */
  concurrency?: number;
  /** Aborting cancels the run: running steps' signals fire, nothing they staged is registered. */
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: RunEvent) => void;
  clock?: Clock;
  /** Use this run id (e.g. one created in advance so a signal handler can name it). */
  runId?: string;
  /** Recompute cached steps. */
  noCache?: boolean;
  /** Recorded on the run, so `sluice runs retry` (or a worker) can load the pipeline again. */
  pipelineFile?: string | null;
  logicalDate?: number | null;
  trigger?: SubmitOptions['trigger'];
  key?: string;
  /** Lease of the run and its tasks (default 15 s). */
  leaseMs?: number;
}

export interface RunResult {
  runId: string;
  state: RunState;
  /** Outputs of the steps that succeeded. */
  outputs: Record<string, unknown>;
  tasks: TaskRunRecord[];
  /** The first step error, if the run failed. */
  error: Error | undefined;
}

export async function runPipeline(graph: PipelineGraph, options: RunOptions): Promise<RunResult> {
  const executor = new LocalExecutor({
    store: options.store, artifacts: options.artifacts, engine: options.engine, keepOutputs: true,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
  let runId: string | undefined;
  const onAbort = (): void => { if (runId) void executor.cancel(runId, reasonText(options.signal?.reason)).catch(() => {}); };
  try {
    const run = await executor.submit(graph, {
      ...(options.params ? { params: options.params } : {}), partition: options.partition ?? null,
      ...(options.runId ? { runId: options.runId } : {}), noCache: options.noCache === true, pipelineFile: options.pipelineFile ?? null,
      logicalDate: options.logicalDate ?? null, ...(options.trigger ? { trigger: options.trigger } : {}), ...(options.key ? { key: options.key } : {}),
    });
    runId = run.id;
    options.logger?.debug(`run ${run.id}: pipeline ${graph.name}, partition ${options.partition ?? '-'}`);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = await executor.wait(run.id);
    options.logger?.debug(`run ${run.id}: ${done.state} in ${(done.finishedAt ?? Date.now()) - (done.startedAt ?? done.createdAt)} ms`);
    const tasks = await options.store.listTaskRuns(run.id);
    const failed = tasks.find((t) => t.state === 'failed');
    const thrown = executor.firstError(run.id);
    const error = done.state !== 'failed' ? undefined
      : thrown ? wrapStepError(thrown.error, graph.name, thrown.step, run.id)
      : stepError(done.error ?? 'the run failed', failed);
    return { runId: run.id, state: done.state, outputs: await executor.outputs(run.id), tasks, error };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await executor.close();
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'cancel requested' : String(reason);
}

function wrapStepError(error: Error, pipeline: string, step: string, runId: string): Error {
  const hint = error instanceof SluiceError ? error.hint : undefined;
  return new SluiceError(`Step "${step}" of pipeline "${pipeline}" failed (run ${runId}): ${error.message}`, {
    code: error instanceof SluiceError ? error.code : 'STEP_FAILED', cause: error, context: { pipeline, step, run: runId },
    ...(hint ? { hint } : {}),
  });
}

function stepError(message: string, task: TaskRunRecord | undefined): Error {
  const err = new Error(message);
  if (task?.errorStack) err.stack = `${message}\n${task.errorStack.split('\n').slice(1).join('\n')}`;
  return err;
}

