/**
 * One task attempt, start to end; the same code runs it in every executor and in `sluice worker`:
 *
 * 1. claim: compare-and-set queued -> running for this attempt, with a lease owned by this process;
 * 2. inputs: the upstream steps' outputs, from memory when this process made them, else read back
 *    from their persisted JSON (datasets and models resolved in the catalog and registry);
 * 3. cache (steps with `cache: true`): a recorded output with the same key is reused, nothing runs;
 * 4. run the step with a signal that fires on cancel, shutdown or timeout (DuckDB queries interrupted);
 * 5. commit, all or nothing, in ONE transaction fenced by attempt and lease owner: every dataset
 *    (dataset locks taken, ingest plans re-checked), quarantine, model and alias, the task's state and
 *    output, the dependents queued, the run finished when nothing is left. A stale ingest plan
 *    (another writer got there first) reruns the step body; a transient store error retries the commit
 *    with backoff for a bounded time;
 * 6. on failure: back to queued with attempt + 1 after a backoff with jitter if retries are left, else
 *    failed and the descendants skipped.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '../core/clock.ts';
import { CancelledError, SluiceError, errorMessage, toError } from '../core/errors.ts';
import { sha256 } from '../core/hash.ts';
import { silentLogger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import { DatasetCatalog, isStagedDataset, type DatasetRef, type StagedDataset } from '../data/index.ts';
import { ModelRegistry, isStagedModel, type ModelRef, type StagedModel } from '../registry/index.ts';
import type { Json } from '../core/json.ts';
import { withStoreRetry } from '../store/retry.ts';
import type { MetadataTx, RunRecord, RunState, TaskRunRecord } from '../store/types.ts';
import { createStepContext, type PendingOutputs } from './context.ts';
import { DEFAULT_LEASE_MS, type QueuedTask, type TaskEnv, type TaskOutcome } from './executor-types.ts';
import type { PipelineGraph, StepNode } from './graph.ts';
import { decodeOutput, encodeOutput } from './outputs.ts';
import { backoffMs, cancelReasonOf, dependentsOf, finishRunIfDone, jobPriority, queueReadyDependents, skipDescendants, stepOf } from './state.ts';

// Where they lived first; the store owns them now (the data layer retries its pins with them too).
export { isTransientStoreError, withStoreRetry } from '../store/retry.ts';

export interface AttemptOptions {
  graph: PipelineGraph;
  /** Fires when the run is cancelled or the process is stopping: the step's ctx.signal fires. */
  signal?: AbortSignal;
  /** This process's outputs of the run's steps (step name -> value): passes values JSON cannot hold. */
  memory?: Map<string, unknown>;
  /** The run, as the caller knows it: its params, partition and logical date are read from here instead of the store. */
  run?: RunRecord;
  /** This attempt was claimed already (by the commit before it, see `nextTask`): the task run as claimed. */
  claimed?: TaskRunRecord;
  /**
   * Called inside the commit transaction with the dependents it queued: the queued task this process
   * will run next in this attempt's place, if any. The commit claims it too (one transaction per step
   * instead of two), and the result's `next` hands it over, claimed. Must not change anything: the
   * transaction may be retried or rolled back.
   */
  nextTask?: (queued: readonly QueuedTask[]) => QueuedTask | undefined;
}

export type AttemptResult = TaskOutcome & {
  /** The run's final state when this attempt finished the run. */
  runFinished: RunState | null;
  step?: string;
  /** The task `nextTask` chose, claimed by this attempt's commit for this process: run it with `claimed`. */
  next?: { job: QueuedTask; task: TaskRunRecord };
};

const MAX_LOG_LINES = 200;
/** A stale ingest plan reruns the step body at most this often in one attempt. */
const MAX_CONFLICT_RERUNS = 5;

