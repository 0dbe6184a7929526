/**
 * The local executor (the embedded default) and the inline executor (tests): one process drives the
 * run, steps in parallel up to `concurrency`, every state change durable in the metadata store.
 *
 * The process owns the runs it drives (runs.owner = its worker id) and renews their leases and their
 * running tasks' leases with a heartbeat, and only theirs: a run it gave up on (its commit failed through
 * a store outage) is left to the reaper though the process lives. If the process dies, another one's
 * reaper closes the run within the lease (15 s by default) plus one reaper period, and `sluice runs
 * retry` resumes it. Queued tasks reach the pool through an in-process transport, after the
 * transaction that queued them commits. A cancel request (from this process or any other, seen by the
 * heartbeat) fires the running steps' signals, with the cancel's reason.
 *
 * `inline` differs only in that `submit` and `retry` return when the run is over.
 */
import { availableParallelism, hostname } from 'node:os';
import { systemClock, type Clock } from '../core/clock.ts';
import { CancelledError, SluiceError, errorMessage } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord, TaskRunRecord } from '../store/types.ts';
import { DEFAULT_LEASE_MS, type Executor, type QueuedTask, type RunEvent, type SubmitOptions, type TaskEnv, type TaskTransport, type WaitOptions } from './executor-types.ts';
import type { PipelineGraph } from './graph.ts';
import { reap } from './reaper.ts';
import { isTerminalRun, requestCancel, resumeRun, runCancelledError, submitRun } from './state.ts';
import { runTaskAttempt, withStoreRetry } from './task.ts';

export interface LocalExecutorOptions {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  /** 'local' (default) or 'inline' (submit and retry return when the run is over). */
  kind?: 'local' | 'inline';
  /** Steps at once; default the number of cores. */
  concurrency?: number;
  /** Lease of runs and tasks; default SLUICE_LEASE_MS or 15 s. */
  leaseMs?: number;
  /** Heartbeat (and cancel-request poll) period; default min(1 s, lease / 3). */
  heartbeatMs?: number;
  /** Reaper period; default lease / 3. */
  reapEveryMs?: number;
  /** Loads the graph of a run this process did not submit (retry of another process's run). */
  resolveGraph?: (run: RunRecord) => Promise<PipelineGraph>;
  /** Keep every step's in-memory output after the run ends (see `outputs`). */
  keepOutputs?: boolean;
  logger?: Logger;
  onEvent?: (event: RunEvent) => void;
  clock?: Clock;
  workerId?: string;
}

interface Driven {
  graph: PipelineGraph;
  run: RunRecord;
  controller: AbortController;
  started: number;
  waiters: { resolve: (r: RunRecord) => void; reject: (e: Error) => void }[];
}

export class LocalExecutor implements Executor {
  readonly kind: 'local' | 'inline';
  readonly workerId: string;
  readonly #o: LocalExecutorOptions;
  readonly #env: TaskEnv;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  readonly #runs = new Map<string, Driven>();
  readonly #memory = new Map<string, Map<string, unknown>>();
  /** The first step error of each run this process drove (with its class, code and hint). */
  readonly #errors = new Map<string, { step: string; error: Error }>();
  readonly #ready: QueuedTask[] = [];
  readonly #delayed = new Set<NodeJS.Timeout>();
  readonly #active = new Set<Promise<void>>();
  #running = 0;
  #registered: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #reaper: NodeJS.Timeout | undefined;
  #closed = false;

  readonly transport: TaskTransport = {
    // Durable state is the task row (queued); delivery in this process happens after the commit.
    enqueue: async () => {},
    afterCommit: (tasks) => this.#accept(tasks),
  };

