/**
 * Gradient histograms. A histogram holds, for every slot, the sums of gradient and hessian,
 * interleaved in one Float64Array: slot s at [2s, 2s+1]. Row counts are not accumulated (one
 * store in three saved in the hottest loop); split search estimates a side's row count from its
 * hessian share, as LightGBM does, and exact counts come from the partitions.
 *
 * Feature bundling: features with few bins are packed together into one byte, their bins' product
 * (missing bins included) being at most 256: hour (24+1) x day of week (7+1) = 200 codes. A row
 * then costs one histogram update per group instead of one per feature, and each feature's own
 * histogram is the group histogram summed over the other features' digits (a few hundred slots,
 * once per node). Features with many bins stay alone in their group, where group code = bin.
 *
 * Layout of a node histogram: group slots first (what rows are accumulated into, block by block),
 * then the per-feature slots of bundled features (filled by `marginalize`). `offsets[f]` points at
 * feature f's slots (value bins, then its missing bin) for split finding, wherever they live.
 *
 * The accumulation loop is the hottest code of training. It is generated per layout (one straight
 * line per group, offsets as constants) with `new Function`: V8 then keeps every operand in
 * registers, about twice as fast as a loop over groups. Layouts with many groups use the plain loop.
 *
 * @example
 * const layout = histogramLayout([24, 7, 255]);     // hour and day of week share one group
 * const build = histogramKernel(layout, groups, 1);
 * build.indexed(idx, gh, groupBins, hist, start, end, 0);
 */
import { codegenAllowed, compile, compileBound } from '../codegen.ts';

export interface HistogramLayout {
  readonly numFeatures: number;
  /** Value bins of each feature; its missing bin is slot offsets[f] + numBins[f]. */
  readonly numBins: Int32Array;
  /** First slot of each feature's own histogram (for split finding). */
  readonly offsets: Int32Array;
  readonly numGroups: number;
  /** Group of each feature, and the multiplier of its digit in the group code. */
  readonly groupOf: Int32Array;
  readonly stride: Int32Array;
  /** Features of each group (ascending digit significance). */
  readonly groupFeatures: readonly Int32Array[];
  /** First slot and number of codes of each group. */
  readonly groupOffset: Int32Array;
  readonly groupSlots: Int32Array;
  /** Slots of the group part (what block histograms hold). */
  readonly groupSlotsTotal: number;
  /** All slots (group part plus bundled features' own slots). */
  readonly slots: number;
}

/**
 * Bundles features into groups of at most 256 codes, first fit decreasing: features by code count
 * (bins + 1), largest first, each into the first group it fits. On flights this packs hour x month
 * and day of month x day of week (5 groups for 7 features, where fewest-bins-first made 6).
 */
export function histogramLayout(numBins: ArrayLike<number>): HistogramLayout {
  const F = numBins.length;
  const nb = Int32Array.from({ length: F }, (_, f) => numBins[f]!);
  const order = Array.from({ length: F }, (_, f) => f).sort((a, b) => nb[b]! - nb[a]! || a - b);
  const groups: number[][] = [];
  const prods: number[] = [];
  for (const f of order) {
    const size = nb[f]! + 1;
    let g = 0;
    while (g < groups.length && prods[g]! * size > 256) g++;
    if (g === groups.length) { groups.push([]); prods.push(1); }
    groups[g]!.push(f);
    prods[g]! *= size;
  }
  for (const members of groups) members.sort((a, b) => a - b);
  // Groups in order of their first feature, so that a layout without bundling is the identity.
  groups.sort((a, b) => Math.min(...a) - Math.min(...b));
  const G = groups.length;
  const groupOf = new Int32Array(F);
  const stride = new Int32Array(F);
  const groupOffset = new Int32Array(G);
  const groupSlots = new Int32Array(G);
  const offsets = new Int32Array(F);
  let slots = 0;
  groups.forEach((members, g) => {
    let s = 1;
    for (const f of members) {
      groupOf[f] = g;
      stride[f] = s;
      s *= nb[f]! + 1;
    }
    groupOffset[g] = slots;
    groupSlots[g] = s;
    slots += s;
  });
  const groupSlotsTotal = slots;
  groups.forEach((members, g) => {
    if (members.length === 1) { offsets[members[0]!] = groupOffset[g]!; return; }
    for (const f of members) {
      offsets[f] = slots;
      slots += nb[f]! + 1;
    }
  });
  return {
    numFeatures: F, numBins: nb, offsets, numGroups: G, groupOf, stride,
    groupFeatures: groups.map((m) => Int32Array.from(m)), groupOffset, groupSlots, groupSlotsTotal, slots,
  };
}

