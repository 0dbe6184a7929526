/**
 * Starting the worker threads of the tree learners, and knowing how many are alive.
 *
 * Workers load `worker.ts` through tsx when the caller runs from TypeScript source (tests,
 * benches), and the compiled `worker.js` otherwise. Node 20 ignores `--import` in a Worker's
 * execArgv for the entry module, so the TypeScript entry is a tiny inline script that registers
 * tsx and then imports worker.ts.
 *
 * Every worker is counted from its start to its 'exit' event: `liveTreeWorkers()` is what a
 * cancelled fit must bring back to zero (tests check it).
 *
 * @example
 * const w = startTreeWorker(import.meta.url, { workerData });
 * liveTreeWorkers(); // 1 until it exits
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

let live = 0;

/**
 * How to start the `./worker.ts` (from sources, through tsx) or built `./worker.js` that sits next
 * to `here`, the caller's `import.meta.url`.
 */
export function workerEntry(here: string): { script: string | URL; eval: boolean } {
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', here).href;
    const script = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
    return { script, eval: true };
  }
  return { script: new URL('./worker.js', here), eval: false };
}

/** Starts the worker next to `here` (see workerEntry) and counts it until it exits. */
export function startTreeWorker(here: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const entry = workerEntry(here);
  const w = new Worker(entry.script, { ...options, eval: entry.eval });
  live++;
  w.once('exit', () => { live--; });
  return w;
}

/** Tree-learner worker threads started and not yet exited, in this thread. */
export function liveTreeWorkers(): number {
  return live;
}
