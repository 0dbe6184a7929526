/**
 * How a search evaluates one candidate: in this thread (`evaluate`, overlapped up to `concurrency`
 * when it is async) or in worker threads (`worker`: a module exporting the function, loaded once per
 * worker with `data`), which runs candidates truly in parallel. Either way the function receives the
 * parameters and a context (budget, seed) and returns a score.
 */
import { availableParallelism } from 'node:os';
import { SluiceError } from '../../core/errors.ts';
import { mapConcurrent, WorkerPool } from './parallel.ts';
import type { Params } from './param-space.ts';

export interface EvaluationContext {
  /** Index of the candidate in the search. */
  candidate: number;
  /** Seed for the candidate's own random choices (folds, model seeds), derived from the search seed. */
  seed: number;
  /** Successive halving: the round and its budget (rows, boosting rounds... as the function reads it). */
  round: number;
  resource?: number;
}

export type Evaluate = (params: Params, context: EvaluationContext) => number | Promise<number>;

export interface WorkerEvaluate {
  /** Module exporting `evaluate(input: { params, context }, data) => number | Promise<number>`. */
  module: string | URL;
  /** Name of the export (default 'evaluate'). */
  export?: string;
  /** Given to every worker once, e.g. shareFrame(train). */
  data?: unknown;
  /** Number of workers (default: available parallelism, at most the number of candidates). */
  size?: number;
}

export interface EvaluatorOptions {
  evaluate?: Evaluate;
  worker?: WorkerEvaluate;
  /** In-thread evaluations at once (default 4). */
  concurrency?: number;
  /** 'maximize' (default: higher scores are better, as scikit-learn's scorers) or 'minimize'. */
  direction?: 'maximize' | 'minimize';
}

export interface CandidateResult {
  candidate: number;
  params: Params;
  /** NaN when the evaluation gave no number. */
  score: number;
  round: number;
  resource?: number;
  ms: number;
}

export interface Job { candidate: number; params: Params; context: EvaluationContext }

/** Runs jobs with the configured evaluator; `open` once per search, `close` at the end. */
export class Evaluator {
  readonly #options: EvaluatorOptions;
  #pool: WorkerPool | undefined;

  constructor(options: EvaluatorOptions, maxJobs: number) {
    if (!options.evaluate === !options.worker) {
      throw new SluiceError('A search needs exactly one of `evaluate` (a function) or `worker` (a module to run in worker threads)', { code: 'BAD_SEARCH' });
    }
    this.#options = options;
    if (options.worker) {
      const w = options.worker;
      this.#pool = new WorkerPool({ module: w.module, export: w.export ?? 'evaluate', data: w.data, ...(w.size !== undefined ? { size: w.size } : { size: Math.max(1, Math.min(maxJobs, availableParallelism())) }) });
    }
  }

  async run(jobs: readonly Job[]): Promise<CandidateResult[]> {
    const lanes = this.#pool ? this.#pool.size : (this.#options.concurrency ?? 4);
    return mapConcurrent(jobs, async (job) => {
      const t0 = performance.now();
      const raw = this.#pool
        ? await this.#pool.run({ params: job.params, context: job.context })
        : await this.#options.evaluate!(job.params, job.context);
      if (typeof raw !== 'number') {
        throw new SluiceError(`Candidate ${job.candidate} (${JSON.stringify(job.params)}) returned ${typeof raw}, not a score`, { code: 'BAD_SEARCH', hint: 'The evaluation function must return a number.' });
      }
      const r: CandidateResult = { candidate: job.candidate, params: job.params, score: raw, round: job.context.round, ms: performance.now() - t0 };
      if (job.context.resource !== undefined) r.resource = job.context.resource;
      return r;
    }, lanes);
  }

  /** Sort key: larger is better whatever the direction; NaN last. */
  better(a: CandidateResult, b: CandidateResult): number {
    const sign = this.#options.direction === 'minimize' ? -1 : 1;
    const x = Number.isNaN(a.score) ? -Infinity : sign * a.score;
    const y = Number.isNaN(b.score) ? -Infinity : sign * b.score;
    return y - x || a.candidate - b.candidate;
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }
}
