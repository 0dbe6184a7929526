/**
 * Entry of a gbdt worker thread: waits on the shared control block, runs the tasks of each round
 * (see pool.ts), checks in, and sleeps again. A job (training workspace or prediction) arrives on
 * a MessagePort read synchronously (receiveMessageOnPort), since this thread never returns to its
 * event loop while the pool is open.
 */
import { receiveMessageOnPort, parentPort, workerData } from 'node:worker_threads';
import { attachJob, runTask, OP_EXIT, OP_SETUP, NUM_ARGS, type Job, type JobMessage } from './kernels.ts';
import { C_ARGS, C_DONE, C_ERROR, C_GEN, C_NEXT, C_NTASKS, C_OP, SPIN, type WorkerData } from './pool.ts';

const data = workerData as WorkerData;
const ctl = new Int32Array(data.ctl);
const errorBytes = new Uint8Array(data.error);
const args = new Int32Array(NUM_ARGS);
let job: Job | null = null;
let seen = Atomics.load(ctl, C_GEN);

function fail(e: unknown): void {
  const text = new TextEncoder().encode(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
  if (Atomics.compareExchange(ctl, C_ERROR, 0, 1) === 0) errorBytes.set(text.subarray(0, errorBytes.length - 1));
}

parentPort!.postMessage('ready');

for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, C_GEN) === seen) {
    if (++spins < SPIN) continue;
    Atomics.wait(ctl, C_GEN, seen);
  }
  seen = Atomics.load(ctl, C_GEN);
  const op = ctl[C_OP]!;
  if (op === OP_EXIT) {
    Atomics.add(ctl, C_DONE, 1);
    Atomics.notify(ctl, C_DONE);
    break;
  }
  try {
    if (op === OP_SETUP) {
      const msg = receiveMessageOnPort(data.port);
      if (!msg) throw new Error('gbdt worker: no job on the setup port');
      job = attachJob(msg.message as JobMessage);
    } else {
      for (let i = 0; i < NUM_ARGS; i++) args[i] = ctl[C_ARGS + i]!;
      const tasks = ctl[C_NTASKS]!;
      for (;;) {
        const t = Atomics.add(ctl, C_NEXT, 1);
        if (t >= tasks) break;
        runTask(job!, op, t, args);
      }
    }
  } catch (e) {
    fail(e);
  }
  Atomics.add(ctl, C_DONE, 1);
  Atomics.notify(ctl, C_DONE);
}
data.port.close();
