/**
 * The in-process executor: runs a pipeline graph, independent steps concurrently, and records the run
 * and every task run (state, attempts, timings, error with stack, output summary, logs) in the
 * metadata store. A step's datasets and models are registered only after the step succeeds, so a
 * failed or cancelled step leaves nothing half-made in the catalog.
 */
import { availableParallelism } from 'node:os';
import { systemClock, type Clock } from '../core/clock.ts';
import { CancelledError, SluiceError, errorMessage, toError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import { DatasetCatalog, isStagedDataset, type DatasetRef, type StagedDataset } from '../data/index.ts';
import { ModelRegistry, isStagedModel, type ModelRef, type StagedModel } from '../registry/index.ts';
import type { ArtifactStore, MetadataStore, RunState, TaskRunRecord, TaskState } from '../store/types.ts';
import { createStepContext, summarizeOutput, type PendingOutputs } from './context.ts';
import type { ParamValue, PipelineGraph, StepNode } from './graph.ts';
import { resolveParams } from './pipeline.ts';

export type RunEvent =
  | { type: 'run-start'; runId: string; pipeline: string; steps: readonly string[] }
  | { type: 'task-start'; runId: string; step: string; attempt: number }
  | { type: 'task-progress'; runId: string; step: string; done: number; total: number; message?: string }
  | { type: 'task-log'; runId: string; step: string; message: string }
  | { type: 'task-retry'; runId: string; step: string; attempt: number; error: string; delayMs: number }
  | { type: 'task-end'; runId: string; step: string; state: TaskState; durationMs: number; error?: string }
  | { type: 'run-end'; runId: string; state: RunState; durationMs: number };

export interface RunOptions {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  params?: Record<string, string | ParamValue>;
  partition?: string | null;
  /** How many steps run at once; default the number of cores. */
  concurrency?: number;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: RunEvent) => void;
  clock?: Clock;
  /** Use this run id (e.g. one created in advance so a signal handler can name it). */
  runId?: string;
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

const MAX_LOG_LINES = 200;

export async function runPipeline(graph: PipelineGraph, options: RunOptions): Promise<RunResult> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const emit = options.onEvent ?? (() => {});
  const params = resolveParams(graph, options.params ?? {});
  const { store, artifacts } = options;
  const catalog = new DatasetCatalog(store, artifacts);
  const registry = new ModelRegistry(store, artifacts);
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());

  const runId = options.runId ?? newId('run');
  const started = clock.now();
  await store.createRun({ id: runId, pipeline: graph.name, params, partition: options.partition ?? null, state: 'running', createdAt: started });
  await store.updateRun(runId, { startedAt: started });
  emit({ type: 'run-start', runId, pipeline: graph.name, steps: graph.order });
  logger.debug(`run ${runId}: pipeline ${graph.name}, params ${JSON.stringify(params)}, partition ${options.partition ?? '-'}, ${concurrency} step(s) at once`);

  const taskIds = new Map<string, string>();
  for (const name of graph.order) {
    const id = newId('task');
    taskIds.set(name, id);
    await store.createTaskRun({ id, runId, step: name, state: 'pending' });
  }

  const byName = new Map(graph.steps.map((s) => [s.name, s] as [string, StepNode]));
  const states = new Map<string, TaskState>(graph.order.map((n) => [n, 'pending']));
  const outputs: Record<string, unknown> = {};
  const running = new Map<string, Promise<void>>();
  const forks = new Set<Engine>();
  let firstError: Error | undefined;

  // Cancellation: stop launching, interrupt running SQL; running steps then end as cancelled.
  const controller = new AbortController();
  const onAbort = (): void => {
    controller.abort(options.signal?.reason);
    for (const fork of forks) fork.interrupt();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const setTask = async (name: string, state: TaskState, patch: Parameters<MetadataStore['updateTaskRun']>[1] = {}): Promise<void> => {
    states.set(name, state);
    await store.updateTaskRun(taskIds.get(name)!, { state, ...patch });
  };

  const execute = async (step: StepNode): Promise<void> => {
    const taskId = taskIds.get(step.name)!;
    const logs: string[] = [];
    const inputs: Record<string, unknown> = {};
    for (const i of step.inputs) inputs[i] = outputs[i];
    const t0 = clock.now();
    await setTask(step.name, 'running', { startedAt: t0, attempt: 1 });
    for (let attempt = 1; ; attempt++) {
      emit({ type: 'task-start', runId, step: step.name, attempt });
      logger.debug(`run ${runId}: step ${step.name} attempt ${attempt} started`);
      const engine = await options.engine.fork();
      forks.add(engine);
      const { ctx, pending } = createStepContext({
        params, run: { id: runId, pipeline: graph.name, partition: options.partition ?? null }, step: step.name, attempt,
        engine, signal: controller.signal, artifacts, catalog, registry, logger,
        onLog: (message) => {
          logs.push(message);
          if (logs.length > MAX_LOG_LINES) logs.shift();
          emit({ type: 'task-log', runId, step: step.name, message });
        },
        onProgress: (done, total, message) => emit({ type: 'task-progress', runId, step: step.name, done, total, ...(message ? { message } : {}) }),
      });
      try {
        const value = await step.run(inputs, ctx);
        ctx.throwIfCancelled();
        const committed = await commitOutputs(pending, catalog, registry);
        if (committed.size) logger.debug(`run ${runId}: step ${step.name} registered ${[...committed.values()].map((r) => `${r.name} v${r.version}`).join(', ')}`);
        const output = replaceStaged(value, committed);
        outputs[step.name] = output;
        const t1 = clock.now();
        await setTask(step.name, 'succeeded', { finishedAt: t1, durationMs: t1 - t0, output: summarizeOutput(output), logs, attempt });
        emit({ type: 'task-end', runId, step: step.name, state: 'succeeded', durationMs: t1 - t0 });
        return;
      } catch (err) {
        const cancelled = controller.signal.aborted || err instanceof CancelledError;
        const error = toError(err);
        if (!cancelled && attempt <= step.retry.retries) {
          const delayMs = step.retry.delayMs * 2 ** (attempt - 1);
          logs.push(`attempt ${attempt} failed: ${error.message}; retrying in ${delayMs} ms`);
          emit({ type: 'task-retry', runId, step: step.name, attempt, error: error.message, delayMs });
          await store.updateTaskRun(taskId, { attempt: attempt + 1, logs, error: error.message, errorStack: error.stack ?? null });
          await sleep(delayMs, controller.signal);
          if (!controller.signal.aborted) continue;
        }
        const t1 = clock.now();
        const state: TaskState = cancelled || controller.signal.aborted ? 'cancelled' : 'failed';
        const message = state === 'cancelled' ? `cancelled: ${errorMessage(err)}` : errorMessage(err);
        logger.debug(`run ${runId}: step ${step.name} ${state} after ${attempt} attempt(s): ${message}`);
        await setTask(step.name, state, { finishedAt: t1, durationMs: t1 - t0, error: message, errorStack: error.stack ?? null, logs, attempt });
        emit({ type: 'task-end', runId, step: step.name, state, durationMs: t1 - t0, error: message });
        if (state === 'failed' && !firstError) firstError = wrapStepError(error, graph.name, step.name, runId);
        return;
      } finally {
        forks.delete(engine);
        await engine.close();
      }
    }
  };

  // Schedule: launch every pending step whose inputs have all succeeded, up to `concurrency` at once.
  try {
    while (true) {
      if (!controller.signal.aborted) {
        for (const name of graph.order) {
          if (running.size >= concurrency) break;
          if (states.get(name) !== 'pending' || running.has(name)) continue;
          const step = byName.get(name)!;
          const inputStates = step.inputs.map((i) => states.get(i));
          if (inputStates.some((s) => s === 'failed' || s === 'skipped' || s === 'cancelled')) {
            states.set(name, 'skipped');
            await store.updateTaskRun(taskIds.get(name)!, { state: 'skipped', error: 'an upstream step did not succeed' });
            emit({ type: 'task-end', runId, step: name, state: 'skipped', durationMs: 0 });
            continue;
          }
          if (inputStates.every((s) => s === 'succeeded')) {
            const p = execute(step).finally(() => running.delete(name));
            running.set(name, p);
          }
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  // Whatever never started is cancelled (after a cancel) or skipped.
  for (const name of graph.order) {
    if (states.get(name) === 'pending') {
      const state: TaskState = controller.signal.aborted ? 'cancelled' : 'skipped';
      await setTask(name, state, { error: controller.signal.aborted ? 'the run was cancelled before this step started' : 'an upstream step did not succeed' });
    }
  }
  const finalStates = [...states.values()];
  const runState: RunState = controller.signal.aborted ? 'cancelled' : finalStates.some((s) => s === 'failed' || s === 'skipped') ? 'failed' : 'succeeded';
  const finished = clock.now();
  await store.updateRun(runId, {
    state: runState, finishedAt: finished,
    error: runState === 'cancelled' ? 'the run was cancelled' : firstError ? firstError.message : null,
    errorStack: firstError?.stack ?? null,
  });
  logger.debug(`run ${runId}: ${runState} in ${finished - started} ms`);
  emit({ type: 'run-end', runId, state: runState, durationMs: finished - started });
  return { runId, state: runState, outputs, tasks: await store.listTaskRuns(runId), error: firstError };
}

async function commitOutputs(pending: PendingOutputs, catalog: DatasetCatalog, registry: ModelRegistry): Promise<Map<unknown, DatasetRef | ModelRef>> {
  const map = new Map<unknown, DatasetRef | ModelRef>();
  for (const d of pending.datasets) map.set(d, await catalog.commit(d));
  for (const m of pending.models) map.set(m, await registry.commit(m));
  for (const a of pending.aliases) {
    const version = typeof a.version === 'number' ? a.version : (map.get(a.version) as ModelRef | undefined)?.version;
    if (version === undefined) throw new SluiceError(`Alias "${a.alias}" of model "${a.name}" points at a model this step did not register`);
    await registry.setAlias(a.name, a.alias, version);
  }
  return map;
}

/** Staged datasets and models in a step's return value become their registered refs. */
function replaceStaged(value: unknown, map: Map<unknown, DatasetRef | ModelRef>, depth = 0): unknown {
  if (isStagedDataset(value) || isStagedModel(value)) return map.get(value as StagedDataset | StagedModel) ?? value;
  if (depth > 6 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => replaceStaged(v, map, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = replaceStaged(v, map, depth + 1);
  return out;
}

function wrapStepError(error: Error, pipeline: string, step: string, runId: string): Error {
  const hint = error instanceof SluiceError ? error.hint : undefined;
  return new SluiceError(`Step "${step}" of pipeline "${pipeline}" failed (run ${runId}): ${error.message}`, {
    code: error instanceof SluiceError ? error.code : 'STEP_FAILED', cause: error, context: { pipeline, step, run: runId },
    ...(hint ? { hint } : {}),
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const t = setTimeout(() => { signal.removeEventListener('abort', done); resolve(); }, ms);
    const done = (): void => { clearTimeout(t); resolve(); };
    signal.addEventListener('abort', done, { once: true });
  });
}