/**
 * Per-feature bins, either one row-major matrix (F bytes per row) or one array per feature
 * (column-major, which binning writes fastest).
 */
export type FeatureBins = Uint8Array | readonly Uint8Array[];

/** Rows held by per-feature bins of F features. */
export function featureBinsRows(bins: FeatureBins, F: number): number {
  return bins instanceof Uint8Array ? (F > 0 ? bins.length / F : 0) : (bins[0]?.length ?? 0);
}

/** Packs per-feature bins into group codes: row-major (G per row) and column-major (n per group). */
export function encodeGroups(layout: HistogramLayout, bins: FeatureBins, n: number, rowMajor: Uint8Array, colMajor: Uint8Array | null): void {
  const F = layout.numFeatures;
  const G = layout.numGroups;
  const code = new Uint8Array(n);
  for (let g = 0; g < G; g++) {
    const members = layout.groupFeatures[g]!;
    for (let j = 0; j < members.length; j++) {
      const f = members[j]!;
      const s = layout.stride[f]!;
      if (bins instanceof Uint8Array) {
        if (j === 0) for (let r = 0, p = f; r < n; r++, p += F) code[r] = bins[p]!;
        else for (let r = 0, p = f; r < n; r++, p += F) code[r]! += bins[p]! * s;
      } else {
        const col = bins[f]!;
        if (j === 0) code.set(col.subarray(0, n));
        else for (let r = 0; r < n; r++) code[r]! += col[r]! * s;
      }
    }
    for (let r = 0, q = g; r < n; r++, q += G) rowMajor[q] = code[r]!;
    if (colMajor) colMajor.set(code, g * n);
  }
}

/** The digit (bin) of feature f in a group code. */
export function digitOf(layout: HistogramLayout, f: number, code: number): number {
  return Math.floor(code / layout.stride[f]!) % (layout.numBins[f]! + 1);
}

/** A group-level direction table from a feature-level one (bin -> 1 when left). */
export function groupLut(layout: HistogramLayout, f: number, lut: Uint8Array, out: Uint8Array, at: number): void {
  const g = layout.groupOf[f]!;
  const slots = layout.groupSlots[g]!;
  for (let code = 0; code < 256; code++) out[at + code] = code < slots ? lut[digitOf(layout, f, code)]! : 0;
}

/** Fills bundled features' own slots of a node histogram from its group slots (for the listed groups). */
export function marginalize(layout: HistogramLayout, hist: Float64Array, groups: ArrayLike<number>, count: number): void {
  for (let j = 0; j < count; j++) {
    const g = groups[j]!;
    const members = layout.groupFeatures[g]!;
    if (members.length === 1) continue;
    for (const f of members) hist.fill(0, layout.offsets[f]! * 2, (layout.offsets[f]! + layout.numBins[f]! + 1) * 2);
    const base = layout.groupOffset[g]!;
    const slots = layout.groupSlots[g]!;
    for (let code = 0; code < slots; code++) {
      const s = (base + code) * 2;
      const gs = hist[s]!;
      const hs = hist[s + 1]!;
      if (gs === 0 && hs === 0) continue;
      for (const f of members) {
        const t = (layout.offsets[f]! + (Math.floor(code / layout.stride[f]!) % (layout.numBins[f]! + 1))) * 2;
        hist[t]! += gs;
        hist[t + 1]! += hs;
      }
    }
  }
}

