/**
 * A fitted regression tree in bin space, as flat arrays indexed by node (root 0, nodes in creation
 * order). An internal node sends a row left when the row's bin of `feature` is in the node's left
 * set: a 256-bit bitset over bins, which covers numeric thresholds (bins <= threshold, plus the
 * missing bin when `defaultLeft`), categorical sets, and missing values alike.
 *
 * @example
 * const t = treeFromNodes(nodes);
 * goesLeft(t, node, bin);
 */

export interface Tree {
  readonly numNodes: number;
  /** Split feature, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Children, -1 for a leaf. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Numeric split: bins <= threshold go left. Categorical split or leaf: -1. */
  readonly threshold: Int32Array;
  /** 1 when the split is on a categorical feature. */
  readonly categorical: Uint8Array;
  /** 1 when missing (and, for categorical splits, rare or unseen) values go left. */
  readonly defaultLeft: Uint8Array;
  /** Left set of each node: 8 words per node, bit b of word b >> 5. Zero for leaves. */
  readonly leftBits: Uint32Array;
  /** Leaf output (learning rate applied); for internal nodes the value the node would have as a leaf. */
  readonly value: Float64Array;
  /** Training rows (of the iteration's sample) that reached the node. */
  readonly cover: Float64Array;
  /** Loss reduction of the split; 0 for leaves. */
  readonly gain: Float64Array;
  /**
   * Exact splits on fine codes (../trees/fine.ts), when any: codes <= fine[node] go left, -1 for
   * nodes that split on bins. Only random forests make them.
   */
  readonly fine?: Int32Array;
}

export interface NodeSpec {
  feature: number;
  left: number;
  right: number;
  threshold: number;
  categorical: boolean;
  defaultLeft: boolean;
  /** 256 entries, 1 = left; null for leaves. */
  lut: Uint8Array | null;
  value: number;
  cover: number;
  gain: number;
  /** Fine-code threshold of an exact split (see Tree.fine). */
  fine?: number;
}

export function treeFromNodes(nodes: readonly NodeSpec[]): Tree {
  const n = nodes.length;
  const t = {
    numNodes: n,
    feature: new Int32Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    threshold: new Int32Array(n),
    categorical: new Uint8Array(n),
    defaultLeft: new Uint8Array(n),
    leftBits: new Uint32Array(8 * n),
    value: new Float64Array(n),
    cover: new Float64Array(n),
    gain: new Float64Array(n),
  };
  nodes.forEach((s, i) => {
    t.feature[i] = s.feature;
    t.left[i] = s.left;
    t.right[i] = s.right;
    t.threshold[i] = s.threshold;
    t.categorical[i] = s.categorical ? 1 : 0;
    t.defaultLeft[i] = s.defaultLeft ? 1 : 0;
    t.value[i] = s.value;
    t.cover[i] = s.cover;
    t.gain[i] = s.gain;
    if (s.lut) lutToBits(s.lut, t.leftBits, 8 * i);
  });
  if (nodes.some((s) => s.fine !== undefined && s.fine >= 0)) {
    return { ...t, fine: Int32Array.from(nodes, (s) => (s.fine !== undefined && s.fine >= 0 && s.left >= 0 ? s.fine : -1)) };
  }
  return t;
}

export function lutToBits(lut: Uint8Array, bits: Uint32Array, at: number): void {
  for (let w = 0; w < 8; w++) bits[at + w] = 0;
  for (let b = 0; b < 256; b++) if (lut[b]) bits[at + (b >> 5)]! |= 1 << (b & 31);
}

export function isLeaf(t: Tree, node: number): boolean {
  return t.left[node]! < 0;
}

export function goesLeft(t: Tree, node: number, bin: number): boolean {
  return ((t.leftBits[8 * node + (bin >> 5)]! >>> (bin & 31)) & 1) === 1;
}

/** Left set of a numeric split from its threshold and default direction (missing bin = numBins). */
export function numericLeftBits(threshold: number, defaultLeft: boolean, numBins: number, bits: Uint32Array, at: number): void {
  for (let w = 0; w < 8; w++) bits[at + w] = 0;
  for (let b = 0; b < 256; b++) {
    const left = b <= threshold || (b >= numBins && defaultLeft);
    if (left) bits[at + (b >> 5)]! |= 1 << (b & 31);
  }
}

/** Leaf reached by one row given as bins per feature. */
export function leafOf(t: Tree, rowBins: ArrayLike<number>): number {
  let node = 0;
  while (t.left[node]! >= 0) node = goesLeft(t, node, rowBins[t.feature[node]!]!) ? t.left[node]! : t.right[node]!;
  return node;
}

/** Depth of the deepest leaf. */
export function treeDepth(t: Tree): number {
  const depth = new Int32Array(t.numNodes);
  let max = 0;
  for (let i = 0; i < t.numNodes; i++) {
    if (t.left[i]! >= 0) {
      depth[t.left[i]!] = depth[i]! + 1;
      depth[t.right[i]!] = depth[i]! + 1;
      max = Math.max(max, depth[i]! + 1);
    }
  }
  return max;
}
