/**
 * The training workspace: every array the tree builder and its worker threads share, allocated
 * once per fit on SharedArrayBuffers.
 *
 * Rows are cut into a fixed number of blocks that depends only on the row count, never on the
 * thread count. Each block keeps its own slice of the row-index array (so a node's rows in a block
 * are contiguous and ascending, after stable partitions) and its own histogram; block histograms are
 * summed in block order. Whichever thread handles a block, the arithmetic is the same, so the model
 * is the same at any thread count.
 *
 * Bins are kept as group codes (see histogram.ts) twice: row-major, for histograms (a row's codes
 * share a cache line), and column-major, for partitions (which read one group of many rows). Row
 * indices live in two buffers: a split reads its parent's rows from one and writes the children
 * into the other (left part forward, right part backward), so no copy-back pass is needed.
 *
 * @example
 * const ws = Workspace.create({ bins, numBins, label, weight: null, outputs: 1, maxLeaves: 31, ... });
 * const again = Workspace.attach(ws.spec); // in a worker: the same memory
 */
import { codegenAllowed } from '../codegen.ts';
import { lossFor, objectiveCode, type Objective } from './losses.ts';
import { encodeGroups, histogramLayout, type FeatureBins, type HistogramLayout } from '../trees/histogram.ts';

/** Rows per block at least; blocks at most. Fixed: they define the summation order. */
const MIN_BLOCK_ROWS = 1 << 15;
const MAX_BLOCKS = 16;

export function blockCount(n: number): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.floor(n / MIN_BLOCK_ROWS)));
}

