/**
 * Running evaluations side by side: `mapConcurrent` overlaps async work in this thread; `WorkerPool`
 * runs a function exported by a module in worker threads, which is real CPU parallelism. The module is
 * loaded once per worker with its `data` (share a Frame with `shareFrame` so workers read the same
 * memory instead of a copy each).
 *
 * @example
 * const pool = new WorkerPool({ module: new URL('./evaluate.ts', import.meta.url), data: shareFrame(train), size: 4 });
 * const scores = await Promise.all(candidates.map((params) => pool.run({ params })));
 * await pool.close();
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SluiceError } from '../../core/errors.ts';

/** Maps items through fn, at most `concurrency` at once; results keep the input order. */
export async function mapConcurrent<T, R>(items: readonly T[], fn: (item: T, index: number) => R | Promise<R>, concurrency: number): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}

export interface WorkerPoolOptions {
  /** The module to load in each worker: a file URL, or a path (relative to the working directory). */
  module: string | URL;
  /** Its export to call as fn(input, data); default 'evaluate'. */
  export?: string;
  /** Passed to every worker once (structured clone; SharedArrayBuffers are shared, not copied). */
  data?: unknown;
  /** Number of workers (default: the machine's available parallelism). */
  size?: number;
}

interface Job { input: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }
interface Slot { worker: Worker; job: Job | null }

/** Worker threads that each load one module and call one of its exports per job. */
export class WorkerPool {
  readonly size: number;
  readonly #spec: { module: string; exportName: string; data: unknown };
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #closed = false;
  /** Crashes since the last job that completed: a worker that cannot even start is not respawned forever. */
  #crashes = 0;

  constructor(options: WorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.#spec = { module: moduleUrl(options.module), exportName: options.export ?? 'evaluate', data: options.data };
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  /** Runs fn(input, data) in a free worker. */
  run(input: unknown): Promise<unknown> {
    if (this.#closed) return Promise.reject(new SluiceError('The worker pool is closed', { code: 'WORKER_POOL' }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new SluiceError('The worker pool was closed before this job ran', { code: 'WORKER_POOL' }));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (slot.job || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ input: job.input });
    }
  }

  #spawn(): Slot {
    const slot: Slot = { worker: startWorker(this.#spec), job: null };
    slot.worker.on('message', (m: { result?: unknown; error?: { message: string; stack?: string }; fatal?: string }) => {
      const job = slot.job;
      slot.job = null;
      if (m.fatal !== undefined) {
        // The module could not be loaded: every job would fail the same way.
        const err = new SluiceError(m.fatal, { code: 'WORKER_MODULE', hint: `The worker loads ${this.#spec.module} and calls its export "${this.#spec.exportName}".` });
        job?.reject(err);
        for (const j of this.#queue.splice(0)) j.reject(err);
        return;
      }
      if (!job) return;
      this.#crashes = 0;
      if (m.error) {
        const err = new SluiceError(`A worker's evaluation failed: ${m.error.message}`, { code: 'WORKER_TASK' });
        if (m.error.stack) err.stack = `${err.stack}\nWorker stack:\n${m.error.stack}`;
        job.reject(err);
      } else job.resolve(m.result);
      this.#pump();
    });
    let lastError: Error | undefined;
    slot.worker.on('error', (err) => { lastError = err; });
    slot.worker.on('exit', (code) => {
      if (this.#closed) return;
      // A worker died (an uncaught error, process.exit in the module): fail its job, then replace it.
      const job = slot.job;
      slot.job = null;
      this.#crashes++;
      const crash = new SluiceError(`A search worker stopped (exit code ${code})${lastError ? `: ${lastError.message}` : ''}`, { code: 'WORKER_CRASH', cause: lastError });
      job?.reject(crash);
      if (this.#crashes > this.size * 2) {
        // Workers keep dying before finishing anything: give up instead of respawning in a loop.
        this.#closed = true;
        for (const j of this.#queue.splice(0)) j.reject(crash);
        return;
      }
      const i = this.#slots.indexOf(slot);
      if (i >= 0) { this.#slots[i] = this.#spawn(); this.#pump(); }
    });
    return slot;
  }
}

function moduleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^(file|data):/.test(m)) return m;
  return pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
}

/**
 * Starts the worker entry. Under tsx (this file is .ts) or for a .ts module, the worker first
 * registers tsx's loader, because Node 20 workers do not inherit the parent's --import hooks.
 */
function startWorker(spec: { module: string; exportName: string; data: unknown }): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./search-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
  if (!ts && !spec.module.endsWith('.ts')) return new Worker(entry, { workerData: spec });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: spec });
}
