/**
 * The block tasks of training, run by the main thread and the worker threads alike on a shared
 * Workspace. A task touches only its own block's rows, index slices and histogram, so tasks of one
 * round run in any order on any thread with the same result.
 *
 * - GRAD: gradients and hessians of the block's rows from the current raw scores.
 * - ROOT: the block's rows of this iteration's sample become the root; its root histogram.
 * - SPLIT: stable partition of a node's rows into its two children with the split's code table
 *   (read from one index buffer, written to the other); then the histogram of the child to build.
 * - UPDATE: the new tree's leaf values added to the raw scores (training rows through the leaf
 *   ranges, rows left out of the sample and validation rows by walking the tree); in fused mode
 *   (one output, no row sampling) the next gradients, and usually the next root histogram, are
 *   computed in the same pass in row order, so rows are visited once per tree for all three.
 *
 * @example
 * runTask(ws, OP_GRAD, block, args);
 */
import { lossFor, objectiveFromCode, type Loss } from './losses.ts';
import { histogramKernel, type BoundHistogramKernel } from '../trees/histogram.ts';
import { bindLoops, type BoundLoops } from './bound.ts';
import { streamKey, uniformOf } from '../trees/sampling.ts';
import { Workspace } from './workspace.ts';
import { PredictJob, type PredictJobSpec } from './predict.ts';
import type { WorkspaceSpec } from './workspace.ts';

/** What a pool's threads work on: a training workspace or a prediction job. */
export type Job = Workspace | PredictJob;

/** The message that hands a job to a worker thread (null: drop the current one). */
export type JobMessage = { kind: 'train'; spec: WorkspaceSpec } | PredictJobSpec | null;

export function jobMessage(job: Job | null): JobMessage {
  if (job === null) return null;
  return job instanceof PredictJob ? job.spec : { kind: 'train', spec: job.spec };
}

export function attachJob(msg: JobMessage): Job | null {
  if (msg === null) return null;
  return msg.kind === 'predict' ? PredictJob.attach(msg) : Workspace.attach(msg.spec);
}

export const OP_SETUP = 1;
export const OP_EXIT = 2;
export const OP_GRAD = 3;
export const OP_ROOT = 4;
export const OP_SPLIT = 5;
export const OP_UPDATE = 6;
/** Prediction of one row block (predict.ts). */
export const OP_PREDICT = 7;

/** Argument slots of each op. */
export const A_K = 0;
export const A_ITER = 1;
/** Active groups (ws.groups[0..n)) and a version number that changes with them. */
export const A_NACTIVE = 2;
export const A_VERSION = 3;
export const A_PARENT = 4;
export const A_LEFT = 5;
export const A_RIGHT = 6;
export const A_GROUP = 7;
/** SPLIT: 0 build no histogram, 1 the left child's, 2 the right child's. */
export const A_BUILD = 8;
/** UPDATE: nodes in the tree. */
export const A_NUMNODES = 8;
/** UPDATE: 1 in fused mode (the next gradients computed with the update). */
export const A_FUSED = 9;
/** UPDATE in fused mode: 1 to build the next tree's root histogram in the same pass (its groups are this tree's). */
export const A_NEXT_ROOT = 10;
export const NUM_ARGS = 11;

// Per-thread caches keyed by the workspace object this thread attached.
const losses = new WeakMap<Workspace, Loss>();
const loops = new WeakMap<Workspace, { version: number; loops: BoundLoops; hist: BoundHistogramKernel }>();

/**
 * This thread's compiled loops for `ws`, with block histogram loops for the active groups of
 * `args`. Loops are compiled for the first group set seen; when trees sample columns the group
 * set changes per tree, and histograms then use the shared (uncompiled per workspace) kernels.
 */
function loopsFor(ws: Workspace, args: ArrayLike<number>): { loops: BoundLoops; hist: BoundHistogramKernel } {
  const version = args[A_VERSION]!;
  let c = loops.get(ws);
  if (c === undefined) {
    const l = bindLoops(ws, ws.groups.slice(0, args[A_NACTIVE]!));
    c = { version, loops: l, hist: l.hist };
    loops.set(ws, c);
  } else if (c.version !== version) {
    const kernel = histogramKernel(ws.layout, ws.groups.slice(0, args[A_NACTIVE]!), ws.K);
    const [idx0, idx1] = ws.idx;
    const view = (base: number): Float64Array => ws.hists.subarray(base, base + ws.blockHistLen);
    c.version = version;
    c.hist = {
      indexed0: (base, a, b, k2) => kernel.indexed(idx0, ws.gh, ws.rowBins, view(base), a, b, k2),
      indexed1: (base, a, b, k2) => kernel.indexed(idx1, ws.gh, ws.rowBins, view(base), a, b, k2),
      sequential: (base, a, b, k2) => kernel.sequential(ws.gh, ws.rowBins, view(base), a, b, k2),
    };
  }
  return c;
}

