/**
 * One tree of a random forest, grown depth-first on binned data by one thread.
 *
 * The tree learns from a bootstrap sample held as integer weights (bootstrap.ts): only in-bag rows
 * are visited, each carrying its count (times its sample weight). A node's histogram holds, per
 * bin, the weight of its rows and their weighted label sums (gbdt's histogram layout and kernel,
 * with gradient = w * y and hessian = w); for binary labels the Gini decrease and for regression the
 * squared-error decrease are both functions of these two sums (gbdt's split finder with no
 * regularization finds the best split); K classes keep K such histograms (split-multiclass.ts).
 *
 * Histogram subtraction: of two children only the one with fewer rows is built from rows; the
 * other is the parent's histogram minus it. A split moves the node's row numbers into a second
 * index array, left child's first, so every node's rows are one run of one of the two arrays.
 *
 * Features are sampled per split, as scikit-learn does: features are drawn without replacement
 * from a seeded stream of the tree until `maxFeatures` that are not constant in the node are found
 * (the histogram tells which are), and among equal gains the first drawn wins. The stream belongs
 * to the tree and the nodes are visited in a fixed order, so the tree depends on (seed, tree) only.
 *
 * Node values: class shares come straight from the node sums, which are exact small integers when
 * weights are bootstrap counts; regression means (and anything with sample weights) are summed
 * again from each leaf's rows in double precision, since histograms carry labels as 32-bit floats
 * (plenty to choose splits).
 *
 * @example
 * const builder = new TreeBuilder(data, params);
 * const tree = builder.build(7); // tree 7 of the forest, whichever thread builds it
 */
import { Rng } from '../../core/rng.ts';
import { groupLut, histogramKernel, marginalize, type HistogramKernel, type HistogramLayout } from '../trees/histogram.ts';
import { uniformOf } from '../trees/sampling.ts';
import { findBestSplit, type SplitParams } from '../trees/split.ts';
import { treeFromNodes, type NodeSpec, type Tree } from '../trees/tree.ts';
import type { Task } from '../estimator.ts';
import { bootstrapCount, poissonTable, treeFeatureSeed, treeKey } from './bootstrap.ts';
import { findMulticlassSplit, type NodeSplit } from '../trees/split-multiclass.ts';
import { EXACT_MAX_ROWS, ExactSplitter } from '../trees/split-exact.ts';
import { FINE_MISSING } from '../trees/fine.ts';

/** A fitted tree: splits in bin space (gbdt's Tree) and the outputs of every node. */
export interface ForestTree {
  /** Structure, cover (weight of the node's sample) and gain (weighted impurity decrease). */
  readonly tree: Tree;
  /** numNodes x outputs, row-major: P(class 1) or the mean (1 output), or class probabilities. */
  readonly values: Float64Array;
  /**
   * Whether the tree's sample is the hashed bootstrap of (seed, tree) (false: every row once, when
   * bootstrap is off or a tiny data set drew an empty bag). Known at fit time only.
   */
  readonly bagged?: boolean;
}

/** The training data every thread shares (typed arrays may sit on SharedArrayBuffers). */
export interface GrowData {
  readonly n: number;
  readonly layout: HistogramLayout;
  /** Group codes of the layout, row-major (n x numGroups bytes): what histograms read. */
  readonly codes: Uint8Array;
  /** The same, column-major (group g at g * n): what partitions read, one byte array per group. */
  readonly colCodes: Uint8Array;
  /** 1 for categorical features. */
  readonly categorical: Uint8Array;
  /** 0/1, class codes 0..K-1, or values. */
  readonly label: Float64Array;
  /** Sample weights scaled to mean 1, or null. */
  readonly weight: Float64Array | null;
  /**
   * Per feature, its fine codes (../trees/fine.ts; one Uint16 per row) and each code's byte bin,
   * or null: features whose byte bins are not exact. Absent: no fine codes.
   */
  readonly fine?: readonly ({ codes: Uint16Array; coarse: Uint8Array } | null)[];
}

