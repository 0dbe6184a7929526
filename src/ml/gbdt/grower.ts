/**
 * Leaf-wise growth of one tree (best-first, as LightGBM): repeatedly split the leaf whose best
 * split reduces the loss most, until `maxLeaves` leaves or no split passes the constraints.
 *
 * Per split only the smaller child's histogram is built from rows; the larger child's is the
 * parent's minus the smaller's. Row work (partitions, histograms) runs as block tasks on the
 * executor; the histogram reduction, split search and bookkeeping stay on the main thread.
 *
 * @example
 * const grower = new TreeGrower(ws, exec, params, categorical);
 * grower.setFeatures(features);
 * const tree = grower.grow(0, iteration, true);
 */
import type { Executor } from './pool.ts';
import { A_BUILD, A_FUSED, A_GROUP, A_ITER, A_K, A_LEFT, A_NACTIVE, A_NEXT_ROOT, A_NUMNODES, A_PARENT, A_RIGHT, A_VERSION, NUM_ARGS, OP_ROOT, OP_SPLIT, OP_UPDATE } from './kernels.ts';
import { groupLut, histogramKernel, marginalize, reduceHistograms } from '../trees/histogram.ts';
import { findBestSplit, type SplitCandidate, type SplitParams } from '../trees/split.ts';
import { treeFromNodes, type NodeSpec, type Tree } from '../trees/tree.ts';
import type { Workspace } from './workspace.ts';

export interface GrowParams extends SplitParams {
  maxLeaves: number;
  maxDepth: number;
  learningRate: number;
}

/** Below this many rows a round runs on the main thread alone: waking workers would cost more. */
export const PARALLEL_MIN_ROWS = 16_384;

/** A child with fewer (estimated) rows gets its histogram built directly on the main thread. */
const DIRECT_MAX_ROWS = 8_192;

export class TreeGrower {
  readonly #ws: Workspace;
  readonly #exec: Executor;
  readonly #p: GrowParams;
  readonly #categorical: Uint8Array;
  readonly #args = new Int32Array(NUM_ARGS);
  readonly #hists: Float64Array[] = [];
  readonly #which: Int32Array;
  #features = new Int32Array(0);
  #groups = new Int32Array(0);
  #version = 0;

  constructor(ws: Workspace, exec: Executor, params: GrowParams, categorical: Uint8Array) {
    this.#ws = ws;
    this.#exec = exec;
    this.#p = params;
    this.#categorical = categorical;
    this.#which = new Int32Array(ws.B);
  }

  /** The features trees may split on from now on (ascending); their groups get histograms. */
  setFeatures(features: Int32Array): void {
    const ws = this.#ws;
    this.#features = features.slice();
    const used = new Uint8Array(ws.G);
    for (const f of features) used[ws.layout.groupOf[f]!] = 1;
    const groups: number[] = [];
    for (let g = 0; g < ws.G; g++) if (used[g]) groups.push(g);
    this.#groups = Int32Array.from(groups);
    ws.groups.set(this.#groups);
    this.#version++;
  }

  #takeHist(): Float64Array {
    return this.#hists.pop() ?? new Float64Array(this.#ws.histLen);
  }