function lossOf(ws: Workspace): Loss {
  let loss = losses.get(ws);
  if (loss === undefined) { loss = lossFor(objectiveFromCode(ws.spec.objective)); losses.set(ws, loss); }
  return loss;
}

export function runTask(job: Job, op: number, task: number, args: ArrayLike<number>): void {
  if (job instanceof PredictJob) {
    if (op !== OP_PREDICT) throw new Error(`gbdt: op ${op} on a prediction job`);
    job.run(task);
    return;
  }
  const ws = job;
  switch (op) {
    case OP_GRAD: return gradTask(ws, task);
    case OP_ROOT: return rootTask(ws, task, args);
    case OP_SPLIT: return splitTask(ws, task, args);
    case OP_UPDATE: return updateTask(ws, task, args);
    default: throw new Error(`gbdt: unknown task op ${op}`);
  }
}

function gradTask(ws: Workspace, b: number): void {
  const loss = lossOf(ws);
  const s = ws.blockStart[b]!;
  const e = ws.blockStart[b + 1]!;
  loss.gradients(ws.raw, ws.label, ws.weight, ws.gh, s, e, ws.K, ws.spec.huberDelta);
  if (ws.state) loss.initState!(ws.raw, ws.state, s, e);
}

function rootTask(ws: Workspace, b: number, args: ArrayLike<number>): void {
  const a = ws.blockStart[b]!;
  const e = ws.blockStart[b + 1]!;
  const idx = ws.idx[0]!;
  const rate = ws.spec.subsample;
  // Without row sampling the root holds rows a..e in order and its index list is implicit
  // (splitTask and updateTask read row i for position i): no list to write or read.
  let m = e;
  if (rate < 1) {
    m = a;
    const key = streamKey(ws.spec.seed, args[A_ITER]!);
    for (let r = a; r < e; r++) if (uniformOf(key, r) < rate) idx[m++] = r;
  }
  ws.ranges[b * 2] = a;
  ws.ranges[b * 2 + 1] = m - a;
  const base = b * ws.blockHistLen;
  ws.hists.fill(0, base, base + ws.blockHistLen);
  const { hist } = loopsFor(ws, args);
  const k2 = 2 * args[A_K]!;
  if (rate < 1) hist.indexed0(base, a, m, k2);
  else hist.sequential(base, a, e, k2);
}

/** Whether node's index list is implicit (the root without row sampling: position i is row i). */
function implicitRows(ws: Workspace, node: number): boolean {
  return node === 0 && ws.spec.subsample === 1;
}

function splitTask(ws: Workspace, b: number, args: ArrayLike<number>): void {
  const B = ws.B;
  const parent = args[A_PARENT]!;
  const left = args[A_LEFT]!;
  const right = args[A_RIGHT]!;
  const pr = (parent * B + b) * 2;
  const a = ws.ranges[pr]!;
  const c = ws.ranges[pr + 1]!;
  const from = ws.nodeBuf[parent]!;
  const bound = loopsFor(ws, args);
  const nl = bound.loops.partition(implicitRows(ws, parent) ? 2 : from, a, c, args[A_GROUP]! * ws.n, parent * 256);
  ws.ranges[(left * B + b) * 2] = a;
  ws.ranges[(left * B + b) * 2 + 1] = nl;
  ws.ranges[(right * B + b) * 2] = a + nl;
  ws.ranges[(right * B + b) * 2 + 1] = c - nl;
  const build = args[A_BUILD]!;
  if (build === 0) return;
  const s = build === 1 ? a : a + nl;
  const e = build === 1 ? a + nl : a + c;
  if (e === s) return;
  const base = b * ws.blockHistLen;
  ws.hists.fill(0, base, base + ws.blockHistLen);
  // The children were written to the other buffer.
  if (from === 0) bound.hist.indexed1(base, s, e, 2 * args[A_K]!);
  else bound.hist.indexed0(base, s, e, 2 * args[A_K]!);
}