export interface GrowParams {
  readonly task: Task;
  readonly numClasses: number;
  readonly maxDepth: number;
  readonly maxFeatures: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  readonly bootstrap: boolean;
  readonly maxSamples: number;
  readonly seed: number;
  /** Nodes with at most this many rows split features with fine codes exactly (0: never). */
  readonly exactSplitRows?: number;
}

/** Weights below this are absent (histogram subtraction leaves rounding dust behind). */
const MIN_WEIGHT = 1e-9;

/**
 * Partition of src[a..b) (row numbers) by lut[col[row]] (1 = left) into dst[a..b): left rows from
 * a up, in order, right rows from b - 1 down; returns where the right rows start. Rows move
 * between two index arrays (the node's children live in the other one), so nothing is copied
 * back. Branch-free, since left or right is a coin toss for the branch predictor: each row is
 * written at both ends and only its own end advances (a slot's last write is always its owner's).
 */
function partition(src: Int32Array, dst: Int32Array, col: Uint8Array, lut: Uint8Array, a: number, b: number): number {
  let l = a;
  let r = b - 1;
  for (let j = a; j < b; j++) {
    const row = src[j]!;
    const left = lut[col[row]!]!;
    dst[l] = row;
    dst[r] = row;
    l += left;
    r -= 1 - left;
  }
  return l;
}

/** partition() for an exact split: left when code <= threshold, missing (FINE_MISSING) by defaultLeft. */
function partitionFine(src: Int32Array, dst: Int32Array, codes: Uint16Array, threshold: number, missingLeft: number, a: number, b: number): number {
  let l = a;
  let r = b - 1;
  for (let j = a; j < b; j++) {
    const row = src[j]!;
    const c = codes[row]!;
    const left = (c <= threshold ? 1 : 0) | (c === FINE_MISSING ? missingLeft : 0);
    dst[l] = row;
    dst[r] = row;
    l += left;
    r -= 1 - left;
  }
  return l;
}

/**
 * Moves a numeric threshold to the middle of the empty bins after it. Every threshold between the
 * node's last value on the left and its first on the right splits the node's rows alike, and the
 * split finders return the first; new values falling in the gap would then all go right.
 * scikit-learn puts the threshold midway between the two values; here it is the middle bin.
 */
function centerThreshold(s: NodeSplit, hist: Float64Array, layout: HistogramLayout): void {
  const o = layout.offsets[s.feature]!;
  const nb = layout.numBins[s.feature]!;
  let u = s.threshold + 1;
  while (u < nb && !(hist[(o + u) * 2 + 1]! > MIN_WEIGHT)) u++;
  if (u >= nb) return;
  const t = (s.threshold + u) >> 1;
  if (t === s.threshold) return;
  for (let b = s.threshold + 1; b <= t; b++) s.lut[b] = 1;
  s.threshold = t;
}

export class TreeBuilder {
  readonly #d: GrowData;
  readonly #p: GrowParams;
  /** Outputs per node: 1 (binary, regression) or K classes. */
  readonly #K: number;
  /** Row numbers of the sample in node order; a node's rows are a run of one of the two. */
  readonly #idx: [Int32Array, Int32Array];
  readonly #gh: Float32Array;
  readonly #w: Float64Array;
  readonly #kernel: HistogramKernel;
  readonly #groupsAll: Int32Array;
  readonly #histLen: number;
  readonly #groupLen: number;
  readonly #pool: Float64Array[][] = [];
  readonly #perm: Int32Array;
  readonly #chosen: Int32Array;
  readonly #lut = new Uint8Array(256);
  readonly #poisson: Float64Array;
  /** Regression: labels are centered on their mean before they become 32-bit floats. */
  readonly #center: number;
  readonly #labelVar: number;
  readonly #splitParams: SplitParams;
  /** Whether histogram sums are exact (class labels, integer weights): leaf values need no pass over rows. */
  readonly #exactSums: boolean;
  /**
   * Least weight of a leaf. The default minSamplesLeaf of 1 only asks for a non-empty leaf: with
   * sample weights (scaled to mean 1) a single light row may be a leaf, as in scikit-learn.
   */
  readonly #minLeaf: number;
  /** Whether the last sample was the hashed bootstrap (see ForestTree.bagged). */
  #bagged = false;
  /** Scratch label sums (per output) of the node being split, its left and right children. */
  readonly #S: Float64Array;
  readonly #leftS: Float64Array;
  readonly #rightS: Float64Array;
  /** Exact splits: the rows at most, the splitter, the chosen features split by kind. */
  readonly #exactRows: number;
  readonly #exact: ExactSplitter | null;
  readonly #binChosen: Int32Array;
  /** Every feature has fine codes: nodes of at most #exactRows rows need no histogram. */
  readonly #allFine: boolean;
  readonly #noHist = new Float64Array(0);