  /** Rows of `node` over all blocks (exact, from the partitions). */
  #count(node: number): number {
    const ws = this.#ws;
    let rows = 0;
    for (let b = 0; b < ws.B; b++) rows += ws.ranges[(node * ws.B + b) * 2 + 1]!;
    return rows;
  }

  /** Sums the block histograms of blocks where `node` has rows into `out`; returns the node's row count. */
  #reduce(node: number, out: Float64Array): number {
    const ws = this.#ws;
    let m = 0;
    let rows = 0;
    for (let b = 0; b < ws.B; b++) {
      const c = ws.ranges[(node * ws.B + b) * 2 + 1]!;
      if (c > 0) { this.#which[m++] = b; rows += c; }
    }
    reduceHistograms(ws.hists, ws.blockHistLen, ws.blockHistLen, this.#which, m, out);
    return rows;
  }

  /** The histogram of `node` built on this thread over its rows in every block, in block order. */
  #buildDirect(node: number, k: number, out: Float64Array): void {
    const ws = this.#ws;
    out.fill(0, 0, ws.blockHistLen);
    const kernel = histogramKernel(ws.layout, this.#groups, ws.K);
    const idx = ws.idx[ws.nodeBuf[node]!]!;
    for (let b = 0; b < ws.B; b++) {
      const a = ws.ranges[(node * ws.B + b) * 2]!;
      const c = ws.ranges[(node * ws.B + b) * 2 + 1]!;
      if (c > 0) kernel.indexed(idx, ws.gh, ws.rowBins, out, a, a + c, 2 * k);
    }
  }

  #splittable(depth: number, count: number): boolean {
    return (this.#p.maxDepth === 0 || depth < this.#p.maxDepth) && count >= 2 * this.#p.minSamplesLeaf;
  }

  #search(hist: Float64Array, g: number, h: number, c: number): SplitCandidate | null {
    const ws = this.#ws;
    marginalize(ws.layout, hist, this.#groups, this.#groups.length);
    return findBestSplit(hist, ws.layout, this.#features, this.#features.length, this.#categorical, g, h, c, this.#p);
  }

  /**
   * Grows the tree of output k for this iteration, adds its leaf values to the raw scores (and,
   * when `fused`, computes the next gradients in the same pass), and returns it. `rootBuilt`: the
   * previous tree's update already built this tree's root histogram; `nextRoot`: this tree's update
   * builds the next one's (fused mode, same features).
   */
  grow(k: number, iter: number, fused: boolean, rootBuilt = false, nextRoot = false): Tree {
    const ws = this.#ws;
    const p = this.#p;
    const exec = this.#exec;
    const args = this.#args;
    const B = ws.B;
    args.fill(0);
    args[A_K] = k;
    args[A_ITER] = iter;
    args[A_NACTIVE] = this.#groups.length;
    args[A_VERSION] = this.#version;
    ws.treeChild.fill(-1);
    ws.nodeBuf[0] = 0;
    if (!rootBuilt) exec.run(OP_ROOT, args, B, ws.n >= PARALLEL_MIN_ROWS);

    const nodes: NodeSpec[] = [];
    const G: number[] = [];
    const H: number[] = [];
    const C: number[] = [];
    const depth: number[] = [];
    const hists: (Float64Array | null)[] = [];
    const cand: (SplitCandidate | null)[] = [];

    const rootHist = this.#takeHist();
    const rows = this.#reduce(0, rootHist);
    // Node totals from the first active group's slots (every row falls in exactly one of them).
    let g0 = 0;
    let h0 = 0;
    const g0Group = this.#groups[0]!;
    for (let code = 0; code < ws.layout.groupSlots[g0Group]!; code++) {
      const s = (ws.layout.groupOffset[g0Group]! + code) * 2;
      g0 += rootHist[s]!;
      h0 += rootHist[s + 1]!;
    }
    const leafValue = (g: number, h: number): number => {
      const d = h + p.l2;
      return d > 0 ? (-g / d) * p.learningRate : 0;
    };
    const addNode = (g: number, h: number, c: number, d: number, hist: Float64Array | null): number => {
      const id = nodes.length;
      nodes.push({ feature: -1, left: -1, right: -1, threshold: -1, categorical: false, defaultLeft: false, lut: null, value: leafValue(g, h), cover: c, gain: 0 });
      G.push(g); H.push(h); C.push(c); depth.push(d); hists.push(hist);
      cand.push(hist && this.#splittable(d, c) ? this.#search(hist, g, h, c) : null);
      return id;
    };
    addNode(g0, h0, rows, 0, rootHist);

    let leaves = 1;
    while (leaves < p.maxLeaves) {
      let best = -1;
      for (let i = 0; i < nodes.length; i++) {
        const c = cand[i];
        if (c && (best < 0 || c.gain > cand[best]!.gain)) best = i;
      }
      if (best < 0) break;
      const s = cand[best]!;
      cand[best] = null;
      const parentHist = hists[best]!;
      hists[best] = null;
      leaves++;
      const left = nodes.length;
      const right = left + 1;
      const node = nodes[best]!;
      node.feature = s.feature;
      node.left = left;
      node.right = right;
      node.threshold = s.threshold;
      node.categorical = s.categorical;
      node.defaultLeft = s.defaultLeft;
      node.lut = s.lut;
      node.gain = s.gain;
      const group = ws.layout.groupOf[s.feature]!;
      ws.treeGroup[best] = group;
      groupLut(ws.layout, s.feature, s.lut, ws.treeLut, best * 256);
      ws.treeChild[2 * best] = left;
      ws.treeChild[2 * best + 1] = right;
      ws.nodeBuf[left] = 1 - ws.nodeBuf[best]!;
      ws.nodeBuf[right] = 1 - ws.nodeBuf[best]!;

      const d = depth[best]! + 1;
      const more = leaves < p.maxLeaves;
      const leftSmaller = s.cl <= s.cr;
      const smallOk = more && this.#splittable(d, leftSmaller ? s.cl : s.cr);
      const largeOk = more && this.#splittable(d, leftSmaller ? s.cr : s.cl);
      const build = smallOk || largeOk ? (leftSmaller ? 1 : 2) : 0;
      // A small child's histogram is built here, straight into its node histogram block after
      // block: per-block histograms would cost more to clear and sum than its rows. The choice
      // depends on the data only, so the arithmetic is still the same at any thread count.
      const direct = build !== 0 && (leftSmaller ? s.cl : s.cr) < DIRECT_MAX_ROWS;
      args[A_PARENT] = best;
      args[A_LEFT] = left;
      args[A_RIGHT] = right;
      args[A_GROUP] = group;
      args[A_BUILD] = direct ? 0 : build;
      exec.run(OP_SPLIT, args, B, C[best]! >= PARALLEL_MIN_ROWS);

      let smallHist: Float64Array | null = null;
      let largeHist: Float64Array | null = null;
      if (build !== 0) {
        smallHist = this.#takeHist();
        if (direct) this.#buildDirect(leftSmaller ? left : right, k, smallHist);
        else this.#reduce(leftSmaller ? left : right, smallHist);
        if (largeOk) {
          for (let i = 0; i < ws.blockHistLen; i++) parentHist[i]! -= smallHist[i]!;
          largeHist = parentHist;
        }
      }
      if (largeHist === null) this.#hists.push(parentHist);
      const lh = leftSmaller ? smallHist : largeHist;
      const rh = leftSmaller ? largeHist : smallHist;
      addNode(s.gl, s.hl, this.#count(left), d, lh);
      addNode(s.gr, s.hr, this.#count(right), d, rh);
      // A child that cannot split will never need its histogram again.
      for (const id of [left, right]) {
        if (cand[id] === null && hists[id] !== null) { this.#hists.push(hists[id]!); hists[id] = null; }
      }
    }
    for (let i = 0; i < hists.length; i++) if (hists[i]) this.#hists.push(hists[i]!);

    for (let i = 0; i < nodes.length; i++) ws.treeValue[i] = nodes[i]!.value;
    args[A_NUMNODES] = nodes.length;
    args[A_FUSED] = fused ? 1 : 0;
    args[A_NEXT_ROOT] = fused && nextRoot ? 1 : 0;
    const tasks = B + (ws.valid ? ws.valid.blocks : 0);
    exec.run(OP_UPDATE, args, tasks, ws.n >= PARALLEL_MIN_ROWS);
    return treeFromNodes(nodes);
  }
}
