/**
 * Runs rounds of block tasks on the main thread plus worker threads, synchronized through a shared
 * control block with Atomics (a round costs microseconds; a postMessage round trip would cost tens
 * of them, thousands of times per fit).
 *
 * A round: the main thread writes the op and its arguments, bumps the generation and wakes the
 * workers; every thread, main included, takes task numbers from a shared counter until none are
 * left; the main thread waits until every worker has checked in. Results never depend on which
 * thread ran which task (see workspace.ts), so the task counter may be raced for.
 *
 * Workers start through ../trees/threads.ts (tsx from sources, worker.js when built).
 *
 * @example
 * const pool = await TaskPool.start(1);
 * pool.setup(ws);
 * pool.run(OP_GRAD, args, ws.B, true);
 * await pool.close();
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { SluiceError } from '../../core/errors.ts';
import { startTreeWorker } from '../trees/threads.ts';
import { NUM_ARGS, OP_EXIT, OP_SETUP, jobMessage, runTask, type Job } from './kernels.ts';

export const C_GEN = 0;
export const C_OP = 1;
export const C_NEXT = 2;
export const C_DONE = 3;
export const C_ERROR = 4;
export const C_NTASKS = 5;
export const C_ARGS = 8;
export const CTL_INTS = C_ARGS + NUM_ARGS + 7;
export const ERROR_BYTES = 4096;

/** Iterations a thread spins on the control block before sleeping in Atomics.wait. */
export const SPIN = 20_000;

export interface WorkerData {
  ctl: SharedArrayBuffer;
  error: SharedArrayBuffer;
  port: MessagePort;
}

/** Runs a round of `tasks` block tasks, in parallel or on the calling thread only. */
export interface Executor {
  readonly threads: number;
  /** The job that rounds work on; null drops it (so its memory can be freed). */
  setup(job: Job | null): void;
  run(op: number, args: ArrayLike<number>, tasks: number, parallel: boolean): void;
  /** Done with this executor: a shared pool stays running, others stop. */
  close(): Promise<void>;
}