  constructor(data: GrowData, params: GrowParams) {
    this.#d = data;
    this.#p = params;
    const K = params.task === 'multiclass' ? params.numClasses : 1;
    this.#K = K;
    this.#S = new Float64Array(K);
    this.#leftS = new Float64Array(K);
    this.#rightS = new Float64Array(K);
    this.#idx = [new Int32Array(data.n), new Int32Array(data.n)];
    this.#gh = new Float32Array(data.n * 2 * K);
    this.#w = new Float64Array(data.n);
    const G = data.layout.numGroups;
    this.#groupsAll = Int32Array.from({ length: G }, (_, g) => g);
    this.#kernel = histogramKernel(data.layout, this.#groupsAll, K);
    this.#histLen = data.layout.slots * 2;
    this.#groupLen = data.layout.groupSlotsTotal * 2;
    this.#perm = Int32Array.from({ length: data.layout.numFeatures }, (_, f) => f);
    this.#chosen = new Int32Array(data.layout.numFeatures);
    this.#binChosen = new Int32Array(data.layout.numFeatures);
    const anyFine = data.fine?.some((f) => f !== null) ?? false;
    this.#exactRows = anyFine ? Math.min(EXACT_MAX_ROWS, params.exactSplitRows ?? 0) : 0;
    this.#exact = this.#exactRows > 0 ? new ExactSplitter(K, params.task) : null;
    this.#allFine = this.#exactRows > 0 && Array.from({ length: data.layout.numFeatures }, (_, f) => data.fine?.[f] ?? null).every((x) => x !== null);
    this.#poisson = poissonTable(params.maxSamples);
    this.#minLeaf = params.minSamplesLeaf > 1 ? params.minSamplesLeaf : MIN_WEIGHT;
    this.#exactSums = params.task !== 'regression' && data.weight === null;
    let center = 0;
    let spread = 0;
    if (params.task === 'regression') {
      // Weighted mean and variance of the labels: the centre for 32-bit labels, and the scale of
      // split gains that are rounding noise rather than signal.
      let sw = 0;
      for (let r = 0; r < data.n; r++) { const w = data.weight ? data.weight[r]! : 1; sw += w; center += w * data.label[r]!; }
      center /= sw;
      for (let r = 0; r < data.n; r++) { const w = data.weight ? data.weight[r]! : 1; const e = data.label[r]! - center; spread += w * e * e; }
      spread /= sw;
    }
    this.#center = center;
    this.#labelVar = spread;
    this.#splitParams = {
      l2: 0, minSamplesLeaf: this.#minLeaf, minHessianLeaf: 0, minGain: 0,
      // Categories ordered by their label mean, every prefix tried from either end: the exact
      // best subset for two classes and for squared error (Fisher; Breiman et al.).
      catSmoothing: 0, catL2: 0, catMaxSetSize: 255, catMinSamples: MIN_WEIGHT, catMaxOneHot: 0,
    };
  }

  #takeHist(): Float64Array[] {
    const h = this.#pool.pop();
    if (h) return h;
    const buf = new Float64Array(this.#histLen * this.#K);
    return Array.from({ length: this.#K }, (_, k) => buf.subarray(k * this.#histLen, (k + 1) * this.#histLen));
  }

  /** Rows idx[a..b) into a fresh histogram. */
  #build(idx: Int32Array, a: number, b: number): Float64Array[] {
    const h = this.#takeHist();
    for (let k = 0; k < this.#K; k++) {
      const v = h[k]!;
      v.fill(0, 0, this.#groupLen);
      this.#kernel.indexed(idx, this.#gh, this.#d.codes, v, a, b, 2 * k);
    }
    return h;
  }

  /** The bootstrap sample of tree t into idx / w / gh; returns its row count. */
  #sample(t: number): number {
    const { n, label, weight } = this.#d;
    const K = this.#K;
    const task = this.#p.task;
    const idx = this.#idx[0];
    const w = this.#w;
    const gh = this.#gh;
    const key = treeKey(this.#p.seed, t);
    const table = this.#poisson;
    let m = 0;
    for (let pass = 0; pass < 2 && m === 0; pass++) {
      // A tiny data set can draw an empty bag; the tree then sees every row once.
      const all = pass === 1 || !this.#p.bootstrap;
      this.#bagged = !all;
      for (let r = 0; r < n; r++) {
        const c = all ? 1 : bootstrapCount(table, uniformOf(key, r));
        if (c === 0) continue;
        const wr = weight ? c * weight[r]! : c;
        if (!(wr > 0)) continue;
        idx[m++] = r;
        w[r] = wr;
        const y = label[r]!;
        if (task === 'multiclass') {
          const q = r * 2 * K;
          for (let k = 0; k < K; k++) { gh[q + 2 * k] = y === k ? wr : 0; gh[q + 2 * k + 1] = wr; }
        } else {
          gh[2 * r] = wr * (task === 'regression' ? y - this.#center : y);
          gh[2 * r + 1] = wr;
        }
      }
    }
    return m;
  }

  /**
   * Up to maxFeatures features not constant in the node, into #chosen in the order drawn; returns
   * how many. The order matters: among splits of equal gain the first wins, and with the draw
   * order ties are broken at random (as scikit-learn does), not always for the first column.
   */
  #chooseFeatures(hist: Float64Array, rng: Rng, exact: { idx: Int32Array; a: number; b: number } | null): number {
    const F = this.#perm.length;
    const perm = this.#perm;
    const layout = this.#d.layout;
    let found = 0;
    for (let j = 0; j < F && found < this.#p.maxFeatures; j++) {
      if (this.#p.maxFeatures < F) {
        const k = j + rng.int(F - j);
        const tmp = perm[j]!; perm[j] = perm[k]!; perm[k] = tmp;
      }
      const f = perm[j]!;
      const fine = exact ? this.#d.fine![f] : null;
      if (fine) {
        // Rows may differ inside one byte bin: look at their codes.
        if (ExactSplitter.varies(exact!.idx, exact!.a, exact!.b, fine.codes)) this.#chosen[found++] = f;
        continue;
      }
      const o = layout.offsets[f]!;
      let present = 0;
      for (let b = 0; b <= layout.numBins[f]! && present < 2; b++) if (hist[(o + b) * 2 + 1]! > MIN_WEIGHT) present++;
      if (present >= 2) this.#chosen[found++] = f;
    }
    return found;
  }

  #split(hists: Float64Array[] | null | undefined, S: Float64Array, W: number, nf: number, exact: { idx: Int32Array; a: number; b: number } | null): NodeSplit | null {
    if (exact) return this.#exactSplit(hists ?? null, S, W, nf, exact);
    if (!hists) return null;
    const s = this.#bestSplit(hists, S, W, nf, this.#chosen);
    if (s && !s.categorical) centerThreshold(s, hists[0]!, this.#d.layout);
    return s;
  }

  /** A small node: features with fine codes by exact search, the others by their histograms. */
  #exactSplit(hists: Float64Array[] | null, S: Float64Array, W: number, nf: number, at: { idx: Int32Array; a: number; b: number }): NodeSplit | null {
    const fine = this.#d.fine!;
    let nb = 0;
    for (let j = 0; j < nf; j++) { const f = this.#chosen[j]!; if (!fine[f]) this.#binChosen[nb++] = f; }
    // Bare nodes (no histogram) only arise when every feature has fine codes: nb is then 0.
    let best = nb > 0 && hists ? this.#bestSplit(hists, S, W, nb, this.#binChosen) : null;
    if (best && hists && !best.categorical) centerThreshold(best, hists[0]!, this.#d.layout);
    const regression = this.#p.task === 'regression';
    const minGain = regression ? 1e-10 * W * this.#labelVar : 1e-12 * W;
    for (let j = 0; j < nf; j++) {
      const f = this.#chosen[j]!;
      const fc = fine[f];
      if (!fc) continue;
      const e = this.#exact!.best(at.idx, at.a, at.b, fc.codes, this.#w, this.#d.label, this.#center, this.#minLeaf, S, W, minGain);
      if (!e || (best && !(e.decrease > best.decrease))) continue;
      // The byte-bin threshold is what a histogram reader would see; the fine one decides.
      const coarse = e.threshold >= fc.coarse.length ? this.#d.layout.numBins[f]! - 1 : fc.coarse[e.threshold]!;
      const lut = new Uint8Array(256);
      for (let b = 0; b <= coarse; b++) lut[b] = 1;
      for (let b = this.#d.layout.numBins[f]!; b < 256; b++) lut[b] = e.defaultLeft ? 1 : 0;
      // The splitter reuses its scratch on the next feature: keep the sums.
      this.#leftS.set(e.leftS);
      best = {
        feature: f, categorical: false, threshold: coarse, defaultLeft: e.defaultLeft, lut, fine: e.threshold,
        decrease: e.decrease, leftW: e.leftW, leftS: this.#leftS,
      };
    }
    return best;
  }

  #bestSplit(hists: Float64Array[], S: Float64Array, W: number, nf: number, features: Int32Array): NodeSplit | null {
    const d = this.#d;
    if (this.#K > 1) {
      return findMulticlassSplit(hists, d.layout, features, nf, d.categorical, S, W, {
        minSamplesLeaf: this.#minLeaf, minGain: 1e-12 * W, minCategoryWeight: MIN_WEIGHT,
      });
    }
    const regression = this.#p.task === 'regression';
    // Gains below this are rounding noise (e.g. a node whose labels are all equal).
    this.#splitParams.minGain = regression ? 1e-10 * W * this.#labelVar : 1e-12 * W;
    const s = findBestSplit(hists[0]!, d.layout, features, nf, d.categorical, S[0]!, W, W, this.#splitParams);
    if (!s) return null;
    // findBestSplit's gain is half the decrease of sum S^2/W; the weighted Gini decrease of 0/1
    // labels is twice that again.
    return {
      feature: s.feature, categorical: s.categorical, threshold: s.threshold, defaultLeft: s.defaultLeft, lut: s.lut,
      decrease: s.gain * (regression ? 2 : 4), leftW: s.hl, leftS: this.#leftS.fill(s.gl),
    };
  }

  #pure(S: Float64Array, W: number): boolean {
    if (this.#p.task === 'regression') return false;
    if (this.#K === 1) return S[0] === 0 || S[0] === W;
    for (let k = 0; k < this.#K; k++) if (S[k] === W) return true;
    return false;
  }

  #splittable(depth: number, rows: number, S: Float64Array, W: number): boolean {
    const p = this.#p;
    // minSamplesSplit's default of 2 asks for two distinct rows, whatever their weights.
    return (p.maxDepth === 0 || depth < p.maxDepth) && rows >= 2 && (p.minSamplesSplit <= 2 || W >= p.minSamplesSplit) && W >= 2 * this.#minLeaf && !this.#pure(S, W);
  }

  /** Grows tree t of the forest. */
  build(t: number): ForestTree {
    const d = this.#d;
    const K = this.#K;
    const idx = this.#idx;
    const layout = d.layout;
    const G = layout.numGroups;
    const m = this.#sample(t);
    const rng = new Rng(treeFeatureSeed(this.#p.seed, t));
    // The draw order of features starts afresh per tree: a tree must not depend on the trees this
    // thread grew before it.
    for (let f = 0; f < this.#perm.length; f++) this.#perm[f] = f;

    const nodes: NodeSpec[] = [];
    /** Per node: its rows idx[inIdx][start..end), depth, label sums (K per node) and weight. */
    const start: number[] = [];
    const end: number[] = [];
    const inIdx: number[] = [];
    const depth: number[] = [];
    const sums: number[] = [];
    const weights: number[] = [];
    const hists: (Float64Array[] | null)[] = [];
    const bare: number[] = [];
    const add = (a: number, b: number, buf: number, dep: number, S: Float64Array, W: number): number => {
      nodes.push({ feature: -1, left: -1, right: -1, threshold: -1, categorical: false, defaultLeft: false, lut: null, value: 0, cover: W, gain: 0 });
      start.push(a); end.push(b); inIdx.push(buf); depth.push(dep); weights.push(W); hists.push(null); bare.push(0);
      for (let k = 0; k < K; k++) sums.push(S[k]!);
      return nodes.length - 1;
    };

    const rootS = new Float64Array(K);
    let rootW = 0;
    let rootHist: Float64Array[] | null = null;
    if (m > 0) {
      rootHist = this.#build(idx[0], 0, m);
      // Node totals from the first group's slots (each row falls in exactly one of them).
      const g0 = layout.groupOffset[0]!;
      for (let code = 0; code < layout.groupSlots[0]!; code++) {
        const s = (g0 + code) * 2;
        rootW += rootHist[0]![s + 1]!;
        for (let k = 0; k < K; k++) rootS[k]! += rootHist[k]![s]!;
      }
    }
    const root = add(0, m, 0, 0, rootS, rootW);
    if (rootHist) {
      if (this.#splittable(0, m, rootS, rootW)) hists[root] = rootHist;
      else this.#pool.push(rootHist);
    }

    const stack = [root];
    const lut = this.#lut;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const h = hists[i];
      // A node to split without a histogram: every feature has fine codes and the node is small.
      if (!h && !bare[i]) continue;
      hists[i] = null;
      const S = this.#S;
      for (let k = 0; k < K; k++) S[k] = sums[i * K + k]!;
      const W = weights[i]!;
      if (h) for (let k = 0; k < K; k++) marginalize(layout, h[k]!, this.#groupsAll, G);
      const a = start[i]!;
      const b = end[i]!;
      const from = inIdx[i]!;
      const exact = b - a <= this.#exactRows ? { idx: idx[from]!, a, b } : null;
      const nf = this.#chooseFeatures(h ? h[0]! : this.#noHist, rng, exact);
      const s = nf > 0 ? this.#split(h, S, W, nf, exact) : null;
      if (!s) { if (h) this.#pool.push(h); continue; }

      // The node's rows move to the other index array, left child's first.
      const to = 1 - from;
      let l: number;
      if (s.fine !== undefined && s.fine >= 0) {
        l = partitionFine(idx[from]!, idx[to]!, d.fine![s.feature]!.codes, s.fine, s.defaultLeft ? 1 : 0, a, b);
      } else {
        const g = layout.groupOf[s.feature]!;
        // A feature alone in its group has codes = bins; bundled ones need the code -> side table.
        let table = s.lut;
        if (layout.groupFeatures[g]!.length > 1) { groupLut(layout, s.feature, s.lut, lut, 0); table = lut; }
        // The split group's codes alone (n bytes) stay in cache better than rows of G bytes.
        l = partition(idx[from]!, idx[to]!, d.colCodes.subarray(g * d.n, (g + 1) * d.n), table, a, b);
      }

      const node = nodes[i]!;
      node.feature = s.feature;
      node.threshold = s.threshold;
      node.categorical = s.categorical;
      node.defaultLeft = s.defaultLeft;
      node.lut = s.lut;
      if (s.fine !== undefined && s.fine >= 0) node.fine = s.fine;
      node.gain = s.decrease;
      const rightS = this.#rightS;
      for (let k = 0; k < K; k++) rightS[k] = S[k]! - s.leftS[k]!;
      const dep = depth[i]! + 1;
      const left = add(a, l, to, dep, s.leftS, s.leftW);
      const right = add(l, b, to, dep, rightS, W - s.leftW);
      node.left = left;
      node.right = right;

      const splitL = this.#splittable(dep, l - a, s.leftS, s.leftW);
      const splitR = this.#splittable(dep, b - l, rightS, W - s.leftW);
      // With fine codes for every feature, small children are split from their rows alone.
      const bareL = splitL && this.#allFine && l - a <= this.#exactRows;
      const bareR = splitR && this.#allFine && b - l <= this.#exactRows;
      if (bareL) bare[left] = 1;
      if (bareR) bare[right] = 1;
      const needL = splitL && !bareL;
      const needR = splitR && !bareR;
      if (!h) {
        // Children of a bare node are smaller: bare too.
      } else if (needL || needR) {
        const leftSmaller = l - a <= b - l;
        const small = leftSmaller ? this.#build(idx[to]!, a, l) : this.#build(idx[to]!, l, b);
        const smallNeeded = leftSmaller ? needL : needR;
        const largeNeeded = leftSmaller ? needR : needL;
        if (largeNeeded) {
          const len = this.#groupLen;
          for (let k = 0; k < K; k++) {
            const ph = h[k]!;
            const sh = small[k]!;
            for (let q = 0; q < len; q++) ph[q]! -= sh[q]!;
          }
          hists[leftSmaller ? right : left] = h;
        } else this.#pool.push(h);
        if (smallNeeded) hists[leftSmaller ? left : right] = small;
        else this.#pool.push(small);
      } else this.#pool.push(h);
      // Right pushed first: the left subtree is grown first.
      stack.push(right, left);
    }
    const values = this.#exactSums ? this.#valuesFromSums(nodes, sums) : this.#valuesFromRows(nodes, start, end, inIdx);
    return { tree: treeFromNodes(nodes), values, bagged: this.#bagged };
  }

  /**
   * Node outputs from the nodes' label sums. Exact when every weight is an integer (bootstrap
   * counts, no sample weights) and labels are classes: all sums are then small integers.
   */
  #valuesFromSums(nodes: NodeSpec[], sums: number[]): Float64Array {
    const K = this.#K;
    const values = new Float64Array(nodes.length * K);
    const multi = this.#p.task === 'multiclass';
    for (let i = 0; i < nodes.length; i++) {
      const W = nodes[i]!.cover;
      if (!(W > 0)) continue;
      if (multi) for (let k = 0; k < K; k++) values[i * K + k] = sums[i * K + k]! / W;
      else values[i] = sums[i]! / W;
      nodes[i]!.value = values[i * K]!;
    }
    return values;
  }

  /** Exact node weights and outputs: leaves from their rows in double precision, internal nodes from their children. */
  #valuesFromRows(nodes: NodeSpec[], start: number[], end: number[], inIdx: number[]): Float64Array {
    const K = this.#K;
    const { label } = this.#d;
    const w = this.#w;
    const values = new Float64Array(nodes.length * K);
    const multi = this.#p.task === 'multiclass';
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (node.left < 0) {
        let sw = 0;
        const idx = this.#idx[inIdx[i]!]!;
        for (let j = start[i]!; j < end[i]!; j++) {
          const r = idx[j]!;
          const wr = w[r]!;
          sw += wr;
          if (multi) values[i * K + label[r]!]! += wr;
          else values[i]! += wr * label[r]!;
        }
        node.cover = sw;
        if (sw > 0) for (let k = 0; k < K; k++) values[i * K + k]! /= sw;
        continue;
      }
      const wl = nodes[node.left]!.cover;
      const wr = nodes[node.right]!.cover;
      node.cover = wl + wr;
      for (let k = 0; k < K; k++) values[i * K + k] = (wl * values[node.left * K + k]! + wr * values[node.right * K + k]!) / (wl + wr);
    }
    for (let i = 0; i < nodes.length; i++) nodes[i]!.value = values[i * K]!;
    return values;
  }
}