export async function runTaskAttempt(env: TaskEnv, job: QueuedTask, options: AttemptOptions): Promise<AttemptResult> {
  const clock = env.clock ?? systemClock;
  const leaseMs = env.leaseMs ?? DEFAULT_LEASE_MS;
  const emit = env.onEvent ?? (() => {});
  const { graph } = options;
  const t0 = clock.now();

  // 1. Claim: one compare-and-set statement in the common case; when it changes nothing, a transaction
  // finds out why (lost, cancelled, not yet due) and acts on it.
  const claimed = options.claimed ?? await withStoreRetry(`claiming task run ${job.taskRunId}`, () => env.store.claimTaskRun(job.taskRunId, job.attempt, { owner: env.workerId, now: t0, leaseExpiresAt: t0 + leaseMs }));
  let claim: Claim;
  if (claimed) {
    // A run's facts a step reads (params, partition, logical date, noCache) never change: the caller's copy serves.
    const run = options.run?.id === claimed.runId ? options.run : await withStoreRetry(`reading run ${claimed.runId}`, () => env.store.getRun(claimed.runId));
    if (!run) throw new SluiceError(`Run ${claimed.runId} of task run ${claimed.id} disappeared from the metadata store`, { code: 'NOT_FOUND', context: { run: claimed.runId } });
    const step = stepOf(graph, claimed.step);
    // Inputs this process made are in memory; the rows are needed only for the others, and for a cache key.
    const fromMemory = !step.cache && options.memory !== undefined && step.inputs.every((i) => options.memory!.has(i));
    const inputs = step.inputs.length === 0 || fromMemory ? [] : await withStoreRetry(`reading the inputs of task run ${claimed.id}`, () => env.store.listTaskRunsBySteps(run.id, step.inputs));
    claim = { kind: 'claimed', task: claimed, run, inputs, fromMemory };
  } else {
    claim = await withStoreRetry(`claiming task run ${job.taskRunId}`, () => env.store.transaction(async (tx): Promise<Claim> => {
      const task = await tx.getTaskRun(job.taskRunId);
      if (!task) return { kind: 'lost', reason: `task run ${job.taskRunId} does not exist`, runFinished: null };
      const run = await tx.getRun(task.runId);
      if (!run) return { kind: 'lost', reason: `run ${task.runId} does not exist`, runFinished: null };
      if (task.state !== 'queued' || task.attempt !== job.attempt) return { kind: 'lost', reason: `task run ${task.id} is ${task.state} at attempt ${task.attempt}, not queued at attempt ${job.attempt}`, runFinished: null };
      if (run.cancelRequestedAt !== null || run.state !== 'running') {
        // Finishing the run: the run row first, then task rows (the lock order of every orchestration
        // transaction). A plain claim takes no run lock, so claims of one run do not queue up.
        await tx.getRun(task.runId, { lock: true });
        await tx.updateTaskRun(task.id, { state: 'cancelled', finishedAt: t0, error: 'the run was cancelled before this step started' }, { state: ['queued'], attempt: job.attempt });
        await skipDescendants(tx, graph, run.id, task.step, 'cancelled', t0);
        return { kind: 'cancelled', runFinished: await finishRunIfDone(tx, run.id, t0, { runLocked: true }), step: task.step };
      }
      if (task.notBefore !== null && task.notBefore > t0) return { kind: 'not-yet', runAt: task.notBefore, runFinished: null };
      const ok = await tx.updateTaskRun(task.id, {
        state: 'running', leaseOwner: env.workerId, leaseExpiresAt: t0 + leaseMs, startedAt: t0, finishedAt: null, notBefore: null,
      }, { state: ['queued'], attempt: job.attempt });
      if (!ok) return { kind: 'lost', reason: `task run ${task.id} was claimed by another process`, runFinished: null };
      const inputs = await tx.listTaskRunsBySteps(run.id, stepOf(graph, task.step).inputs);
      return { kind: 'claimed', task, run, inputs, fromMemory: false };
    }));
  }
  if (claim.kind !== 'claimed') return claim;

  const { task, run } = claim;
  const step = stepOf(graph, task.step);
  const fence = { taskId: task.id, attempt: job.attempt, owner: env.workerId };
  const logs: string[] = [...task.logs];
  const catalog = new DatasetCatalog(env.store, env.artifacts, { workerId: env.workerId });
  const registry = new ModelRegistry(env.store, env.artifacts, { workerId: env.workerId });
  emit({ type: 'task-start', runId: run.id, step: step.name, attempt: job.attempt });
  env.logger?.debug(`run ${run.id}: step ${step.name} attempt ${job.attempt} started`);

  // The attempt's signal: the caller's (cancel, shutdown) or the step's timeout.
  const controller = new AbortController();
  let timedOut = false;
  const onOuter = (): void => {
    const why = cancelReasonOf(options.signal?.reason);
    controller.abort(new CancelledError(`Step "${step.name}" of run ${run.id} was cancelled${why ? `: ${why}` : ''}`, { context: { run: run.id, step: step.name, ...(why ? { reason: why } : {}) } }));
  };
  if (options.signal?.aborted) onOuter();
  else options.signal?.addEventListener('abort', onOuter, { once: true });
  const timer = task.timeoutMs !== null ? setTimeout(() => {
    timedOut = true;
    controller.abort(new SluiceError(`Step "${step.name}" of run ${run.id} timed out after ${task.timeoutMs} ms (attempt ${job.attempt})`, {
      code: 'TIMEOUT', context: { run: run.id, step: step.name }, hint: 'Raise the step\'s timeoutMs, or make it faster.',
    }));
  }, task.timeoutMs) : undefined;

  let pending: PendingOutputs = { datasets: [], models: [], aliases: [] };
  let engine: Engine | undefined;
  let interrupter: NodeJS.Timeout | undefined;
  let stepDone: Promise<void> | undefined;
  let forking: Promise<Engine> | undefined;
  try {
    // 2. Inputs.
    const inputRows = new Map(claim.inputs.map((t) => [t.step, t]));
    const inputs: Record<string, unknown> = {};
    for (const name of step.inputs) {
      if (claim.fromMemory) { inputs[name] = options.memory!.get(name); continue; }
      const row = inputRows.get(name);
      if (!row || row.state !== 'succeeded') throw new SluiceError(`Step "${step.name}" cannot start: its input "${name}" has not succeeded (${row?.state ?? 'missing'})`, { code: 'INPUT_NOT_READY', context: { run: run.id, step: step.name } });
      inputs[name] = await readOutput(row, options.memory, catalog, registry, `step "${name}" of run ${run.id}`);
    }

    // 3. Cache.
    const cacheKey = step.cache ? stepCacheKey(step, run, step.inputs.map((i) => inputRows.get(i)!)) : null;
    if (cacheKey !== null && !run.noCache) {
      const hit = await env.store.findCachedTask(cacheKey);
      if (hit && hit.id !== task.id) {
        let value: unknown;
        let usable = true;
        try {
          value = await decodeOutput(hit.output, catalog, registry, `step "${step.name}" (cached from task run ${hit.id})`);
        } catch (err) {
          usable = false;
          logs.push(`cache entry ${hit.id} not usable: ${errorMessage(err)}`);
        }
        if (usable) {
          logs.push(`cache hit: output of task run ${hit.id} (run ${hit.runId}) reused`);
          const done = await commitSuccess(env, graph, run, step, fence, { datasets: [], models: [], aliases: [] }, catalog, registry, value, { logs, cacheKey, cachedFrom: hit.id, t0, clock, leaseMs, ...(options.nextTask ? { nextTask: options.nextTask } : {}) });
          if (done.kind === 'lost') return { ...done, runFinished: null };
          options.memory?.set(step.name, done.output);
          emit({ type: 'task-end', runId: run.id, step: step.name, state: 'succeeded', durationMs: clock.now() - t0, cached: true });
          return { kind: 'succeeded', cached: true, runFinished: done.runFinished, step: step.name, ...(done.next ? { next: done.next } : {}) };
        }
      }
    }

    // 4. Run (and 5. commit); a stale ingest plan reruns the body.
    // The step's own DuckDB connection, made on first use (a connection costs about a millisecond,
    // a trivial step needs none).
    const fork = (): Promise<Engine> => (forking ??= env.engine.fork().then((e) => { engine = e; return e; }));
    const lazyEngine = new Proxy({} as Engine, {
      get(_target, prop) {
        if (prop === 'interrupt') return () => engine?.interrupt();
        if (prop === 'then') return undefined;
        return (...args: unknown[]) => fork().then((e) => (e as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[prop]!.apply(e, args));
      },
    });
    // An interrupt that lands while a query is still starting is lost (DuckDB clears the flag when a
    // query begins), so keep interrupting until the attempt's engine is closed.
    controller.signal.addEventListener('abort', () => {
      engine?.interrupt();
      interrupter = setInterval(() => engine?.interrupt(), 25);
    }, { once: true });
    for (let rerun = 0; ; rerun++) {
      const made = createStepContext({
        params: run.params as Record<string, string | number | boolean>, run: { id: run.id, pipeline: run.pipeline, partition: run.partition, logicalDate: run.logicalDate },
        step: step.name, attempt: job.attempt, engine: lazyEngine, signal: controller.signal, artifacts: env.artifacts, catalog, registry,
        logger: env.logger ?? silentLogger,
        onLog: (message) => {
          logs.push(message);
          if (logs.length > MAX_LOG_LINES) logs.shift();
          emit({ type: 'task-log', runId: run.id, step: step.name, message });
        },
        onProgress: (done, total, message) => emit({ type: 'task-progress', runId: run.id, step: step.name, done, total, ...(message ? { message } : {}) }),
      });
      pending = made.pending;
      const running = Promise.resolve().then(() => step.run(inputs, made.ctx));
      stepDone = running.then(() => {}, () => {});
      const value = await untilAborted(running, controller.signal);
      made.ctx.throwIfCancelled();
      try {
        const done = await commitSuccess(env, graph, run, step, fence, pending, catalog, registry, value, { logs, cacheKey, cachedFrom: null, t0, clock, leaseMs, signal: controller.signal, ...(options.nextTask ? { nextTask: options.nextTask } : {}) });
        if (done.kind === 'lost') return { ...done, runFinished: null };
        options.memory?.set(step.name, done.output);
        emit({ type: 'task-end', runId: run.id, step: step.name, state: 'succeeded', durationMs: clock.now() - t0 });
        return { kind: 'succeeded', cached: false, runFinished: done.runFinished, step: step.name, ...(done.next ? { next: done.next } : {}) };
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'COMMIT_CONFLICT' && rerun < MAX_CONFLICT_RERUNS) {
          logs.push(`commit conflict, planning again: ${err.message}`);
          await unpin(env, pending);
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    // 6. Failure, cancellation or timeout.
    const error = toError(err);
    const cancelled = !timedOut && (controller.signal.aborted || err instanceof CancelledError);
    const outcome = await withStoreRetry(`recording the end of task run ${task.id}`, () => env.store.transaction(async (tx) => {
      const now = clock.now();
      await tx.getRun(run.id, { lock: true });
      for (const id of stagedIds(pending)) await tx.unpinArtifacts(id);
      const current = await tx.getTaskRun(task.id);
      if (!current || current.state !== 'running' || current.attempt !== job.attempt || current.leaseOwner !== env.workerId) {
        return { kind: 'lost' as const, reason: `task run ${task.id} is no longer this attempt's (${current?.state ?? 'missing'})`, runFinished: null };
      }
      const runNow = (await tx.getRun(run.id))!;
      const base = { finishedAt: now, durationMs: now - t0, error: cancelled ? `cancelled: ${error.message}` : error.message, errorStack: error.stack ?? null, errorHint: error instanceof SluiceError ? error.hint ?? null : null, logs, leaseOwner: null, leaseExpiresAt: null };
      if (cancelled || runNow.cancelRequestedAt !== null) {
        await tx.updateTaskRun(task.id, { ...base, state: 'cancelled' }, { state: ['running'], attempt: job.attempt });
        await skipDescendants(tx, graph, run.id, step.name, 'cancelled', now);
        return { kind: 'cancelled' as const, runFinished: await finishRunIfDone(tx, run.id, now) };
      }
      if (job.attempt < current.maxAttempts && !isPermanent(error)) {
        const wait = backoffMs(current.retryDelayMs, job.attempt, step.retry.maxDelayMs);
        const runAt = now + wait;
        logs.push(`attempt ${job.attempt} failed: ${error.message}; retrying in ${wait} ms`);
        await tx.updateTaskRun(task.id, { ...base, finishedAt: null, durationMs: null, logs, state: 'queued', attempt: job.attempt + 1, notBefore: runAt }, { state: ['running'], attempt: job.attempt });
        await env.transport.enqueue(tx, [{ taskRunId: task.id, runId: run.id, attempt: job.attempt + 1, runAt, priority: jobPriority(run) }]);
        return { kind: 'failed' as const, error, willRetry: true, retryAt: runAt, runFinished: null, delayMs: wait };
      }
      await tx.updateTaskRun(task.id, { ...base, state: 'failed' }, { state: ['running'], attempt: job.attempt });
      await skipDescendants(tx, graph, run.id, step.name, 'failed', now);
      return { kind: 'failed' as const, error, willRetry: false, runFinished: await finishRunIfDone(tx, run.id, now) };
    }));
    if (outcome.kind === 'failed' && outcome.willRetry) {
      env.transport.afterCommit?.([{ taskRunId: task.id, runId: run.id, attempt: job.attempt + 1, runAt: outcome.retryAt! }]);
      emit({ type: 'task-retry', runId: run.id, step: step.name, attempt: job.attempt, error: error.message, delayMs: outcome.delayMs ?? 0 });
    } else if (outcome.kind !== 'lost') {
      emit({ type: 'task-end', runId: run.id, step: step.name, state: outcome.kind, durationMs: clock.now() - t0, error: error.message });
    }
    if (outcome.kind === 'failed') return { kind: 'failed', error, willRetry: outcome.willRetry, ...(outcome.retryAt !== undefined ? { retryAt: outcome.retryAt } : {}), runFinished: outcome.runFinished, step: step.name };
    return { ...outcome, step: step.name };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuter);
    // Closing a connection while its query runs would block this thread on DuckDB (which needs this
    // thread to finish the query): a step that has not returned yet gets its engine closed when it does.
    const close = async (): Promise<void> => {
      if (interrupter) clearInterval(interrupter);
      if (engine) await engine.close().catch(() => {});
      else if (forking) await forking.then((e) => e.close()).catch(() => {});
    };
    if (stepDone && controller.signal.aborted) void stepDone.then(close);
    else await close();
  }
}

type Claim =
  | { kind: 'claimed'; task: TaskRunRecord; run: RunRecord; inputs: TaskRunRecord[]; fromMemory: boolean }
  | (Exclude<TaskOutcome, { kind: 'succeeded' } | { kind: 'failed' }> & { runFinished: RunState | null; step?: string });

interface SuccessInfo {
  logs: string[];
  cacheKey: string | null;
  cachedFrom: string | null;
  t0: number;
  clock: { now(): number };
  leaseMs: number;
  signal?: AbortSignal;
  nextTask?: (queued: readonly QueuedTask[]) => QueuedTask | undefined;
}

type Next = { job: QueuedTask; task: TaskRunRecord };
type CommitDone = { kind: 'committed'; output: unknown; runFinished: RunState | null; next?: Next } | { kind: 'lost'; reason: string };

/** Step 5: the one fenced transaction. */
async function commitSuccess(
  env: TaskEnv, graph: PipelineGraph, run: RunRecord, step: StepNode, fence: { taskId: string; attempt: number; owner: string },
  pending: PendingOutputs, catalog: DatasetCatalog, registry: ModelRegistry, value: unknown, info: SuccessInfo,
): Promise<CommitDone> {
  let tries = 0;
  // A step with nothing to register and no dependents, on PostgreSQL: its success is one statement (the
  // fenced update, which also finds whether the run has other unfinished tasks), and only a run's last
  // step opens a transaction to close the run. Two round trips fewer per task on the distributed queue.
  const alone = env.store.dialect === 'postgres' && !info.nextTask && pending.datasets.length === 0 && pending.models.length === 0 && pending.aliases.length === 0
    && (dependentsOf(graph).get(step.name) ?? []).length === 0 && process.env.SLUICE_TEST_PAUSE_IN_COMMIT !== step.name;
  const cancelled = (): CancelledError => new CancelledError(`Step "${step.name}" of run ${run.id} was cancelled before its outputs were committed`, { context: { run: run.id, step: step.name } });
  /** Why the fenced update changed nothing: the run was cancelled, or this attempt lost its lease. */
  const refused = (current: RunRecord | undefined): Error => (!current || current.cancelRequestedAt !== null
    ? cancelled()
    : new LostLease(`task run ${fence.taskId} is no longer running under attempt ${fence.attempt} of ${fence.owner}`));
  const result = await withStoreRetry(`committing step "${step.name}" of run ${run.id}`, async () => {
    tries++;
    try {
      if (alone) {
        if (info.signal?.aborted) throw cancelled();
        const now = info.clock.now();
        const output = replaceStaged(value, new Map());
        const encoded = encodeOutput(output);
        const done = await env.store.completeTaskRun(fence.taskId, {
          state: 'succeeded', finishedAt: now, durationMs: now - info.t0, output: encoded.json, outputKind: encoded.kind, logs: info.logs,
          cacheKey: info.cacheKey, cachedFrom: info.cachedFrom, error: null, errorStack: null, errorHint: null,
        }, { attempt: fence.attempt, leaseOwner: fence.owner, runId: run.id });
        if (!done.updated) throw refused(await env.store.getRun(run.id));
        const runFinished = done.openTask ? null : await env.store.transaction((tx) => finishRunIfDone(tx, run.id, now, { probed: done.openTask === false }));
        return { kind: 'committed' as const, output, runFinished, queued: [] as QueuedTask[], next: undefined, freed: [] as string[], registeredText: '' };
      }
      return await env.store.transaction(async (tx) => {
        const now = info.clock.now();
        // No run lock: commits of one run's steps on many workers would queue on it (one run row). The
        // fenced update checks the run has no cancel request; a cancel that commits after it orders
        // after this commit, and finishRunIfDone sees both.
        if (info.signal?.aborted) throw cancelled();
        const map = new Map<unknown, DatasetRef | ModelRef>();
        const registered = await catalog.registerIn(tx, pending.datasets);
        for (const [s, ref] of registered.refs) map.set(s, ref);
        for (const s of registered.skipped) info.logs.push(`not registered: ${s.staged.name} (${s.reason})`);
        for (const m of pending.models) map.set(m, await registry.registerIn(tx, m));
        for (const a of pending.aliases) {
          const version = typeof a.version === 'number' ? a.version : (map.get(a.version) as ModelRef | undefined)?.version;
          if (version === undefined) throw new SluiceError(`Alias "${a.alias}" of model "${a.name}" points at a model this step did not register`, { context: { step: step.name } });
          await tx.setModelAlias(a.name, a.alias, version, a.note);
        }
        const registeredText = [...map.values()].map((r) => `${r.name} v${r.version}`).join(', ');
        const output = replaceStaged(value, map);
        const encoded = encodeOutput(output);
        const done = await tx.completeTaskRun(fence.taskId, {
          state: 'succeeded', finishedAt: now, durationMs: now - info.t0, output: encoded.json, outputKind: encoded.kind, logs: info.logs,
          cacheKey: info.cacheKey, cachedFrom: info.cachedFrom, error: null, errorStack: null, errorHint: null,
        }, { attempt: fence.attempt, leaseOwner: fence.owner, runId: run.id });
        if (!done.updated) throw refused(await tx.getRun(run.id));
        await pauseForTest(step.name);
        const queued = await queueReadyDependents(tx, env.transport, graph, run.id, step.name, jobPriority(run));
        // An unfinished task found (and held) above will be finished by a later transaction.
        const runFinished = done.openTask ? null : await finishRunIfDone(tx, run.id, now, { probed: done.openTask === false });
        // The task this process runs next, claimed here rather than in a transaction of its own.
        let next: Next | undefined;
        let pick = info.nextTask?.(queued);
        // PostgreSQL: a row another commit holds (its look for unfinished tasks) is left to the ordinary claim, not waited for.
        if (pick && tx.dialect === 'postgres' && (await tx.execute('select id from task_runs where id = $1 for update skip locked', [pick.taskRunId])).length === 0) pick = undefined;
        if (pick) {
          const task = await tx.claimTaskRun(pick.taskRunId, pick.attempt, { owner: env.workerId, now, leaseExpiresAt: now + info.leaseMs });
          if (task) next = { job: pick, task };
        }
        return { kind: 'committed' as const, output, runFinished, queued, next, freed: registered.freed, registeredText };
      });
    } catch (err) {
      // A retry after a transient error: the earlier try may have committed before the connection broke.
      if (tries > 1 && err instanceof LostLease) {
        const t = await env.store.getTaskRun(fence.taskId);
        if (t && t.state === 'succeeded' && t.attempt === fence.attempt) {
          return { kind: 'committed' as const, output: await readOutput(t, undefined, catalog, registry, `step "${step.name}"`), runFinished: (await env.store.getRun(run.id))?.state ?? null, queued: [], next: undefined, freed: [], registeredText: '' };
        }
      }
      throw err;
    }
  }).catch((err: unknown) => {
    if (err instanceof LostLease) return { kind: 'lost' as const, reason: err.message };
    throw err;
  });
  if (result.kind === 'lost') {
    await unpin(env, pending);
    return result;
  }
  const handOver = result.next ? result.queued.filter((q) => q !== result.next!.job) : result.queued;
  if (handOver.length > 0) env.transport.afterCommit?.(handOver);
  env.logger?.debug(`run ${run.id}: step ${step.name} ${result.registeredText ? `registered ${result.registeredText}` : 'committed'}`);
  await catalog.deleteUnreferenced(result.freed).catch(() => {});
  return {
    kind: 'committed', output: result.output, runFinished: result.runFinished === 'succeeded' || result.runFinished === 'failed' || result.runFinished === 'cancelled' ? result.runFinished : null,
    ...(result.next ? { next: result.next } : {}),
  };
}

class LostLease extends Error {}

async function readOutput(row: TaskRunRecord, memory: Map<string, unknown> | undefined, catalog: DatasetCatalog, registry: ModelRegistry, where: string): Promise<unknown> {
  if (memory?.has(row.step)) return memory.get(row.step);
  if (row.outputKind === 'value') return decodeOutput(row.output, catalog, registry, where);
  throw new SluiceError(`The output of ${where} was not stored (it is not JSON, datasets or models: ${JSON.stringify(row.output).slice(0, 80)}), so this process cannot read it`, {
    code: 'OUTPUT_NOT_STORED', context: { task: row.id },
    hint: 'Return JSON values, datasets or models from steps whose output other processes read; `sluice runs retry` reruns such a step with its consumers.',
  });
}

/** The step cache key: the step's code, the run's params and partition, and its inputs' outputs (dataset and model versions). */
export function stepCacheKey(step: StepNode, run: RunRecord, inputs: readonly TaskRunRecord[]): string {
  const parts: Json = {
    code: step.run.toString(), step: step.name, params: run.params, partition: run.partition,
    inputs: inputs.map((t) => (t.outputKind === 'value' ? t.output : `task:${t.id}`)),
  };
  return `step:${sha256(JSON.stringify(parts))}`;
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

function stagedIds(p: PendingOutputs): string[] {
  return [...p.datasets.map((d) => d.id), ...p.models.map((m) => m.id)];
}

async function unpin(env: TaskEnv, p: PendingOutputs): Promise<void> {
  const ids = stagedIds(p);
  if (ids.length === 0) return;
  await env.store.transaction(async (tx: MetadataTx) => { for (const id of ids) await tx.unpinArtifacts(id); }).catch(() => {});
}

/** Definition errors and stale pipeline files do not get better by retrying. */
function isPermanent(error: Error): boolean {
  return error instanceof SluiceError && (error.code === 'PIPELINE_DEFINITION' || error.code === 'PIPELINE_MISMATCH' || error.code === 'INPUT_NOT_READY');
}

/** Resolves like `p`, or rejects with the signal's reason as soon as it fires (the step may ignore it). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) { p.catch(() => {}); return Promise.reject(reasonOf(signal)); }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { p.catch(() => {}); reject(reasonOf(signal)); };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledError(String(signal.reason ?? 'cancelled'));
}

/** Test hook: SLUICE_TEST_PAUSE_IN_COMMIT=<step> holds the commit transaction open, so a test can SIGKILL the process there. */
async function pauseForTest(step: string): Promise<void> {
  const wanted = process.env.SLUICE_TEST_PAUSE_IN_COMMIT;
  if (!wanted || wanted !== step) return;
  process.stderr.write(`SLUICE_TEST_PAUSED_IN_COMMIT ${step}\n`);
  await delay(600_000);
}
