/**
 * Backfills: one run per partition of a range, through an Executor.
 *
 * - Planned once: the backfill and one row per partition are written in one transaction (a lazy key
 *   sequence inserted in chunks), so thousands of partitions cost one plan, not one query each.
 * - Driven as a sliding window: as soon as one run ends the next partition starts (never "wait for the
 *   batch"), at most `parallel` at once; a pipeline whose partitions depend on the previous one runs
 *   them one at a time, in order, and stops at the first that does not succeed.
 * - Only its own runs: every run is submitted with trigger `backfill`, the backfill's id and the
 *   key `backfill:<id>:<partition>` (`...:<attempt>` for later attempts), for a partition inside the
 *   range; it never records schedule occurrences, so the scheduler never sees them.
 * - Resumable: running it again over the same pipeline, range and params resumes the same backfill:
 *   partitions whose run succeeded are kept, runs still in flight are waited for, and only failed,
 *   cancelled or never-started partitions get a new run.
 * - Complete only when every partition's run is recorded as succeeded in the metadata store.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { SluiceError, errorMessage } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { BackfillPartitionRecord, BackfillRecord, BackfillState, Json, MetadataStore, RunRecord } from '../store/types.ts';
import type { Executor } from './executor-types.ts';
import { partitionRange, partitionStart } from './partitions.ts';
import { reap } from './reaper.ts';
import { resolveParams } from './pipeline.ts';
import type { ProjectPipeline } from './project.ts';

export interface BackfillOptions {
  store: MetadataStore;
  executor: Pick<Executor, 'submit' | 'wait' | 'cancel'>;
  pipeline: ProjectPipeline;
  from: string;
  to: string;
  /** Runs at once for independent partitions; default 2. Ignored (1) when partitions depend on the previous one. */
  parallel?: number;
  params?: Record<string, string>;
  /** Start a new backfill even if one over this range exists (default: resume it). */
  fresh?: boolean;
  signal?: AbortSignal;
  clock?: Clock;
  onEvent?: (event: BackfillEvent) => void;
}

export type BackfillEvent =
  | { type: 'plan'; backfill: BackfillRecord; resumed: boolean; done: number; toRun: number }
  | { type: 'start'; partition: string; runId: string; attempt: number }
  | { type: 'end'; partition: string; runId: string; state: RunRecord['state']; durationMs: number | null; error: string | null; progress: BackfillProgress }
  | { type: 'note'; message: string };

export interface BackfillProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
  pending: number;
}

export interface BackfillResult {
  backfill: BackfillRecord;
  progress: BackfillProgress;
}

export const DEFAULT_BACKFILL_PARALLEL = 2;
const PAGE = 500;