/** The single-thread executor. */
export class LocalExecutor implements Executor {
  readonly threads = 1;
  #job: Job | null = null;
  setup(job: Job | null): void { this.#job = job; }
  run(op: number, args: ArrayLike<number>, tasks: number): void {
    const job = this.#job!;
    for (let t = 0; t < tasks; t++) runTask(job, op, t, args);
  }
  async close(): Promise<void> { this.#job = null; }
}

export class TaskPool implements Executor {
  readonly threads: number;
  readonly #workers: Worker[];
  readonly #ports: MessagePort[];
  readonly #ctl: Int32Array;
  readonly #error: Uint8Array;
  #job: Job | null = null;
  #failure: Error | null = null;
  #closed = false;
  /** A shared pool outlives each use: close() only drops the job and frees it for the next user. */
  #shared = false;
  #inUse = false;

  private constructor(workers: Worker[], ports: MessagePort[], ctl: Int32Array, error: Uint8Array) {
    this.#workers = workers;
    this.#ports = ports;
    this.#ctl = ctl;
    this.#error = error;
    this.threads = workers.length + 1;
  }

  /** Starts `workers` worker threads (the main thread is the extra one); a shared pool survives close(). */
  static async start(workers: number, shared = false): Promise<TaskPool> {
    const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_INTS));
    const error = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
    const list: Worker[] = [];
    const ports: MessagePort[] = [];
    const ready: Promise<void>[] = [];
    const starting: (() => void)[] = [];
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { ctl: ctl.buffer as SharedArrayBuffer, error: error.buffer as SharedArrayBuffer, port: port2 };
      const w = startTreeWorker(import.meta.url, { workerData: data, transferList: [port2] });
      list.push(w);
      ports.push(port1);
      ready.push(new Promise((resolve, reject) => {
        const onError = (e: Error): void => reject(new SluiceError(`gbdt worker thread failed to start: ${e.message}`, { code: 'GBDT_WORKER', cause: e }));
        const onExit = (code: number): void => reject(new SluiceError(`gbdt worker thread exited during start (code ${code})`, { code: 'GBDT_WORKER' }));
        w.once('message', () => resolve());
        w.once('error', onError);
        w.once('exit', onExit);
        starting.push(() => { w.off('error', onError); w.off('exit', onExit); });
      }));
    }
    const pool = new TaskPool(list, ports, ctl, error);
    pool.#shared = shared;
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(list.map((w) => w.terminate()));
      throw e;
    }
    for (const stop of starting) stop();
    for (const w of list) {
      w.on('error', (e) => { pool.#failure = e; });
      // A blocked main thread cannot hear about a dying worker; never let one hold the process.
      w.unref();
    }
    return pool;
  }

  setup(job: Job | null): void {
    this.#job = job;
    const msg = jobMessage(job);
    for (const p of this.#ports) p.postMessage(msg);
    this.#round(OP_SETUP, [], 0);
  }

  run(op: number, args: ArrayLike<number>, tasks: number, parallel: boolean): void {
    const job = this.#job!;
    if (!parallel || tasks <= 1) {
      for (let t = 0; t < tasks; t++) runTask(job, op, t, args);
      return;
    }
    this.#round(op, args, tasks);
  }

  get closed(): boolean { return this.#closed; }

  /** Claims a shared pool for one user (a fit or a prediction); false if someone holds it. */
  claim(): boolean {
    if (this.#closed || this.#inUse) return false;
    this.#inUse = true;
    return true;
  }

  get inUse(): boolean { return this.#inUse; }

  #round(op: number, args: ArrayLike<number>, tasks: number): void {
    if (this.#closed) throw new SluiceError('gbdt task pool is closed', { code: 'GBDT_WORKER' });
    const ctl = this.#ctl;
    for (let i = 0; i < args.length; i++) ctl[C_ARGS + i] = args[i]!;
    ctl[C_OP] = op;
    ctl[C_NTASKS] = tasks;
    Atomics.store(ctl, C_NEXT, 0);
    Atomics.store(ctl, C_DONE, 0);
    Atomics.add(ctl, C_GEN, 1);
    Atomics.notify(ctl, C_GEN);
    let mainError: unknown = null;
    if (op !== OP_SETUP && op !== OP_EXIT) {
      const job = this.#job!;
      try {
        for (;;) {
          const t = Atomics.add(ctl, C_NEXT, 1);
          if (t >= tasks) break;
          runTask(job, op, t, args);
        }
      } catch (e) {
        // Stop handing out tasks, but let the workers check in before the next round starts.
        Atomics.store(ctl, C_NEXT, tasks);
        mainError = e;
      }
    }
    const want = this.#workers.length;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctl, C_DONE);
      if (done >= want) break;
      if (++spins < SPIN) continue;
      Atomics.wait(ctl, C_DONE, done, 1000);
      if (this.#failure) throw new SluiceError(`gbdt worker thread failed: ${this.#failure.message}`, { code: 'GBDT_WORKER', cause: this.#failure });
    }
    if (mainError !== null) throw mainError;
    if (Atomics.load(ctl, C_ERROR) !== 0) {
      const bytes = this.#error;
      let end = bytes.indexOf(0);
      if (end < 0) end = bytes.length;
      const message = new TextDecoder().decode(bytes.slice(0, end));
      throw new SluiceError(`gbdt worker thread failed: ${message}`, { code: 'GBDT_WORKER' });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#shared) {
      try {
        if (this.#job !== null && Atomics.load(this.#ctl, C_ERROR) === 0) this.setup(null);
      } finally {
        this.#inUse = false;
      }
      if (Atomics.load(this.#ctl, C_ERROR) !== 0) await this.shutdown();
      return;
    }
    await this.shutdown();
  }

  /** Stops the worker threads. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    try {
      if (Atomics.load(this.#ctl, C_ERROR) === 0) this.#round(OP_EXIT, [], 0);
    } finally {
      this.#closed = true;
      for (const p of this.#ports) p.close();
      await Promise.all(this.#workers.map((w) => w.terminate()));
    }
  }
}

// One pool per process, kept between fits and used by predictions: starting workers costs about
// 0.1 s, and a fitted model predicting right after its fit gets the fit's threads for free.
let sharedPool: TaskPool | null = null;
let sharedStarting: Promise<TaskPool> | null = null;

/**
 * A pool with `threads` threads (main included) for one user, who must close() it when done: the
 * process-wide pool when it is free (started or resized as needed), else a private one. Shared
 * workers are unref'd, so they never keep the process alive; `closeThreads()` stops them.
 */
export async function sharedTaskPool(threads: number): Promise<TaskPool> {
  while (sharedStarting) await sharedStarting.catch(() => undefined);
  if (sharedPool && !sharedPool.closed && sharedPool.threads === threads && sharedPool.claim()) return sharedPool;
  // Someone else is using the shared pool (their fit has not finished): start a private one.
  if (sharedPool && !sharedPool.closed && sharedPool.inUse) return TaskPool.start(threads - 1);
  const old = sharedPool;
  sharedPool = null;
  sharedStarting = (async () => {
    if (old) await old.shutdown();
    return TaskPool.start(threads - 1, true);
  })();
  try {
    const pool = await sharedStarting;
    sharedPool = pool;
    if (!pool.claim()) return TaskPool.start(threads - 1);
    return pool;
  } finally {
    sharedStarting = null;
  }
}

/** The shared pool claimed for a synchronous user (a prediction), or null if none is free. */
export function claimRunningTaskPool(): TaskPool | null {
  return sharedPool && sharedPool.claim() ? sharedPool : null;
}

/**
 * Stops the shared gbdt worker threads (otherwise kept for the next fit or prediction).
 *
 * @example
 * await closeThreads();
 */
export async function closeThreads(): Promise<void> {
  while (sharedStarting) await sharedStarting.catch(() => undefined);
  const pool = sharedPool;
  sharedPool = null;
  if (pool) await pool.shutdown();
}