// A tree that is a single leaf updates through an explicit identity list, built once on demand.
const identities = new WeakMap<Workspace, Int32Array>();
function identity(ws: Workspace): Int32Array {
  let id = identities.get(ws);
  if (id === undefined) {
    id = new Int32Array(ws.n);
    for (let i = 0; i < ws.n; i++) id[i] = i;
    identities.set(ws, id);
  }
  return id;
}

/** The leaf reached by row r of a row-major group-code matrix in the workspace's current tree. */
function walk(ws: Workspace, bins: Uint8Array, r: number): number {
  const child = ws.treeChild;
  const group = ws.treeGroup;
  const lut = ws.treeLut;
  const base = r * ws.G;
  let node = 0;
  while (child[2 * node]! >= 0) {
    node = child[2 * node + 1 - lut[node * 256 + bins[base + group[node]!]!]!]!;
  }
  return node;
}

/** Rows per chunk of the fused update: gradients are still in L1 when the histogram reads them. */
const CHUNK_ROWS = 2048;

function updateTask(ws: Workspace, task: number, args: ArrayLike<number>): void {
  const K = ws.K;
  const k = args[A_K]!;
  const value = ws.treeValue;
  if (task >= ws.B) {
    const v = ws.valid!;
    const vb = task - ws.B;
    const raw = v.raw;
    for (let r = v.blockStart[vb]!, e = v.blockStart[vb + 1]!; r < e; r++) raw[r * K + k]! += value[walk(ws, v.rowBins, r)]!;
    return;
  }
  const b = task;
  const B = ws.B;
  const raw = ws.raw;
  const numNodes = args[A_NUMNODES]!;
  if (args[A_FUSED]! === 1) return fusedUpdate(ws, b, numNodes, args);
  for (let node = 0; node < numNodes; node++) {
    if (ws.treeChild[2 * node]! >= 0) continue;
    const v = value[node]!;
    const idx = implicitRows(ws, node) ? identity(ws) : ws.idx[ws.nodeBuf[node]!]!;
    const a = ws.ranges[(node * B + b) * 2]!;
    const c = ws.ranges[(node * B + b) * 2 + 1]!;
    for (let i = a; i < a + c; i++) raw[idx[i]! * K + k]! += v;
  }
  const rate = ws.spec.subsample;
  if (rate < 1) {
    const key = streamKey(ws.spec.seed, args[A_ITER]!);
    for (let r = ws.blockStart[b]!, e = ws.blockStart[b + 1]!; r < e; r++) {
      if (!(uniformOf(key, r) < rate)) raw[r * K + k]! += value[walk(ws, ws.rowBins, r)]!;
    }
  }
}

/**
 * Fused mode: first each row of the block is labelled with its leaf (a scatter into a small array
 * that stays in cache), then one pass in row order adds leaf values and computes the next
 * gradients, and, when asked, the next tree's root histogram chunk by chunk. Rows are summed into
 * the histogram in the same order as ROOT would.
 */
function fusedUpdate(ws: Workspace, b: number, numNodes: number, args: ArrayLike<number>): void {
  const B = ws.B;
  const leafOf = ws.leafOf!;
  const { loops: bound, hist } = loopsFor(ws, args);
  const lv = bound.leafValue;
  const lf = bound.leafFactor;
  let leaves = 0;
  for (let node = 0; node < numNodes; node++) {
    if (ws.treeChild[2 * node]! >= 0) continue;
    const j = leaves++;
    lv[j] = ws.treeValue[node]!;
    lf[j] = Math.exp(-lv[j]!);
    const a = ws.ranges[(node * B + b) * 2]!;
    const c = ws.ranges[(node * B + b) * 2 + 1]!;
    if (implicitRows(ws, node)) { leafOf.fill(j, a, a + c); continue; }
    const idx = ws.idx[ws.nodeBuf[node]!]!;
    for (let i = a; i < a + c; i++) leafOf[idx[i]!] = j;
  }
  const apply = bound.applyLeaves!;
  const s = ws.blockStart[b]!;
  const e = ws.blockStart[b + 1]!;
  if (args[A_NEXT_ROOT]! !== 1) {
    apply(s, e);
    return;
  }
  const base = b * ws.blockHistLen;
  ws.hists.fill(0, base, base + ws.blockHistLen);
  for (let r = s; r < e; r += CHUNK_ROWS) {
    const end = Math.min(e, r + CHUNK_ROWS);
    apply(r, end);
    hist.sequential(base, r, end, 0);
  }
  ws.ranges[b * 2] = s;
  ws.ranges[b * 2 + 1] = e - s;
}