/** The idempotency key of a backfill partition's run (attempt 1 has no suffix). */
export function backfillRunKey(id: string, partition: string, attempt: number): string {
  return attempt <= 1 ? `backfill:${id}:${partition}` : `backfill:${id}:${partition}:${attempt}`;
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { store, executor, pipeline } = options;
  const clock = options.clock ?? systemClock;
  const emit = options.onEvent ?? (() => {});
  const graph = pipeline.graph;
  const def = graph.partitions;
  if (!def) {
    throw new SluiceError(`Pipeline "${graph.name}" declares no partitions, so there is nothing to backfill`, {
      code: 'BACKFILL', hint: "Declare them in the pipeline file, e.g. pipeline('name', { partitions: monthly({ start: '2001-01' }) }).",
    });
  }
  const range = partitionRange(def, options.from, options.to, graph.name);
  const params = resolveParams(graph, options.params ?? {});
  const inOrder = def.dependsOnPrevious;
  const asked = options.parallel ?? DEFAULT_BACKFILL_PARALLEL;
  if (!Number.isInteger(asked) || asked < 1) throw new SluiceError(`--parallel must be a positive integer, got ${String(options.parallel)}`, { code: 'USAGE' });
  const parallel = inOrder ? 1 : asked;
  if (inOrder && asked > 1 && options.parallel !== undefined) emit({ type: 'note', message: `partitions of "${graph.name}" depend on the previous one: running them one at a time, in order` });

  const existing = options.fresh ? undefined : await store.schedules.findBackfill(graph.name, range.first, range.last, params as Record<string, Json>);
  let backfill: BackfillRecord;
  if (existing) {
    backfill = existing;
    if (existing.parallel !== parallel || existing.state !== 'running') {
      await store.schedules.updateBackfill(existing.id, { parallel, state: 'running', finishedAt: null, error: null }, clock.now());
      backfill = { ...existing, parallel, state: 'running', finishedAt: null, error: null };
    }
  } else {
    backfill = await store.schedules.createBackfill({ id: newId('bf'), pipeline: graph.name, file: pipeline.file, from: range.first, to: range.last, parallel, inOrder, params: params as Record<string, Json> }, range, clock.now());
  }
  const id = backfill.id;

  // Reconcile what a previous driver left: its runs may have finished (or still be running) since.
  const counts = { succeeded: 0, failed: 0, running: 0 };
  /** Partitions whose run a previous driver left in flight: if it does not succeed, it runs again (as any failed partition does on resume). */
  const inherited = new Set<number>();
  let stop = false;
  const inFlight = new Map<number, Promise<{ p: BackfillPartitionRecord; run: RunRecord }>>();
  const waitFor = (p: BackfillPartitionRecord, runId: string, leftBehind = false): void => {
    const done = leftBehind ? waitLeftBehind(store, runId, clock) : executor.wait(runId);
    inFlight.set(p.seq, done.then((run) => ({ p, run })));
    runIds.set(p.seq, runId);
  };
  // Cancelling the backfill cancels its runs in flight; their waits then end with the runs cancelled.
  const runIds = new Map<number, string>();
  const onAbort = (): void => {
    stop = true;
    for (const [seq, runId] of runIds) if (inFlight.has(seq)) void executor.cancel(runId, 'backfill cancelled').catch(() => {});
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  for (const p of await pageAll(store, id, ['submitted', 'failed', 'cancelled'])) {
    const run = p.runId ? await store.getRun(p.runId) : undefined;
    if (run?.state === 'succeeded') {
      await store.schedules.updateBackfillPartition(id, p.seq, { state: 'succeeded' }, clock.now());
    } else if (p.state === 'submitted' && run && (run.state === 'pending' || run.state === 'running')) {
      counts.running++;
      inherited.add(p.seq);
      waitFor(p, run.id, true);
    } else {
      await store.schedules.updateBackfillPartition(id, p.seq, { state: 'pending' }, clock.now());
    }
  }
  const before = await store.schedules.countBackfillPartitions(id);
  counts.succeeded = before.succeeded;
  emit({ type: 'plan', backfill, resumed: existing !== undefined, done: before.succeeded, toRun: before.pending + counts.running });

  const progress = (): BackfillProgress => ({
    total: backfill.partitions, succeeded: counts.succeeded, failed: counts.failed, running: inFlight.size,
    pending: backfill.partitions - counts.succeeded - counts.failed - inFlight.size,
  });

  // The sliding window over pending partitions, read in pages so memory stays flat.
  let afterSeq = -1;
  let page: BackfillPartitionRecord[] = [];
  const nextPending = async (): Promise<BackfillPartitionRecord | undefined> => {
    if (page.length === 0) {
      page = await store.schedules.listBackfillPartitions(id, { states: ['pending'], afterSeq, limit: PAGE });
      if (page.length === 0) return undefined;
      afterSeq = page[page.length - 1]!.seq;
    }
    return page.shift();
  };
  // In order: a partition in flight from a previous driver must finish before the next starts.
  const launch = async (): Promise<void> => {
    while (!stop && !options.signal?.aborted && inFlight.size < parallel) {
      const p = await nextPending();
      if (!p) return;
      const attempt = p.attempts + 1;
      const run = await executor.submit(graph, {
        key: backfillRunKey(id, p.partition, attempt),
        trigger: 'backfill', backfillId: id, partition: p.partition, params,
        logicalDate: def.kind === 'keys' ? null : partitionStart(def, p.partition),
        pipelineFile: pipeline.file,
      });
      await store.schedules.updateBackfillPartition(id, p.seq, { state: 'submitted', runId: run.id, attempts: attempt }, clock.now());
      emit({ type: 'start', partition: p.partition, runId: run.id, attempt });
      waitFor({ ...p, runId: run.id, attempts: attempt, state: 'submitted' }, run.id);
    }
  };

  let error: string | null = null;
  try {
    await launch();
    while (inFlight.size > 0) {
      const { p, run } = await Promise.race(inFlight.values());
      inFlight.delete(p.seq);
      const state = run.state === 'succeeded' ? 'succeeded' : run.state === 'cancelled' ? 'cancelled' : 'failed';
      if (inherited.delete(p.seq) && state !== 'succeeded' && !stop && !options.signal?.aborted) {
        await store.schedules.updateBackfillPartition(id, p.seq, { state: 'pending' }, clock.now());
        emit({ type: 'note', message: `partition ${p.partition}: the run left by the interrupted backfill ended ${run.state}${run.error ? ` (${run.error})` : ''}; running it again` });
        page.unshift({ ...p, state: 'pending' });
        page.sort((a, b) => a.seq - b.seq);
        await launch();
        continue;
      }
      await store.schedules.updateBackfillPartition(id, p.seq, { state }, clock.now());
      if (state === 'succeeded') counts.succeeded++;
      else {
        counts.failed++;
        if (inOrder) stop = true;
      }
      const durationMs = run.finishedAt !== null && run.startedAt !== null ? run.finishedAt - run.startedAt : null;
      emit({ type: 'end', partition: p.partition, runId: run.id, state: run.state, durationMs, error: run.error, progress: progress() });
      await launch();
    }
  } catch (err) {
    error = errorMessage(err);
    for (const [, pending] of inFlight) void pending.catch(() => {});
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // The verdict comes from the store: complete only when every partition's run is recorded succeeded.
    const final = await store.schedules.countBackfillPartitions(id);
    let state: BackfillState;
    if (final.succeeded === backfill.partitions && (await allRunsSucceeded(store, id))) state = 'succeeded';
    else if (options.signal?.aborted || (error === null && final.cancelled > 0 && final.failed === 0)) state = 'cancelled';
    else state = 'failed';
    const firstFailed = state === 'failed' && error === null ? (await store.schedules.listBackfillPartitions(id, { states: ['failed', 'cancelled'], limit: 1 }))[0] : undefined;
    const reason = error ?? (firstFailed ? `partition ${firstFailed.partition} ${firstFailed.state} (run ${firstFailed.runId})${inOrder ? '; later partitions not started (they depend on it)' : ''}` : state === 'failed' ? `${final.pending} partition(s) not run` : null);
    await store.schedules.updateBackfill(id, { state, finishedAt: clock.now(), error: reason }, clock.now());
    backfill = { ...backfill, state, error: reason, finishedAt: clock.now() };
  }
  return { backfill, progress: progress() };
}

/**
 * Waits for a run a previous (maybe dead) driver left in flight. Its owner may be alive (a distributed
 * run, another backfill process) or dead: once its lease has expired the reaper closes it, so this
 * never waits for a run nothing drives.
 */
async function waitLeftBehind(store: MetadataStore, runId: string, clock: Clock): Promise<RunRecord> {
  for (;;) {
    const run = await store.getRun(runId);
    if (!run) throw new SluiceError(`Run ${runId} of the backfill is gone from the metadata store`, { code: 'NOT_FOUND' });
    if (run.state !== 'pending' && run.state !== 'running') return run;
    if (run.owner !== null && run.leaseExpiresAt !== null && run.leaseExpiresAt < clock.now()) await reap(store, { now: clock.now() });
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function pageAll(store: MetadataStore, id: string, states: BackfillPartitionRecord['state'][]): Promise<BackfillPartitionRecord[]> {
  const out: BackfillPartitionRecord[] = [];
  let afterSeq = -1;
  for (;;) {
    const page = await store.schedules.listBackfillPartitions(id, { states, afterSeq, limit: PAGE });
    out.push(...page);
    if (page.length < PAGE) return out;
    afterSeq = page[page.length - 1]!.seq;
  }
}

/** Every partition's latest run is in the store and succeeded (the partition rows are not taken on trust). */
async function allRunsSucceeded(store: MetadataStore, id: string): Promise<boolean> {
  const runs = new Map((await store.listRunsByBackfill(id)).map((r) => [r.id, r]));
  let afterSeq = -1;
  for (;;) {
    const page = await store.schedules.listBackfillPartitions(id, { afterSeq, limit: PAGE });
    for (const p of page) if (!p.runId || runs.get(p.runId)?.state !== 'succeeded') return false;
    if (page.length < PAGE) return true;
    afterSeq = page[page.length - 1]!.seq;
  }
}

/** A backfill's progress as recorded (for `sluice backfill --status`): partition counts by state. */
export async function backfillStatus(store: MetadataStore, id: string): Promise<{ backfill: BackfillRecord; counts: Record<BackfillPartitionRecord['state'], number> } | undefined> {
  const backfill = await store.schedules.getBackfill(id);
  if (!backfill) return undefined;
  return { backfill, counts: await store.schedules.countBackfillPartitions(id) };
}