  constructor(options: LocalExecutorOptions) {
    this.#o = options;
    this.kind = options.kind ?? 'local';
    this.workerId = options.workerId ?? newId('wrk');
    this.#clock = options.clock ?? systemClock;
    this.#leaseMs = options.leaseMs ?? envNumber('SLUICE_LEASE_MS') ?? DEFAULT_LEASE_MS;
    this.#concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.#env = {
      store: options.store, artifacts: options.artifacts, engine: options.engine, transport: this.transport, workerId: this.workerId,
      resolveGraph: (run) => this.#graphOf(run), leaseMs: this.#leaseMs, logger: options.logger ?? silentLogger,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}), clock: this.#clock,
    };
  }

  async submit(graph: PipelineGraph, options: SubmitOptions = {}): Promise<RunRecord> {
    this.#checkOpen();
    await this.#start();
    const now = this.#clock.now();
    const { run, created, queued } = await submitRun(this.#o.store, this.transport, graph, options, { executor: this.kind, owner: this.workerId, leaseMs: this.#leaseMs, now });
    if (!created) return run;
    this.#drive(run, graph, now);
    this.#o.onEvent?.({ type: 'run-start', runId: run.id, pipeline: graph.name, steps: graph.order });
    if (isTerminalRun(run.state)) this.#finish(run.id);
    else this.#accept(queued);
    return this.kind === 'inline' ? this.wait(run.id) : run;
  }

  async wait(runId: string, options: WaitOptions = {}): Promise<RunRecord> {
    const driven = this.#runs.get(runId);
    const done = driven
      ? new Promise<RunRecord>((resolve, reject) => driven.waiters.push({ resolve, reject }))
      : this.#poll(runId);
    return withWaitLimits(done, runId, options);
  }

  async retry(runId: string, options: { graph?: PipelineGraph } = {}): Promise<RunRecord> {
    this.#checkOpen();
    await this.#start();
    let run = await this.#o.store.getRun(runId);
    if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
    // A run whose process died is closed first (if its lease has run out), then resumed.
    if ((run.state === 'running' || run.state === 'pending') && run.owner !== null && run.leaseExpiresAt !== null && run.leaseExpiresAt < this.#clock.now()) {
      await reap(this.#o.store, { now: this.#clock.now() });
      run = (await this.#o.store.getRun(runId))!;
    }
    const graph = options.graph ?? (await this.#graphOf(run));
    const now = this.#clock.now();
    const resumed = await resumeRun(this.#o.store, this.transport, graph, runId, { owner: this.workerId, leaseMs: this.#leaseMs, now, executor: this.kind });
    if (isTerminalRun(resumed.run.state)) return resumed.run;
    this.#drive(resumed.run, graph, now);
    this.#o.onEvent?.({ type: 'run-start', runId, pipeline: graph.name, steps: graph.order });
    this.#accept(resumed.queued);
    return this.kind === 'inline' ? this.wait(runId) : resumed.run;
  }

  async cancel(runId: string, reason = 'cancel requested'): Promise<void> {
    const { run, finished } = await requestCancel(this.#o.store, runId, reason, this.#clock.now());
    const driven = this.#runs.get(runId);
    if (driven && !driven.controller.signal.aborted) driven.controller.abort(runCancelledError(runId, reason));
    if (finished || isTerminalRun(run.state)) this.#finish(runId);
  }

  /** The in-memory outputs of a run's steps this process ran, by step name (runs driven with keepOutputs). */
  async outputs(runId: string): Promise<Record<string, unknown>> {
    return Object.fromEntries(this.#memory.get(runId) ?? []);
  }

  /** The first step error of a run this process drove, as thrown (kept with keepOutputs). */
  firstError(runId: string): { step: string; error: Error } | undefined {
    return this.#errors.get(runId);
  }

  /** Whether this process is driving the run. */
  drives(runId: string): boolean {
    return this.#runs.has(runId);
  }

  /**
   * Stops: unfinished runs this process drives get their steps' signals fired (they end cancelled),
   * running attempts get up to `graceMs` to record their end, then timers stop and the worker is
   * marked stopped.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [runId, d] of this.#runs) if (!d.controller.signal.aborted) d.controller.abort(runCancelledError(runId, 'the executor closed'));
    this.#ready.length = 0;
    for (const t of this.#delayed) clearTimeout(t);
    this.#delayed.clear();
    if (this.#active.size > 0) {
      // The grace timer is cleared when the steps end first: left running, it held the process open for
      // the whole grace after a clean stop.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#active]), new Promise<void>((r) => { grace = setTimeout(r, graceMs); })]);
      clearTimeout(grace);
    }
    this.#stopTimers();
    if (this.#reaper) clearInterval(this.#reaper);
    this.#reaper = undefined;
    for (const [runId, d] of this.#runs) for (const w of d.waiters) w.reject(new CancelledError(`The executor closed before run ${runId} ended`));
    this.#runs.clear();
    this.#memory.clear();
    if (this.#registered) await this.#o.store.stopWorker(this.workerId).catch(() => {});
  }

  // ---- internals ----------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new SluiceError(`The ${this.kind} executor is closed`, { code: 'EXECUTOR_CLOSED' });
  }

  async #start(): Promise<void> {
    this.#registered ??= (async () => {
      await this.#o.store.registerWorker({ id: this.workerId, host: hostname(), pid: process.pid, kind: this.kind });
      // Close what dead processes left behind before starting anything; then keep reaping while open
      // (unref'd: an idle executor does not keep the process alive by itself).
      await this.#reapOnce();
      if (!this.#closed) {
        this.#reaper = setInterval(() => void this.#reapOnce(), this.#o.reapEveryMs ?? Math.max(100, Math.floor(this.#leaseMs / 3)));
        this.#reaper.unref();
      }
    })();
    await this.#registered;
  }

  #drive(run: RunRecord, graph: PipelineGraph, now: number): void {
    this.#runs.set(run.id, { graph, run, controller: new AbortController(), started: now, waiters: [] });
    if (!this.#memory.has(run.id)) this.#memory.set(run.id, new Map());
    this.#startTimers();
  }

  #accept(tasks: readonly QueuedTask[]): void {
    const now = this.#clock.now();
    for (const task of tasks) {
      if (!this.#runs.has(task.runId)) continue;
      if (task.runAt !== undefined && task.runAt > now) {
        const t = setTimeout(() => { this.#delayed.delete(t); this.#ready.push({ ...task, runAt: undefined as never }); this.#pump(); }, task.runAt - now);
        this.#delayed.add(t);
      } else {
        this.#ready.push(task);
      }
    }
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#concurrency && this.#ready.length > 0) this.#launch(this.#ready.shift()!);
  }

  /** Runs one attempt in a slot; `claimed`: the commit before it claimed it for this process already. */
  #launch(job: QueuedTask, claimed?: TaskRunRecord): void {
    const driven = this.#runs.get(job.runId);
    if (!driven) return;
    this.#running++;
    const p = runTaskAttempt(this.#env, job, {
      graph: driven.graph, run: driven.run, signal: driven.controller.signal, memory: this.#memory.get(job.runId)!,
      nextTask: (queued) => this.#peekNext(queued), ...(claimed ? { claimed } : {}),
    })
      .then((result) => {
        if (result.kind === 'not-yet') this.#accept([{ ...job, runAt: result.runAt }]);
        if (result.kind === 'failed' && !result.willRetry && !this.#errors.has(job.runId)) this.#errors.set(job.runId, { step: result.step ?? '?', error: result.error });
        if (result.runFinished) this.#finish(job.runId);
        // An attempt this process no longer holds: if the run was closed meanwhile (reaper, cancel), stop driving it.
        if (result.kind === 'lost') void this.#o.store.getRun(job.runId).then((r) => { if (r && isTerminalRun(r.state)) this.#finish(job.runId); }, () => {});
        // The task the commit claimed for this slot: it leaves the ready list and starts now.
        if (result.next) {
          const i = this.#ready.indexOf(result.next.job);
          if (i >= 0) this.#ready.splice(i, 1);
          this.#launch(result.next.job, result.next.task);
        }
      }, (err: unknown) => this.#abandon(job.runId, err))
      .finally(() => {
        this.#running--;
        this.#active.delete(p);
        this.#pump();
      });
    this.#active.add(p);
  }

  /** The task this process would start next (first come, first served): what waits already, else what the commit queued. */
  #peekNext(queued: readonly QueuedTask[]): QueuedTask | undefined {
    if (this.#closed) return undefined;
    for (const t of this.#ready) if (this.#runs.has(t.runId)) return t;
    const now = this.#clock.now();
    return queued.find((t) => this.#runs.has(t.runId) && (t.runAt === undefined || t.runAt <= now));
  }

  #finish(runId: string): void {
    const driven = this.#runs.get(runId);
    if (!driven) return;
    this.#runs.delete(runId);
    if (!this.#o.keepOutputs) { this.#memory.delete(runId); this.#errors.delete(runId); }
    void this.#o.store.getRun(runId).then((run) => {
      if (!run) throw new SluiceError(`Run ${runId} disappeared from the metadata store`, { code: 'NOT_FOUND' });
      this.#o.onEvent?.({ type: 'run-end', runId, state: run.state, durationMs: (run.finishedAt ?? this.#clock.now()) - driven.started });
      for (const w of driven.waiters) w.resolve(run);
    }).catch((err: unknown) => { for (const w of driven.waiters) w.reject(err instanceof Error ? err : new Error(String(err))); });
    if (this.#runs.size === 0) this.#stopTimers();
  }

  /** The store stayed unreachable (or an internal error): stop driving the run; its lease runs out and the reaper closes it. */
  #abandon(runId: string, err: unknown): void {
    const driven = this.#runs.get(runId);
    if (!driven) return;
    this.#runs.delete(runId);
    this.#memory.delete(runId);
    if (!driven.controller.signal.aborted) driven.controller.abort(err);
    const error = err instanceof Error ? err : new Error(String(err));
    (this.#o.logger ?? silentLogger).error(`run ${runId}: ${errorMessage(error)}`);
    for (const w of driven.waiters) w.reject(error);
    if (this.#runs.size === 0) this.#stopTimers();
  }

  #startTimers(): void {
    const heartbeatMs = this.#o.heartbeatMs ?? Math.min(1000, Math.max(50, Math.floor(this.#leaseMs / 3)));
    this.#heartbeat ??= setInterval(() => void this.#beat(), heartbeatMs);
  }

  /** Stops the heartbeat (nothing to renew); the reaper runs until close. */
  #stopTimers(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  async #beat(): Promise<void> {
    try {
      const { cancelRequested } = await this.#o.store.heartbeat(this.workerId, this.#leaseMs, this.#clock.now(), [...this.#runs.keys()]);
      for (const runId of cancelRequested) {
        const d = this.#runs.get(runId);
        if (d && !d.controller.signal.aborted) {
          const run = await this.#o.store.getRun(runId);
          d.controller.abort(runCancelledError(runId, run?.cancelReason));
        }
      }
    } catch (err) {
      (this.#o.logger ?? silentLogger).debug(`heartbeat of ${this.workerId} failed: ${errorMessage(err)}`);
    }
  }

  async #reapOnce(): Promise<void> {
    try {
      // The runs this process drives are alive (this code is running): an expired lease of one of them
      // means its heartbeat came late (a step held the event loop), so renew it instead of closing the run.
      const live = new Set(this.#runs.keys());
      if (live.size > 0) await this.#beat();
      const r = await reap(this.#o.store, { now: this.#clock.now(), live });
      for (const id of r.closedRuns) (this.#o.logger ?? silentLogger).warn(`closed run ${id}: the process running it stopped`);
    } catch (err) {
      (this.#o.logger ?? silentLogger).debug(`reaper: ${errorMessage(err)}`);
    }
  }

  async #graphOf(run: RunRecord): Promise<PipelineGraph> {
    const driven = this.#runs.get(run.id);
    if (driven) return driven.graph;
    if (!this.#o.resolveGraph) {
      throw new SluiceError(`This executor cannot load the pipeline of run ${run.id} ("${run.pipeline}")`, {
        code: 'PIPELINE_UNKNOWN', context: { run: run.id }, hint: 'Pass the graph, or run `sluice runs retry <id>` (it loads the pipeline file the run recorded).',
      });
    }
    return this.#o.resolveGraph(run);
  }

  async #poll(runId: string): Promise<RunRecord> {
    for (;;) {
      const run = await withStoreRetry(`reading run ${runId}`, () => this.#o.store.getRun(runId));
      if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND', hint: 'List runs with `sluice runs`.' });
      if (isTerminalRun(run.state)) return run;
      const driven = this.#runs.get(runId);
      if (driven) return new Promise<RunRecord>((resolve, reject) => driven.waiters.push({ resolve, reject }));
      await sleep(200);
    }
  }
}

/** Creates the inline executor (tests): `submit` returns when the run is over. */
export function inlineExecutor(options: Omit<LocalExecutorOptions, 'kind'>): LocalExecutor {
  return new LocalExecutor({ ...options, kind: 'inline' });
}

/** Creates the local executor (the embedded default). */
export function localExecutor(options: Omit<LocalExecutorOptions, 'kind'>): LocalExecutor {
  return new LocalExecutor({ ...options, kind: 'local' });
}

async function withWaitLimits(done: Promise<RunRecord>, runId: string, options: WaitOptions): Promise<RunRecord> {
  if (!options.signal && options.timeoutMs === undefined) return done;
  return new Promise<RunRecord>((resolve, reject) => {
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => reject(new SluiceError(`Run ${runId} did not end within ${options.timeoutMs} ms`, { code: 'TIMEOUT', context: { run: runId } })), options.timeoutMs);
    const onAbort = (): void => reject(new CancelledError(`Stopped waiting for run ${runId}`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    done.then(resolve, reject).finally(() => { if (timer) clearTimeout(timer); options.signal?.removeEventListener('abort', onAbort); });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
