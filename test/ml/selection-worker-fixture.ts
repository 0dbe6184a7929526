// Loaded by WorkerPool in worker threads during test/ml/selection-search.test.ts.
import { threadId } from 'node:worker_threads';
import { frameFromShared, type SharedFrame } from '../../src/ml/selection/index.ts';

/** A smooth score with its maximum at x = 3, y = 'b'; `work` adds that many million steps of CPU-bound arithmetic. */
export function evaluate(input: { params: { x: number; y: string; work?: number } }): number {
  const { x, y, work = 0 } = input.params;
  let acc = 0;
  for (let i = 0; i < work * 1e6; i++) acc += Math.sqrt(i) * 1e-30;
  return -((x - 3) ** 2) + (y === 'b' ? 1 : 0) + acc * 0;
}

/** The same CPU-bound loop, reporting when it ran (epoch ms) so a test can see two loops overlap. */
export function timedWork(input: { work: number }): [number, number] {
  const start = performance.timeOrigin + performance.now();
  evaluate({ params: { x: 0, y: 'a', work: input.work } });
  return [start, performance.timeOrigin + performance.now()];
}

export function whoami(): number {
  return threadId;
}

/** Sums a shared column: proves the worker reads the Frame the main thread shared. */
export function columnSum(input: { column: string }, data: SharedFrame): number {
  return frameFromShared(data).numbers(input.column).reduce((a, b) => a + b, 0);
}

export function fails(): number {
  throw new Error('this candidate is broken');
}

/** Ends its worker thread mid-job, as a crashing native module or a stray process.exit would. */
export function dies(input: { exit: boolean }): number {
  if (input.exit) process.exit(3);
  return 1;
}
