/**
 * Starting the worker threads of the tree learners, and knowing how many are alive.
 *
 * Workers load `worker.ts` through tsx when the caller runs from TypeScript source (tests,
 * benches), and the compiled `worker.js` otherwise (`core/worker-entry.ts`).
 *
 * Every worker is counted from its start to its 'exit' event: `liveTreeWorkers()` is what a
 * cancelled fit must bring back to zero (tests check it).
 *
 * @example
 * const w = startTreeWorker(import.meta.url, { workerData });
 * liveTreeWorkers(); // 1 until it exits
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { workerEntry } from '../../core/worker-entry.ts';

let live = 0;

/** Starts the worker next to `here` (see workerEntry) and counts it until it exits. */
export function startTreeWorker(here: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const entry = workerEntry(here, 'worker');
  const w = new Worker(entry.script, { ...(entry.execArgv ? { execArgv: entry.execArgv } : {}), ...options, eval: entry.eval });
  live++;
  w.once('exit', () => { live--; });
  return w;
}

/** Tree-learner worker threads started and not yet exited, in this thread. */
export function liveTreeWorkers(): number {
  return live;
}
