/**
 * An Executor over the in-process `runPipeline`, for the scheduling commands (`sluice scheduler`,
 * `sluice backfill`) until the durable local executor is wired in: runs execute in this process, each
 * recorded with its trigger, idempotency key, backfill, logical date and file. Submit is idempotent
 * on the key (the runs table's unique (pipeline, key) index decides a race between two processes).
 */
import { SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type { Engine } from '../engine/index.ts';
import type { ArtifactStore, MetadataStore, RunRecord } from '../store/types.ts';
import { runPipeline, type RunEvent } from './executor.ts';
import type { Executor, SubmitOptions, WaitOptions } from './executor-types.ts';
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
}

export class InProcessExecutor implements Executor {
  readonly kind = 'local';
  readonly #o: InProcessExecutorOptions;
  readonly #runs = new Map<string, { done: Promise<void>; controller: AbortController }>();

  constructor(options: InProcessExecutorOptions) {
    this.#o = options;
  }

  async submit(graph: PipelineGraph, options: SubmitOptions = {}): Promise<RunRecord> {
    const { store } = this.#o;
    if (options.key) {
      const existing = await store.findRunByKey(graph.name, options.key);
      if (existing) return existing;
    }
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
  }
}
