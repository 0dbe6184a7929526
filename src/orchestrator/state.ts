/**
 * The run state machine, as transactions on the metadata store. Every function here runs inside the
 * caller's MetadataTx, so a state change and the queueing it causes commit together.
 *
 *   run:  running -> succeeded | failed | cancelled        (retry: failed | cancelled -> running)
 *   task: pending -> queued -> running -> succeeded | failed | cancelled
 *         pending | queued -> skipped (an input did not succeed) | cancelled (the run was cancelled)
 *         running -> queued (attempt + 1, not before the backoff) when a failed attempt has retries left
 */
import { checkPartition, logicalDateOf } from './partitions.ts';
import { CancelledError, SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { MetadataStore, MetadataTx, NewTaskRun, RunRecord, RunState, TaskRunRecord, TaskState } from '../store/types.ts';
import type { QueuedTask, SubmitOptions, TaskTransport } from './executor-types.ts';
import type { PipelineGraph, StepNode } from './graph.ts';
import { resolveParams } from './pipeline.ts';

const UNFINISHED_TASK: readonly TaskState[] = ['pending', 'queued', 'running'];
const DEFAULT_MAX_DELAY_MS = 5 * 60_000;

/** Exponential backoff with full jitter between half and all of the delay: base * 2^(attempt-1), capped. */
export function backoffMs(baseMs: number, attempt: number, maxMs = DEFAULT_MAX_DELAY_MS, random: () => number = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}

/**
 * The queue priority of a run's tasks (graphile-worker takes lower numbers first; 0 by default): a
 * backfill's tasks go ahead of scheduled and manual ones, so a backfill never waits behind a queue of
 * scheduled work (a chain of steps used to wait that whole queue again at every step). The backfill's
 * `--parallel` bounds how much of the workers it takes.
 */
export const BACKFILL_PRIORITY = -1;

export function jobPriority(run: { trigger: RunRecord['trigger'] | undefined }): number {
  return run.trigger === 'backfill' ? BACKFILL_PRIORITY : 0;
}

export interface SubmitResult {
  run: RunRecord;
  /** False when a run with the same key already existed (nothing was created). */
  created: boolean;
  queued: QueuedTask[];
}

/**
 * Creates the run and all its task runs in one transaction, idempotent on `options.key`, and queues
 * the root steps (handing them to the transport inside the same transaction).
 */
export async function submitRun(
  store: MetadataStore, transport: TaskTransport, graph: PipelineGraph, options: SubmitOptions,
  placement: { executor: string; owner: string | null; leaseMs: number; now: number },
): Promise<SubmitResult> {
  const params = resolveParams(graph, options.params ?? {});
  // A declared partitioning: the partition must be one of it; its window's start is the default logical date.
  if (graph.partitions && options.partition != null) checkPartition(graph.partitions, options.partition, graph.name);
  const logicalDate = options.logicalDate ?? logicalDateOf(graph.partitions, options.partition ?? null);
  const { now } = placement;
  try {
    return await store.transaction(async (tx) => {
      if (options.key) {
        const existing = await tx.findRunByKey(graph.name, options.key);
        if (existing) return { run: existing, created: false, queued: [] };
      }
      const runId = options.runId ?? newId('run', now);
      await tx.createRun({
        id: runId, pipeline: graph.name, params, partition: options.partition ?? null, state: 'running', createdAt: now,
        logicalDate, trigger: options.trigger ?? 'manual', key: options.key ?? null,
        backfillId: options.backfillId ?? null, executor: placement.executor, pipelineFile: options.pipelineFile ?? null,
        owner: placement.owner, leaseExpiresAt: placement.owner ? now + placement.leaseMs : null, noCache: options.noCache === true,
      });
      await tx.updateRun(runId, { startedAt: now });
      const tasks: NewTaskRun[] = graph.order.map((name) => {
        const step = stepOf(graph, name);
        return {
          id: newId('task', now), runId, step: name, state: step.inputs.length === 0 ? 'queued' : 'pending',
          maxAttempts: step.retry.retries + 1, retryDelayMs: step.retry.delayMs, timeoutMs: step.timeoutMs ?? null,
        };
      });
      await tx.createTaskRuns(tasks);
      const priority = jobPriority({ trigger: options.trigger });
      const queued = tasks.filter((t) => t.state === 'queued').map((t) => ({ taskRunId: t.id, runId, attempt: 1, priority }));
      if (queued.length > 0) await transport.enqueue(tx, queued);
      if (tasks.length === 0) await finishRunIfDone(tx, runId, now);
      return { run: (await tx.getRun(runId))!, created: true, queued };
    });
  } catch (err) {
    // Two submits with one key at the same moment: the loser's insert hits the unique index.
    if (options.key && err instanceof SluiceError && err.code === 'METADATA_CONFLICT') {
      const existing = await store.findRunByKey(graph.name, options.key);
      if (existing) return { run: existing, created: false, queued: [] };
    }
    throw err;
  }
}

export function stepOf(graph: PipelineGraph, name: string): StepNode {
  let byName = stepsCache.get(graph);
  if (byName === undefined) {
    byName = new Map(graph.steps.map((s) => [s.name, s]));
    stepsCache.set(graph, byName);
  }
  const step = byName.get(name);
  if (!step) {
    throw new SluiceError(`Pipeline "${graph.name}" has no step "${name}" (the run was made from a different version of the pipeline)`, {
      code: 'PIPELINE_MISMATCH', context: { pipeline: graph.name, step: name },
      hint: 'Run the pipeline file the run was created from, or start a new run.',
    });
  }
  return step;
}
/** Steps by name, per graph (graphs are frozen): a 1,000-step graph was searched step by step at every lookup. */
const stepsCache = new WeakMap<PipelineGraph, Map<string, StepNode>>();

/** Direct dependents of each step. */
export function dependentsOf(graph: PipelineGraph): Map<string, string[]> {
  const cached = dependentsCache.get(graph);
  if (cached) return cached;
  const out = new Map<string, string[]>(graph.steps.map((s) => [s.name, []]));
  for (const s of graph.steps) for (const i of s.inputs) out.get(i)!.push(s.name);
  dependentsCache.set(graph, out);
  return out;
}
const dependentsCache = new WeakMap<PipelineGraph, Map<string, string[]>>();

/** Each step's place in the graph's topological order. */
function orderOf(graph: PipelineGraph): Map<string, number> {
  let order = orderCache.get(graph);
  if (order === undefined) {
    order = new Map(graph.order.map((name, i) => [name, i]));
    orderCache.set(graph, order);
  }
  return order;
}
const orderCache = new WeakMap<PipelineGraph, Map<string, number>>();

/** Every step downstream of `step`. */
export function descendantsOf(graph: PipelineGraph, step: string): string[] {
  const deps = dependentsOf(graph);
  const seen = new Set<string>();
  const stack = [...(deps.get(step) ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(deps.get(n) ?? []));
  }
  return [...seen];
}

/**
 * After `step` succeeded (in this transaction): queues each dependent whose inputs have now all
 * succeeded, in one statement for all of them (compare-and-set pending -> queued, so two committers
 * never queue one task twice), and hands them to the transport. Only dependents with other inputs
 * than `step` need those read first.
 */
export async function queueReadyDependents(tx: MetadataTx, transport: TaskTransport, graph: PipelineGraph, runId: string, step: string, priority = 0): Promise<QueuedTask[]> {
  const dependents = dependentsOf(graph).get(step) ?? [];
  if (dependents.length === 0) return [];
  const ready: string[] = [];
  const waiting: StepNode[] = [];
  for (const d of dependents) {
    const node = stepOf(graph, d);
    if (node.inputs.every((i) => i === step)) ready.push(d);
    else waiting.push(node);
  }
  if (waiting.length > 0) {
    // PostgreSQL (READ COMMITTED): the commits of two inputs of one dependent, at the same moment, would
    // each see the other input still running and neither would queue it. Locking the dependent's row
    // first orders them: the second reads its inputs after the first committed.
    if (tx.dialect === 'postgres') {
      await tx.execute(`select id from task_runs where run_id = $1 and step = any($2::text[]) order by id for update`, [runId, waiting.map((n) => n.name)]);
    }
    const others = new Set<string>();
    for (const node of waiting) for (const i of node.inputs) if (i !== step) others.add(i);
    const rows = new Map((await tx.listTaskRunsBySteps(runId, [...others])).map((t) => [t.step, t]));
    for (const node of waiting) if (node.inputs.every((i) => i === step || rows.get(i)?.state === 'succeeded')) ready.push(node.name);
  }
  if (ready.length === 0) return [];
  const order = orderOf(graph);
  const queued: QueuedTask[] = (await tx.queuePendingTaskRuns(runId, ready))
    .sort((a, b) => order.get(a.step)! - order.get(b.step)!)
    .map((t) => ({ taskRunId: t.id, runId, attempt: t.attempt, priority }));
  if (queued.length > 0) await transport.enqueue(tx, queued);
  return queued;
}

/** Marks the unfinished descendants of a step that did not succeed as skipped. */
export async function skipDescendants(tx: MetadataTx, graph: PipelineGraph, runId: string, step: string, state: 'failed' | 'cancelled' | 'skipped', now: number): Promise<void> {
  const steps = descendantsOf(graph, step);
  if (steps.length === 0) return;
  const cancelled = state === 'cancelled';
  await tx.setTaskStates(runId, ['pending', 'queued'], {
    state: cancelled ? 'cancelled' : 'skipped', finishedAt: now,
    error: cancelled ? `the run was cancelled before this step started` : `an upstream step (${step}) did not succeed`,
  }, steps);
}

/**
 * Finishes the run when none of its task runs is pending, queued or running: cancelled if a cancel was
 * requested (or a step was cancelled), failed if a step failed or was skipped, else succeeded. Returns
 * the final state, or null while work is left.
 */
export async function finishRunIfDone(tx: MetadataTx, runId: string, now: number, options: { runLocked?: boolean; probed?: boolean } = {}): Promise<RunState | null> {
  // PostgreSQL (READ COMMITTED): two commits of one run at once would each see the other's task as
  // unfinished, and neither would finish the run. So: an unfinished task that no other transaction is
  // changing (locked here until commit) will be finished by a later transaction, which sees this one:
  // nothing to do, and no lock on the run (commits of a run's steps on many workers do not queue on
  // it). Only when every unfinished task is being changed elsewhere (the run's last steps) does the
  // run's row lock order the committers, so that the last one looks after the others. (SQLite write
  // transactions are serialized already; a caller that holds the run's lock says so.)
  // `probed`: the caller looked already (MetadataTx.completeTaskRun) and found none.
  if (tx.dialect === 'postgres' && !options.runLocked) {
    if (!options.probed) {
      const open = await tx.execute(`select id from task_runs where run_id = $1 and state in ('pending', 'queued', 'running') limit 1 for update skip locked`, [runId]);
      if (open.length > 0) return null;
    }
    await tx.getRun(runId, { lock: true });
  }
  if (await tx.hasTaskRuns(runId, UNFINISHED_TASK)) return null;
  const run = await tx.getRun(runId);
  if (!run || run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled') return null;
  const failed = await tx.countTaskRuns(runId, ['failed', 'skipped']);
  const cancelled = run.cancelRequestedAt !== null || (await tx.countTaskRuns(runId, ['cancelled'])) > 0;
  const state: RunState = cancelled ? 'cancelled' : failed > 0 ? 'failed' : 'succeeded';
  let error: string | null = null;
  let errorStack: string | null = null;
  if (state === 'cancelled') error = run.cancelReason ? `the run was cancelled: ${run.cancelReason}` : 'the run was cancelled';
  if (state === 'failed') {
    const first = (await tx.listTaskRuns(runId)).find((t) => t.state === 'failed');
    error = first ? `Step "${first.step}" of pipeline "${run.pipeline}" failed (run ${runId}): ${first.error ?? 'unknown error'}` : 'a step did not succeed';
    errorStack = first?.errorStack ?? null;
  }
  const ok = await tx.updateRun(runId, { state, finishedAt: now, error, errorStack, owner: null, leaseExpiresAt: null }, { state: ['pending', 'running'] });
  return ok ? state : null;
}

/**
 * The abort reason given to a cancelled run's steps: it carries the cancel's reason in `context.reason`,
 * so that each step's record says why it stopped, not only that it did.
 */
export function runCancelledError(runId: string, reason: string | null | undefined): CancelledError {
  const why = reason ?? 'cancel requested';
  return new CancelledError(`Run ${runId} was cancelled: ${why}`, { context: { run: runId, reason: why } });
}

/** The reason in a run's abort (see `runCancelledError`), if the abort came from a cancel. */
export function cancelReasonOf(abortReason: unknown): string | undefined {
  const why = abortReason instanceof CancelledError ? abortReason.context['reason'] : undefined;
  return typeof why === 'string' ? why : undefined;
}

/**
 * Requests cancellation: records it on the run (so processes elsewhere see it), cancels every task that
 * has not started, and finishes the run if nothing is running. Running attempts end when their owner
 * sees the request (their commit is refused meanwhile).
 */
export async function requestCancel(store: MetadataStore, runId: string, reason: string, now: number): Promise<{ run: RunRecord; finished: RunState | null }> {
  return store.transaction(async (tx) => {
    const run = await tx.getRun(runId, { lock: true });
    if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
    if (run.state !== 'pending' && run.state !== 'running') return { run, finished: null };
    if (run.cancelRequestedAt === null) await tx.updateRun(runId, { cancelRequestedAt: now, cancelReason: reason }, { state: ['pending', 'running'] });
    await tx.setTaskStates(runId, ['pending', 'queued'], { state: 'cancelled', finishedAt: now, error: `the run was cancelled before this step started (${reason})` });
    const finished = await finishRunIfDone(tx, runId, now);
    return { run: (await tx.getRun(runId))!, finished };
  });
}

/**
 * Resumes a finished run: its failed, cancelled and skipped steps go back to pending (attempt + 1, a
 * fresh retry budget), and so do succeeded steps whose output could not be stored faithfully but that
 * a rerun step needs as input; succeeded outputs are reused. The run is running again, owned by
 * `owner` (or by the queue when null), and its ready steps are queued.
 */
export async function resumeRun(
  store: MetadataStore, transport: TaskTransport, graph: PipelineGraph, runId: string,
  placement: { owner: string | null; leaseMs: number; now: number; executor: string },
): Promise<{ run: RunRecord; queued: QueuedTask[] }> {
  return store.transaction(async (tx) => {
    const run = await tx.getRun(runId, { lock: true });
    if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
    if (run.state === 'running' || run.state === 'pending') {
      throw new SluiceError(`Run ${runId} is still ${run.state}${run.owner ? ` (driven by ${run.owner})` : ''}`, {
        code: 'RUN_ACTIVE', context: { run: runId },
        hint: 'Wait for it, or cancel it with `sluice runs cancel <id>`; a run whose process died is closed by the reaper within 30 seconds.',
      });
    }
    if (run.state === 'succeeded') return { run, queued: [] };
    const tasks = await tx.listTaskRuns(runId);
    const byStep = new Map(tasks.map((t) => [t.step, t]));
    const missing = graph.order.filter((name) => !byStep.has(name));
    if (missing.length > 0) {
      throw new SluiceError(`Run ${runId} has no record of step(s) ${missing.join(', ')}: the pipeline changed since the run was made`, {
        code: 'PIPELINE_MISMATCH', context: { run: runId }, hint: 'Start a new run of the pipeline instead of retrying this one.',
      });
    }
    const rerun = new Set(tasks.filter((t) => t.state === 'failed' || t.state === 'cancelled' || t.state === 'skipped').map((t) => t.step));
    // A rerun step needs its inputs' outputs: those stored only as a summary are recomputed too.
    let grew = true;
    while (grew) {
      grew = false;
      for (const name of [...rerun]) {
        for (const input of stepOf(graph, name).inputs) {
          const t = byStep.get(input);
          if (t && !rerun.has(input) && t.state === 'succeeded' && t.outputKind !== 'value') { rerun.add(input); grew = true; }
        }
      }
    }
    for (const name of rerun) {
      const t = byStep.get(name)!;
      const step = stepOf(graph, name);
      const attempt = t.startedAt === null ? t.attempt : t.attempt + 1;
      await tx.updateTaskRun(t.id, {
        state: 'pending', attempt, maxAttempts: attempt + step.retry.retries, retryDelayMs: step.retry.delayMs, timeoutMs: step.timeoutMs ?? null,
        error: null, errorStack: null, errorHint: null, finishedAt: null, durationMs: null, leaseOwner: null, leaseExpiresAt: null, notBefore: null,
        output: null, outputKind: null, cachedFrom: null,
      });
    }
    await tx.updateRun(runId, {
      state: 'running', finishedAt: null, error: null, errorStack: null, cancelRequestedAt: null, cancelReason: null,
      owner: placement.owner, leaseExpiresAt: placement.owner ? placement.now + placement.leaseMs : null,
    });
    const queued: QueuedTask[] = [];
    for (const name of graph.order) {
      if (!rerun.has(name)) continue;
      const step = stepOf(graph, name);
      if (step.inputs.every((i) => !rerun.has(i) && byStep.get(i)?.state === 'succeeded')) {
        const t = byStep.get(name)!;
        const attempt = t.startedAt === null ? t.attempt : t.attempt + 1;
        await tx.updateTaskRun(t.id, { state: 'queued' }, { state: ['pending'] });
        queued.push({ taskRunId: t.id, runId, attempt, priority: jobPriority(run) });
      }
    }
    if (queued.length > 0) await transport.enqueue(tx, queued);
    await finishRunIfDone(tx, runId, placement.now);
    return { run: (await tx.getRun(runId))!, queued };
  });
}

export function isTerminalRun(state: RunState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

export type { TaskRunRecord };
