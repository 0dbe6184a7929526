/**
 * Worker threads for forest jobs. A job is a number of coarse tasks (a whole tree, or a block of
 * rows for out-of-bag predictions) over data on SharedArrayBuffers; every thread, this one
 * included, claims task numbers from a shared counter until none are left, and a worker posts one
 * message per task it ran (with the tree it built). Results are keyed by task number, so which
 * thread ran which task never changes them.
 *
 * This thread starts working at once: workers join when they have booted (about 0.1 s each), so
 * their start overlaps real work, and a worker that is not up before the job ends never delays it.
 * Tasks take milliseconds to seconds, so plain messages are cheap enough (gbdt's pool synchronizes
 * with Atomics because its rounds are microseconds).
 *
 * Workers load worker.ts through tsx when this module runs from TypeScript source (tests, benches),
 * and the compiled worker.js otherwise. Node 20 ignores `--import` in a Worker's execArgv for the
 * entry module, so the TypeScript entry is a tiny inline script that registers tsx and then imports
 * worker.ts (as gbdt's pool does).
 *
 * @example
 * const pool = ForestPool.start(1);
 * const trees = await pool.run(job, count, (task) => buildLocally(task));
 * await pool.close();
 */
import type { Worker } from 'node:worker_threads';
import { SluiceError } from '../../core/errors.ts';
import type { Checkpoint } from '../trees/cancel.ts';
import { startTreeWorker } from '../trees/threads.ts';

/** What a worker is asked to do; `counter` is an Int32Array's SharedArrayBuffer (slot 0). */
export interface JobMessage {
  id: number;
  counter: SharedArrayBuffer;
  tasks: number;
}

/** A worker's report: one per task, or a failure. */
export type WorkerReply =
  | { kind: 'task'; id: number; task: number; result: unknown }
  | { kind: 'error'; id: number; message: string; stack: string };

interface Pending {
  id: number;
  expected: number;
  received: number;
  results: Map<number, unknown>;
  onTask: (() => void) | undefined;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class ForestPool {
  readonly #workers: Worker[] = [];
  #pending: Pending | null = null;
  #failure: Error | null = null;
  #closed = false;
  #nextId = 1;

  private constructor(workers: number) {
    for (let i = 0; i < workers; i++) {
      const w = startTreeWorker(import.meta.url);
      w.on('message', (m: WorkerReply) => this.#onMessage(m));
      w.on('error', (e) => this.#fail(new SluiceError(`random forest worker thread failed: ${e.message}`, { code: 'FOREST_WORKER', cause: e })));
      w.on('exit', (code) => { if (code !== 0) this.#fail(new SluiceError(`random forest worker thread exited (code ${code})`, { code: 'FOREST_WORKER' })); });
      this.#workers.push(w);
    }
  }

  /** Starts `workers` worker threads (the calling thread is the extra one). Returns at once. */
  static start(workers: number): ForestPool {
    return new ForestPool(workers);
  }

  get threads(): number { return this.#workers.length + 1; }

  #fail(e: Error): void {
    if (this.#closed) return;
    this.#failure ??= e;
    this.#pending?.reject(e);
  }

  #onMessage(m: WorkerReply): void {
    const p = this.#pending;
    if (!p || m.id !== p.id) return;
    if (m.kind === 'error') {
      const e = new SluiceError(`random forest worker thread failed: ${m.message}`, { code: 'FOREST_WORKER' });
      e.stack = `${e.stack}\nWorker stack:\n${m.stack}`;
      this.#fail(e);
      return;
    }
    p.results.set(m.task, m.result);
    p.received++;
    p.onTask?.();
    if (p.received >= p.expected) p.resolve();
  }

  /**
   * Runs tasks 0..tasks-1: workers get `job` (plus the counter), this thread runs `local(task)`
   * for the tasks it claims. `onTask` is called as each task finishes, on any thread. Resolves to
   * every task's result, in task order.
   */
  async run<R>(job: object, tasks: number, local: (task: number) => R, onTask?: () => void, checkpoint?: Checkpoint): Promise<R[]> {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new SluiceError('random forest worker pool is closed', { code: 'FOREST_WORKER' });
    if (this.#pending) throw new SluiceError('random forest worker pool is busy with another job', { code: 'FOREST_WORKER' });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const id = this.#nextId++;
    const results = new Map<number, unknown>();
    // Workers report from the start: this thread yields to the event loop between its own tasks
    // (to hear an abort), and their reports must land even then. `expected` is known at the end.
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const done = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    done.catch(() => undefined);
    const p: Pending = { id, expected: Infinity, received: 0, results, onTask, resolve: () => settle.resolve(), reject: (e) => settle.reject(e) };
    this.#pending = p;
    const stop = (): void => {
      // Workers claim no further task; the caller's close() terminates those still busy.
      Atomics.store(counter, 0, tasks);
    };
    const off = checkpoint?.onAbort((e) => { stop(); settle.reject(e); });
    try {
      const msg = { ...job, id, counter: counter.buffer as SharedArrayBuffer, tasks } satisfies JobMessage;
      for (const w of this.#workers) w.postMessage(msg);
      let mine = 0;
      for (;;) {
        await checkpoint?.next(() => `after ${results.size} of ${tasks} tasks`);
        const t = Atomics.add(counter, 0, 1);
        if (t >= tasks) break;
        results.set(t, local(t));
        mine++;
        onTask?.();
      }
      p.expected = tasks - mine;
      if (this.#failure) throw this.#failure;
      if (p.received >= p.expected) settle.resolve();
      await done;
    } catch (e) {
      stop();
      throw e;
    } finally {
      off?.();
      this.#pending = null;
    }
    return Array.from({ length: tasks }, (_, t) => results.get(t) as R);
  }

  get usable(): boolean { return !this.#closed && this.#failure === null; }

  /** Idle workers do not keep the process alive; busy ones do (see acquire/release below). */
  setRef(ref: boolean): void {
    for (const w of this.#workers) if (ref) w.ref(); else w.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers.length = 0;
  }
}

// One idle pool per process, kept after a fit or a prediction for the next one: starting workers
// costs about 0.1 s (more through tsx), and a forest predicting right after its fit then gets the
// fit's threads at once. Idle workers are unref'd: they never keep the process alive.
let idle: ForestPool | null = null;

/** A pool of `threads` threads (this one included): the idle one when it fits, else a new one. */
export function acquireForestPool(threads: number): ForestPool {
  const p = idle;
  if (p && p.usable && p.threads === threads) {
    idle = null;
    p.setRef(true);
    return p;
  }
  return ForestPool.start(threads - 1);
}

/**
 * Done with a pool: kept as the idle pool when `keep` (and healthy), else stopped. A cancelled
 * job passes keep = false, so no worker thread outlives it.
 */
export async function releaseForestPool(pool: ForestPool, keep: boolean): Promise<void> {
  if (!keep || !pool.usable) { await pool.close(); return; }
  const old = idle;
  idle = pool;
  pool.setRef(false);
  if (old && old !== pool) await old.close();
}

/**
 * Stops the idle random forest worker threads (otherwise kept for the next fit or prediction).
 *
 * @example
 * await closeForestThreads();
 */
export async function closeForestThreads(): Promise<void> {
  const p = idle;
  idle = null;
  await p?.close();
}
