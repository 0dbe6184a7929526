/**
 * An Executor over the in-process `runPipeline`, for the scheduling commands (`sluice scheduler`,
 * `sluice backfill`) until the durable local executor is wired in: runs execute in this process, each
 * recorded with its trigger, idempotency key, backfill, logical date and file. Submit is idempotent
 * on the key (the runs table's unique (pipeline, key) index decides a race between two processes).
 * Each run is owned by this process under a lease renewed by a heartbeat; a run whose owner stopped
 * renewing (a killed scheduler or backfill) is closed as failed by the next process that waits for it
 * or starts, so a resumed backfill runs that partition again instead of waiting forever.
 */
import { hostname } from 'node:os';
import { SluiceError, errorMessage } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../store/types.ts';
import { runPipeline, type RunEvent } from './executor.ts';
import { DEFAULT_LEASE_MS, type Executor, type SubmitOptions, type WaitOptions } from './executor-types.ts';
import type { PipelineGraph } from './graph.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export interface InProcessExecutorOptions {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: Engine;
  /** Steps at once within a run; default the number of cores. */
  concurrency?: number;
  logger?: Logger;
  onEvent?: (event: RunEvent) => void;
  /** How often wait() looks at a run another process drives (ms); default 200. */
  pollMs?: number;
  /** Lease on the runs this process drives (ms), renewed every third of it; default 15 s. */
  leaseMs?: number;
}

const ORPHANED = 'the process that drove this run stopped (its lease expired); nothing it had not committed was registered';

export class InProcessExecutor implements Executor {
  readonly kind = 'local';
  readonly #o: InProcessExecutorOptions;
  readonly #runs = new Map<string, { done: Promise<void>; controller: AbortController }>();
  readonly #workerId = newId('wrk');
  readonly #leaseMs: number;
  #registered: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: InProcessExecutorOptions) {
    this.#o = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Registers this process as a worker (once) and starts its heartbeat, which also closes orphaned runs. */
  #register(): Promise<void> {
    this.#registered ??= (async () => {
      await this.#o.store.registerWorker({ id: this.#workerId, host: hostname(), pid: process.pid, kind: 'scheduling' });
      await this.reap();
      this.#heartbeat = setInterval(() => {
        void this.#o.store.heartbeat(this.#workerId, this.#leaseMs).then(() => this.reap()).catch((err: unknown) => this.#o.logger?.warn(`heartbeat failed: ${errorMessage(err)}`));
      }, Math.max(50, Math.floor(this.#leaseMs / 3)));
      this.#heartbeat.unref();
    })();
    return this.#registered;
  }

  /** Closes (as failed) unfinished runs whose owner's lease expired. Returns their ids. */
  async reap(now = Date.now()): Promise<string[]> {
    const orphaned = await this.#o.store.listOrphanedRuns(now);
    if (orphaned.length === 0) return [];
    return this.#o.store.closeUnfinishedRuns('failed', ORPHANED, orphaned.map((r) => r.id));
  }

  async submit(graph: PipelineGraph, options: SubmitOptions = {}): Promise<RunRecord> {
    const { store } = this.#o;
    if (options.key) {
      const existing = await store.findRunByKey(graph.name, options.key);
      if (existing) return existing;
    }
    await this.#register();
    const runId = options.runId ?? newId('run');
    const controller = new AbortController();
    let created!: () => void;
    let failedEarly!: (err: unknown) => void;
    const recorded = new Promise<void>((res, rej) => { created = res; failedEarly = rej; });
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'run-start') created();
      this.#o.onEvent?.(e);
    };
    const done = runPipeline(graph, {
      store, artifacts: this.#o.artifacts, engine: this.#o.engine, runId, signal: controller.signal, onEvent,
      params: options.params ?? {}, partition: options.partition ?? null,
      ...(this.#o.concurrency ? { concurrency: this.#o.concurrency } : {}),
      ...(this.#o.logger ? { logger: this.#o.logger } : {}),
      record: {
        executor: this.kind, trigger: options.trigger ?? 'manual', key: options.key ?? null, backfillId: options.backfillId ?? null,
        logicalDate: options.logicalDate ?? null, pipelineFile: options.pipelineFile ?? null,
        owner: this.#workerId, leaseExpiresAt: Date.now() + this.#leaseMs,
      },
    }).then(() => {}, (err: unknown) => { failedEarly(err); });
    this.#runs.set(runId, { done, controller });
    void done.finally(() => this.#runs.delete(runId));
    try {
      await recorded;
    } catch (err) {
      // Another process created the run with this key first: that run is the answer.
      if (options.key) {
        const existing = await store.findRunByKey(graph.name, options.key);
        if (existing) return existing;
      }
      throw err;
    }
    const run = await store.getRun(runId);
    if (!run) throw new SluiceError(`Run ${runId} of pipeline "${graph.name}" was not recorded`, { code: 'EXECUTOR' });
    return run;
  }

  async wait(runId: string, options: WaitOptions = {}): Promise<RunRecord> {
    const started = Date.now();
    const local = this.#runs.get(runId);
    if (local) await local.done;
    for (;;) {
      const run = await this.#o.store.getRun(runId);
      if (!run) throw new SluiceError(`No run with id "${runId}"`, { code: 'NOT_FOUND' });
      if (TERMINAL.has(run.state)) return run;
      if (!local && run.leaseExpiresAt !== null && run.leaseExpiresAt < Date.now()) {
        await this.#o.store.closeUnfinishedRuns('failed', ORPHANED, [runId]);
        continue;
      }
      if (options.signal?.aborted) throw new SluiceError(`Stopped waiting for run ${runId}`, { code: 'CANCELLED' });
      if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) throw new SluiceError(`Run ${runId} did not finish within ${options.timeoutMs} ms`, { code: 'TIMEOUT' });
      await new Promise((r) => setTimeout(r, this.#o.pollMs ?? 200));
    }
  }

  async retry(runId: string): Promise<RunRecord> {
    throw new SluiceError(`Retrying run ${runId} needs the durable executor`, { code: 'EXECUTOR', hint: 'Start a new run (or rerun the backfill: it reruns only what did not succeed).' });
  }

  async cancel(runId: string, reason?: string): Promise<void> {
    const local = this.#runs.get(runId);
    if (local) local.controller.abort(new Error(reason ?? 'cancelled'));
  }

  /** Cancels the runs still going and waits for them to record their end. */
  async close(): Promise<void> {
    for (const r of this.#runs.values()) r.controller.abort(new Error('executor closed'));
    await Promise.all([...this.#runs.values()].map((r) => r.done));
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#registered) await this.#registered.then(() => this.#o.store.stopWorker(this.#workerId), () => {});
  }
}