/** Adds rows to a histogram: rows idx[a..b) (indexed) or rows a..b (sequential). `k2` = 2 * output index. */
export interface HistogramKernel {
  indexed(idx: Int32Array, gh: Float32Array, bins: Uint8Array, hist: Float64Array, a: number, b: number, k2: number): void;
  sequential(gh: Float32Array, bins: Uint8Array, hist: Float64Array, a: number, b: number, k2: number): void;
}

type IndexedFn = HistogramKernel['indexed'];
type SequentialFn = HistogramKernel['sequential'];

const UNROLL_MAX_GROUPS = 64;

/**
 * The kernel for a layout, the groups to accumulate (ascending) and `outputs` gradient pairs per
 * row: generated code (cached by source text in ../codegen.ts, so every tree of a fit reuses it),
 * or plain loops for many groups or where generated code is forbidden.
 */
export function histogramKernel(layout: HistogramLayout, groups: Int32Array, outputs: number): HistogramKernel {
  return groups.length <= UNROLL_MAX_GROUPS && codegenAllowed() ? unrolled(layout, groups, outputs) : looped(layout, groups, outputs);
}

/**
 * The body of an unrolled accumulation loop over positions i in [a, b): `row(i)` is the row at
 * position i; gradient pairs come from `gh`, group codes from `bins`, sums go to `hist` from slot
 * offset `base` (an expression).
 */
function unrolledLoop(layout: HistogramLayout, groups: Int32Array, outputs: number, rowAt: (i: string) => string, base: string): string {
  const G = layout.numGroups;
  const row = (r: string, g: string, h: string): string[] => {
    const lines = [`{ const q = ${r} * ${2 * outputs} + k2; const ${g} = gh[q], ${h} = gh[q + 1]; const p = ${r} * ${G}; let s = 0;`];
    for (const grp of groups) {
      lines.push(`s = ${base} + ((bins[p + ${grp}] + ${layout.groupOffset[grp]}) << 1); hist[s] += ${g}; hist[s + 1] += ${h};`);
    }
    lines.push('}');
    return lines;
  };
  // Two rows per iteration: about 10% faster (more independent work in flight).
  return [
    "'use strict';",
    'let i = a;',
    'for (; i + 2 <= b; i += 2) {',
    `const r0 = ${rowAt('i')}; const r1 = ${rowAt('i + 1')};`,
    ...row('r0', 'g0', 'h0'),
    ...row('r1', 'g1', 'h1'),
    '}',
    'if (i < b) {',
    `const r0 = ${rowAt('i')};`,
    ...row('r0', 'g0', 'h0'),
    '}',
  ].join('\n');
}

function unrolled(layout: HistogramLayout, groups: Int32Array, outputs: number): HistogramKernel {
  // Generated from integers only (group indices and offsets), never from user data.
  const indexed = compile<IndexedFn>('the histogram kernel', ['idx', 'gh', 'bins', 'hist', 'a', 'b', 'k2'], unrolledLoop(layout, groups, outputs, (i) => `idx[${i}]`, '0'));
  const sequential = compile<SequentialFn>('the histogram kernel', ['gh', 'bins', 'hist', 'a', 'b', 'k2'], unrolledLoop(layout, groups, outputs, (i) => i, '0'));
  return { indexed, sequential };
}

/** Histogram loops bound to one training workspace's arrays (see bound.ts). */
export interface BoundHistogramKernel {
  /** Rows idx[a..b) of index buffer 0 or 1, into `hist` from slot offset `base` (a number index). */
  indexed0(base: number, a: number, b: number, k2: number): void;
  indexed1(base: number, a: number, b: number, k2: number): void;
  /** Rows a..b. */
  sequential(base: number, a: number, b: number, k2: number): void;
}

