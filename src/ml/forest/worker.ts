/**
 * Entry of a forest worker thread: for each job message, claims tasks from the job's shared
 * counter, runs them and reports each (with its result) until none are left. See pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { jobRunner, type ForestJob } from './jobs.ts';
import type { JobMessage, WorkerReply } from './pool.ts';

const port = parentPort!;

port.on('message', (msg: JobMessage & ForestJob) => {
  const counter = new Int32Array(msg.counter);
  // Tasks already taken by faster threads: do not even set the job up.
  if (Atomics.load(counter, 0) >= msg.tasks) return;
  try {
    let run: ((task: number) => unknown) | null = null;
    for (;;) {
      const t = Atomics.add(counter, 0, 1);
      if (t >= msg.tasks) break;
      run ??= jobRunner(msg);
      const result = run(t);
      port.postMessage({ kind: 'task', id: msg.id, task: t, result } satisfies WorkerReply);
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ kind: 'error', id: msg.id, message: err.message, stack: err.stack ?? '' } satisfies WorkerReply);
  }
});
