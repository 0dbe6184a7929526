/**
 * Grows a forest on binned data: the trees as tasks of one job spread over this thread and worker
 * threads (each thread grows whole trees, tree t always from the streams of (seed, t)), then the
 * optional out-of-bag pass over row blocks. The forest is the same at any thread count.
 *
 * @example
 * const { trees, oob } = await growForest({ n, numBins, codes, categorical, label, weight: null, bins: null }, params);
 */
import type { ForestTree, GrowParams } from './grow.ts';
import { jobRunner, type OobJob, type TreesJob } from './jobs.ts';
import { oobResult, type OobResult } from './oob.ts';
import { acquireForestPool, releaseForestPool } from './pool.ts';
import { Checkpoint } from '../trees/cancel.ts';
import { flattenForestTrees } from './predict.ts';

export interface ForestData {
  n: number;
  numBins: number[];
  /** Group codes of histogramLayout(numBins), row-major and column-major (encodeGroups). */
  codes: Uint8Array;
  colCodes: Uint8Array;
  categorical: Uint8Array;
  label: Float64Array;
  /** Sample weights scaled to mean 1, or null. */
  weight: Float64Array | null;
  /** Row-major feature codes as prediction reads them (model.ts), for the out-of-bag pass only. */
  bins: Uint8Array | Uint16Array | null;
  /** Fine codes per feature (grow.ts GrowData.fine), or null entries. */
  fine?: readonly ({ codes: Uint16Array; coarse: Uint8Array } | null)[];
}

export interface GrowForestOptions {
  threads: number;
  oobScore: boolean;
  onTree?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Rows per out-of-bag task. */
const OOB_BLOCK = 16_384;

function sharedCopy<T extends Uint8Array | Uint16Array | Float64Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const make = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new make(new SharedArrayBuffer(Math.max(8, a.byteLength))).subarray(0, a.length) as T;
  out.set(a as never);
  return out;
}

/** Grows `trees` trees; with `oobScore`, also their out-of-bag predictions and score. */
export async function growForest(
  data: ForestData, params: GrowParams & { trees: number }, options: GrowForestOptions,
): Promise<{ trees: ForestTree[]; oob: OobResult | null }> {
  const threads = Math.max(1, Math.min(options.threads, params.trees));
  const checkpoint = new Checkpoint(options.signal, 'random forest fit');
  const pool = threads > 1 ? acquireForestPool(threads) : null;
  let ok = false;
  try {
    const job: TreesJob = {
      kind: 'trees', n: data.n, numBins: data.numBins, categorical: data.categorical, params,
      codes: pool ? sharedCopy(data.codes) : data.codes,
      colCodes: pool ? sharedCopy(data.colCodes) : data.colCodes,
      label: pool ? sharedCopy(data.label) : data.label,
      weight: data.weight && pool ? sharedCopy(data.weight) : data.weight,
      fine: (data.fine ?? []).map((x) => (x && pool ? { codes: sharedCopy(x.codes), coarse: x.coarse } : x)),
    };
    const local = jobRunner(job) as (t: number) => ForestTree;
    let done = 0;
    const tick = options.onTree ? (): void => options.onTree!(++done, params.trees) : undefined;
    const trees = pool
      ? await pool.run<ForestTree>(job, params.trees, local, tick, checkpoint)
      : [];
    if (!pool) {
      for (let t = 0; t < params.trees; t++) {
        await checkpoint.next(() => `after ${t} of ${params.trees} trees`);
        trees.push(local(t));
        tick?.();
      }
    }
    if (!options.oobScore || !data.bins) { ok = true; return { trees, oob: null }; }

    const K = params.task === 'multiclass' ? params.numClasses : 1;
    const F = data.numBins.length;
    const flat = flattenForestTrees(trees, K, data.numBins, (data.fine ?? []).map((x) => x?.coarse ?? null));
    // Trees whose sample was every row (a tiny data set's empty draw) have no out-of-bag rows.
    const skip = Uint8Array.from(trees, (t) => (t.bagged ? 0 : 1));
    const oobJob: OobJob = {
      kind: 'oob', flat, bins: pool ? sharedCopy(data.bins) : data.bins, F, n: data.n, seed: params.seed, rate: params.maxSamples, skip,
      sums: new Float64Array(new SharedArrayBuffer(Math.max(8, 8 * data.n * K))).subarray(0, data.n * K),
      counts: new Float64Array(new SharedArrayBuffer(Math.max(8, 8 * data.n))).subarray(0, data.n),
      block: OOB_BLOCK,
    };
    const blocks = Math.ceil(data.n / OOB_BLOCK);
    const runOob = jobRunner(oobJob);
    if (pool) await pool.run(oobJob, blocks, runOob, undefined, checkpoint);
    else for (let b = 0; b < blocks; b++) { await checkpoint.next(); runOob(b); }
    ok = true;
    return { trees, oob: oobResult(params.task, data.label, oobJob.sums, oobJob.counts, K) };
  } finally {
    if (pool) await releaseForestPool(pool, ok);
  }
}