type BoundFn = (base: number, a: number, b: number, k2: number) => void;

/**
 * The accumulation loops compiled for fixed arrays: a fresh function per call whose arrays are
 * constants of the generated code. V8 then keeps their data pointers and lengths out of the loop,
 * which it does not do for typed arrays passed as arguments or shared through closures (measured:
 * a row loop about twice as fast). Each call compiles new code, so bind once per workspace.
 */
export function boundHistogramKernel(
  layout: HistogramLayout, groups: Int32Array, outputs: number,
  arrays: { gh: Float32Array; bins: Uint8Array; hist: Float64Array; idx0: Int32Array; idx1: Int32Array },
): BoundHistogramKernel {
  if (groups.length > UNROLL_MAX_GROUPS || !codegenAllowed()) {
    // Plain loops: the looped kernel on the same arrays, writing from slot offset `base`.
    const k = looped(layout, groups, outputs);
    const { gh, bins, hist, idx0, idx1 } = arrays;
    return {
      indexed0: (base, a, b, k2) => k.indexed(idx0, gh, bins, hist.subarray(base), a, b, k2),
      indexed1: (base, a, b, k2) => k.indexed(idx1, gh, bins, hist.subarray(base), a, b, k2),
      sequential: (base, a, b, k2) => k.sequential(gh, bins, hist.subarray(base), a, b, k2),
    };
  }
  // idx null: sequential rows.
  const bind = (idx: Int32Array | null): BoundFn => {
    const loop = unrolledLoop(layout, groups, outputs, idx === null ? (i) => i : (i) => `idx[${i}]`, 'base');
    return compileBound<BoundFn>('the histogram kernel', ['gh', 'bins', 'hist', 'idx'], `return function (base, a, b, k2) {\n${loop}\n};`, [arrays.gh, arrays.bins, arrays.hist, idx]);
  };
  return { indexed0: bind(arrays.idx0), indexed1: bind(arrays.idx1), sequential: bind(null) };
}

function looped(layout: HistogramLayout, groups: Int32Array, outputs: number): HistogramKernel {
  const G = layout.numGroups;
  const ng = groups.length;
  const offs = new Int32Array(ng);
  for (let j = 0; j < ng; j++) offs[j] = layout.groupOffset[groups[j]!]!;
  const gs = groups.slice();
  const stride = 2 * outputs;
  const row = (r: number, gh: Float32Array, bins: Uint8Array, hist: Float64Array, k2: number): void => {
    const q = r * stride + k2;
    const g = gh[q]!;
    const h = gh[q + 1]!;
    const p = r * G;
    for (let j = 0; j < ng; j++) {
      const s = (bins[p + gs[j]!]! + offs[j]!) << 1;
      hist[s]! += g;
      hist[s + 1]! += h;
    }
  };
  return {
    indexed(idx, gh, bins, hist, a, b, k2) {
      for (let i = a; i < b; i++) row(idx[i]!, gh, bins, hist, k2);
    },
    sequential(gh, bins, hist, a, b, k2) {
      for (let r = a; r < b; r++) row(r, gh, bins, hist, k2);
    },
  };
}

/**
 * out = sum of the histograms of the listed blocks, added in block order: the fixed order makes the
 * result independent of how blocks were spread over threads. Only the first `len` numbers.
 */
export function reduceHistograms(blocks: Float64Array, stride: number, len: number, which: ArrayLike<number>, count: number, out: Float64Array): void {
  if (count === 0) { out.fill(0, 0, len); return; }
  const first = which[0]! * stride;
  for (let i = 0; i < len; i++) out[i] = blocks[first + i]!;
  for (let j = 1; j < count; j++) {
    const base = which[j]! * stride;
    for (let i = 0; i < len; i++) out[i]! += blocks[base + i]!;
  }
}