function blockStarts(n: number, blocks: number): Int32Array {
  const s = new Int32Array(shared(4 * (blocks + 1)));
  for (let b = 0; b <= blocks; b++) s[b] = Math.floor((n * b) / blocks);
  return s;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/** Structured-cloneable description of a workspace: numbers and SharedArrayBuffers. */
export interface WorkspaceSpec {
  n: number;
  numFeatures: number;
  outputs: number;
  blocks: number;
  maxNodes: number;
  numBins: number[];
  objective: number;
  huberDelta: number;
  subsample: number;
  seed: number;
  buffers: {
    blockStart: SharedArrayBuffer;
    rowBins: SharedArrayBuffer;
    colBins: SharedArrayBuffer;
    label: SharedArrayBuffer;
    weight: SharedArrayBuffer | null;
    raw: SharedArrayBuffer;
    gh: SharedArrayBuffer;
    idx0: SharedArrayBuffer;
    idx1: SharedArrayBuffer;
    nodeBuf: SharedArrayBuffer;
    ranges: SharedArrayBuffer;
    hists: SharedArrayBuffer;
    groups: SharedArrayBuffer;
    treeGroup: SharedArrayBuffer;
    treeChild: SharedArrayBuffer;
    treeLut: SharedArrayBuffer;
    treeValue: SharedArrayBuffer;
    leafOf: SharedArrayBuffer | null;
    state: SharedArrayBuffer | null;
  };
  valid: null | {
    n: number;
    blocks: number;
    blockStart: SharedArrayBuffer;
    rowBins: SharedArrayBuffer;
    raw: SharedArrayBuffer;
  };
}

export interface WorkspaceInit {
  /** Per-feature bins (row-major matrix or one array per feature). */
  bins: FeatureBins;
  numBins: ArrayLike<number>;
  label: Float64Array;
  weight: Float64Array | null;
  outputs: number;
  maxLeaves: number;
  objective: Objective;
  huberDelta: number;
  subsample: number;
  seed: number;
  /** Starting raw scores, n * outputs. */
  raw: Float64Array;
  valid?: { bins: FeatureBins; raw: Float64Array } | null;
}

function toShared(a: Float64Array): SharedArrayBuffer {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a.buffer;
  const sab = shared(a.byteLength);
  new Uint8Array(sab).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return sab;
}

/**
 * Whether the update can run fused with the next gradients (see kernels.ts): one output, every
 * row, and generated code allowed (the fused update exists only as generated code).
 */
export function fusable(o: { outputs: number; subsample: number }): boolean {
  return o.outputs === 1 && o.subsample === 1 && codegenAllowed();
}

export class Workspace {
  readonly spec: WorkspaceSpec;
  readonly n: number;
  readonly F: number;
  readonly K: number;
  readonly B: number;
  readonly G: number;
  readonly maxNodes: number;
  readonly layout: HistogramLayout;
  /** Numbers in a node histogram (group slots and bundled features' own slots). */
  readonly histLen: number;
  /** Numbers in a block histogram (group slots only). */
  readonly blockHistLen: number;
  readonly blockStart: Int32Array;
  /** Group codes, row-major: row r, group g at r * G + g. */
  readonly rowBins: Uint8Array;
  /** Group codes, column-major: group g, row r at g * n + r. */
  readonly colBins: Uint8Array;
  readonly label: Float64Array;
  readonly weight: Float64Array | null;
  readonly raw: Float64Array;
  /** Gradient/hessian pairs: [(row * K + k) * 2] and + 1. */
  readonly gh: Float32Array;
  /** The two row-index buffers; block b owns [blockStart[b], blockStart[b+1]) of each. */
  readonly idx: readonly [Int32Array, Int32Array];
  /** Which index buffer holds each node's rows. */
  readonly nodeBuf: Int32Array;
  /** Per (node, block): start and count of the node's rows, at [(node * B + block) * 2]. */
  readonly ranges: Int32Array;
  /** One histogram per block, blockHistLen numbers each. */
  readonly hists: Float64Array;
  /** Active groups of the current tree (ascending), count passed with each task. */
  readonly groups: Int32Array;
  /** The tree being grown: split group per node, children at [2 node] (-1: leaf), 256-entry group-code table per node (1: left), leaf values. */
  readonly treeGroup: Int32Array;
  readonly treeChild: Int32Array;
  readonly treeLut: Uint8Array;
  readonly treeValue: Float64Array;
  /**
   * Fused mode (one output, no row sampling): each row's leaf in the tree just grown, as the
   * leaf's ordinal among the tree's leaves, so that the update can visit rows in order.
   */
  readonly leafOf: Uint16Array | null;
  /** Fused mode, for losses that keep one (binary: e^-raw): per-row state beside the raw scores. */
  readonly state: Float64Array | null;
  readonly valid: null | { n: number; blocks: number; blockStart: Int32Array; rowBins: Uint8Array; raw: Float64Array };

  private constructor(spec: WorkspaceSpec) {
    this.spec = spec;
    const b = spec.buffers;
    this.n = spec.n;
    this.F = spec.numFeatures;
    this.K = spec.outputs;
    this.B = spec.blocks;
    this.maxNodes = spec.maxNodes;
    this.layout = histogramLayout(spec.numBins);
    this.G = this.layout.numGroups;
    this.histLen = this.layout.slots * 2;
    this.blockHistLen = this.layout.groupSlotsTotal * 2;
    this.blockStart = new Int32Array(b.blockStart);
    this.rowBins = new Uint8Array(b.rowBins, 0, spec.n * this.G);
    this.colBins = new Uint8Array(b.colBins, 0, spec.n * this.G);
    this.label = new Float64Array(b.label, 0, spec.n);
    this.weight = b.weight ? new Float64Array(b.weight, 0, spec.n) : null;
    this.raw = new Float64Array(b.raw, 0, spec.n * spec.outputs);
    this.gh = new Float32Array(b.gh, 0, spec.n * spec.outputs * 2);
    this.idx = [new Int32Array(b.idx0, 0, spec.n), new Int32Array(b.idx1, 0, spec.n)];
    this.nodeBuf = new Int32Array(b.nodeBuf);
    this.ranges = new Int32Array(b.ranges);
    this.hists = new Float64Array(b.hists);
    this.groups = new Int32Array(b.groups);
    this.treeGroup = new Int32Array(b.treeGroup);
    this.treeChild = new Int32Array(b.treeChild);
    this.treeLut = new Uint8Array(b.treeLut);
    this.treeValue = new Float64Array(b.treeValue);
    this.leafOf = b.leafOf ? new Uint16Array(b.leafOf, 0, spec.n) : null;
    this.state = b.state ? new Float64Array(b.state, 0, spec.n) : null;
    const v = spec.valid;
    this.valid = v
      ? { n: v.n, blocks: v.blocks, blockStart: new Int32Array(v.blockStart), rowBins: new Uint8Array(v.rowBins, 0, v.n * this.G), raw: new Float64Array(v.raw, 0, v.n * spec.outputs) }
      : null;
  }

  static create(init: WorkspaceInit): Workspace {
    const n = init.label.length;
    const F = init.numBins.length;
    const K = init.outputs;
    const B = blockCount(n);
    const maxNodes = 2 * init.maxLeaves - 1;
    const layout = histogramLayout(init.numBins);
    const G = layout.numGroups;
    const raw = shared(8 * n * K);
    new Float64Array(raw).set(init.raw);
    const rowBins = shared(n * G);
    const colBins = shared(n * G);
    encodeGroups(layout, init.bins, n, new Uint8Array(rowBins, 0, n * G), new Uint8Array(colBins, 0, n * G));
    let valid: WorkspaceSpec['valid'] = null;
    if (init.valid) {
      const vn = init.valid.raw.length / K;
      const vb = blockCount(vn);
      const vraw = shared(8 * vn * K);
      new Float64Array(vraw).set(init.valid.raw);
      const vbins = shared(vn * G);
      encodeGroups(layout, init.valid.bins, vn, new Uint8Array(vbins, 0, vn * G), null);
      valid = { n: vn, blocks: vb, blockStart: blockStarts(vn, vb).buffer as SharedArrayBuffer, rowBins: vbins, raw: vraw };
    }
    return new Workspace({
      n, numFeatures: F, outputs: K, blocks: B, maxNodes, numBins: Array.from(init.numBins),
      objective: objectiveCode(init.objective), huberDelta: init.huberDelta, subsample: init.subsample, seed: init.seed,
      buffers: {
        blockStart: blockStarts(n, B).buffer as SharedArrayBuffer,
        rowBins,
        colBins,
        label: toShared(init.label),
        weight: init.weight ? toShared(init.weight) : null,
        raw,
        gh: shared(8 * n * K),
        idx0: shared(4 * n),
        idx1: shared(4 * n),
        nodeBuf: shared(4 * maxNodes),
        ranges: shared(4 * 2 * maxNodes * B),
        hists: shared(8 * layout.groupSlotsTotal * 2 * B),
        groups: shared(4 * G),
        treeGroup: shared(4 * maxNodes),
        treeChild: shared(4 * 2 * maxNodes),
        treeLut: shared(256 * maxNodes),
        treeValue: shared(8 * maxNodes),
        leafOf: fusable(init) ? shared(2 * n) : null,
        state: fusable(init) && lossFor(init.objective).initState ? shared(8 * n) : null,
      },
      valid,
    });
  }

  static attach(spec: WorkspaceSpec): Workspace {
    return new Workspace(spec);
  }
}
