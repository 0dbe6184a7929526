/**
 * The two kinds of forest job, as messages any thread can run: 'trees' (task t grows tree t) and
 * 'oob' (task b adds the out-of-bag predictions of row block b). The main thread and the worker
 * threads run the same code on the same shared arrays.
 *
 * @example
 * const run = jobRunner(job);
 * const tree = run(7);
 */
import { histogramLayout } from '../trees/histogram.ts';
import { TreeBuilder, type ForestTree, type GrowParams } from './grow.ts';
import { accumulateOob } from './oob.ts';
import { accumulate, type FlatTrees } from '../trees/flat.ts';

export interface TreesJob {
  kind: 'trees';
  n: number;
  numBins: number[];
  /** Group codes, row-major and column-major (shared). */
  codes: Uint8Array;
  colCodes: Uint8Array;
  categorical: Uint8Array;
  label: Float64Array;
  weight: Float64Array | null;
  fine: ({ codes: Uint16Array; coarse: Uint8Array } | null)[];
  params: GrowParams;
}

export interface OobJob {
  kind: 'oob';
  flat: FlatTrees;
  /** Row-major feature codes (shared). */
  bins: Uint8Array | Uint16Array;
  F: number;
  n: number;
  seed: number;
  rate: number;
  skip: Uint8Array;
  /** Outputs (shared): sums per row and output, tree counts per row. */
  sums: Float64Array;
  counts: Float64Array;
  block: number;
}

export interface PredictJob {
  kind: 'predict';
  flat: FlatTrees;
  /** Row-major codes as the trees read them (model.ts codesForFrame), shared. */
  codes: Uint8Array | Uint16Array;
  F: number;
  n: number;
  /** Sums over trees per row and output (shared). */
  out: Float64Array;
  block: number;
}

export type ForestJob = TreesJob | OobJob | PredictJob;

/** A function running one task of the job on this thread. */
export function jobRunner(job: ForestJob): (task: number) => ForestTree | null {
  if (job.kind === 'trees') {
    const builder = new TreeBuilder(
      { n: job.n, layout: histogramLayout(job.numBins), codes: job.codes, colCodes: job.colCodes, categorical: job.categorical, label: job.label, weight: job.weight, fine: job.fine },
      job.params,
    );
    return (t) => builder.build(t);
  }
  if (job.kind === 'predict') {
    return (b) => {
      const from = b * job.block;
      accumulate(job.flat, job.codes, job.F, job.out, from, Math.min(job.n, from + job.block));
      return null;
    };
  }
  return (b) => {
    const from = b * job.block;
    accumulateOob(job.flat, job.bins, job.F, job.seed, job.rate, job.skip, job.sums, job.counts, from, Math.min(job.n, from + job.block));
    return null;
  };
}
