/**
 * The objective + gradient pass over the rows: one tight loop, no allocation, generated per
 * design shape (number of dense columns, categorical columns, classes; weighted or not).
 *
 * Why generated code: with the dense columns unrolled into local variables and the gradient
 * accumulated in locals, V8 runs the pass about 2x faster than the same loop with an inner
 * loop over columns (measured: 65 ms against 146 ms for 2.4M rows x 5 dense + 2 categorical).
 * The source is built only from integers in the spec, never from data or names. Large
 * shapes (many dense columns or classes) fall back to inner loops to keep the function small.
 *
 * Buffer layout shared with the callers, per class k (stride = coefs + 2):
 *   w[k * stride + j]            dense and categorical coefficients, j < coefs
 *   w[k * stride + coefs]        intercept
 *   w[k * stride + coefs + 1]    always 0: the slot unknown category codes point to
 * Category codes are pre-mapped to within-class indices (dense count + block offset + code).
 * The kernel adds the gradient of the summed (weighted) loss into g and returns that sum.
 *
 * @example
 * const k = compileKernel({ loss: 'binomial', classes: 1, dense: 1, categorical: 0, coefs: 1, weighted: false });
 * const g = new Float64Array(3);
 * k([new Float64Array([1, -1])], [], new Float64Array([1, 0]), null, new Float64Array([0, 0, 0]), g, 0, 2); // 2 log 2
 */

import { compile } from '../codegen.ts';

export type LossKind = 'binomial' | 'multinomial' | 'squared';

export interface KernelSpec {
  loss: LossKind;
  /** Number of classes K for multinomial; 1 otherwise. */
  classes: number;
  /** Dense columns. */
  dense: number;
  /** Categorical columns. */
  categorical: number;
  /** Coefficients per class (dense + sum of cardinalities). */
  coefs: number;
  /** Whether sample weights are passed. */
  weighted: boolean;
  /** Force loops instead of unrolled columns (for tests); default chosen by size. */
  unroll?: boolean;
}

export type DenseColumn = Float64Array | Float32Array;

export type Kernel = (
  X: readonly DenseColumn[],
  C: readonly Int32Array[],
  y: Float64Array | Int32Array,
  sw: Float64Array | null,
  w: Float64Array,
  g: Float64Array,
  start: number,
  end: number,
) => number;

/** Unroll when the generated function stays small enough for V8 to optimize comfortably. */
const MAX_UNROLLED_TERMS = 512;
const MAX_UNROLLED_CATEGORICAL = 16;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Products of (1 + e) and of softmax denominators stay far from overflow for this many rows,
 * so the loss takes one Math.log per batch instead of one Math.log1p per row (a third of the
 * pass). Unweighted only: weights would need a power per row.
 */
function logBatch(loss: LossKind, classes: number): number {
  if (loss === 'binomial') return 512; // (1 + e) <= 2
  return Math.max(1, Math.floor(900 / Math.log2(Math.max(2, classes)))); // sum <= K
}

/** JavaScript source of the kernel body (parameters X, C, y, sw, w, g, start, end). */
export function kernelSource(spec: KernelSpec): string {
  const P = spec.dense;
  const M = spec.categorical;
  const K = spec.loss === 'multinomial' ? spec.classes : 1;
  const D = spec.coefs;
  const S = D + 2;
  const unroll = spec.unroll ?? (K * P <= MAX_UNROLLED_TERMS && M <= MAX_UNROLLED_CATEGORICAL);
  return unroll ? unrolledSource(spec, P, M, K, D, S) : loopedSource(spec, P, M, K, D, S);
}

function unrolledSource(spec: KernelSpec, P: number, M: number, K: number, D: number, S: number): string {
  const W = spec.weighted;
  const batch = logBatch(spec.loss, K);
  const L: string[] = ['"use strict";'];
  for (const j of range(P)) L.push(`const x${j} = X[${j}];`);
  for (const m of range(M)) L.push(`const c${m} = C[${m}];`);
  for (const k of range(K)) {
    for (const j of range(P)) L.push(`const w${k}_${j} = w[${k * S + j}]; let g${k}_${j} = 0;`);
    L.push(`const b${k} = w[${k * S + D}]; let gb${k} = 0;`);
  }
  L.push('let lin = 0, lg = 0, prod = 1, cnt = 0;');
  L.push('for (let i = start; i < end; i++) {');
  for (const j of range(P)) L.push(`const a${j} = x${j}[i];`);
  for (const m of range(M)) L.push(`const k${m} = c${m}[i];`);
  L.push('const yi = y[i];');
  if (W) L.push('const si = sw[i];');
  const z = (k: number): string =>
    [`b${k}`, ...range(P).map((j) => `w${k}_${j} * a${j}`), ...range(M).map((m) => (k === 0 ? `w[k${m}]` : `w[${k * S} + k${m}]`))].join(' + ');
  const accumulate = (k: number, r: string): void => {
    L.push(`gb${k} += ${r};`);
    for (const j of range(P)) L.push(`g${k}_${j} += ${r} * a${j};`);
    for (const m of range(M)) L.push(k === 0 ? `g[k${m}] += ${r};` : `g[${k * S} + k${m}] += ${r};`);
  };
  if (spec.loss === 'binomial') {
    L.push(`const z = ${z(0)};`);
    L.push('const e = Math.exp(z > 0 ? -z : z);');
    L.push('const q = 1 + e;');
    if (W) {
      L.push('lin += si * ((z > 0 ? z : 0) - yi * z + Math.log1p(e));');
      L.push('const r = si * ((z > 0 ? 1 : e) / q - yi);');
    } else {
      L.push('lin += (z > 0 ? z : 0) - yi * z;');
      L.push(`prod *= q; if (++cnt === ${batch}) { lg += Math.log(prod); prod = 1; cnt = 0; }`);
      L.push('const r = (z > 0 ? 1 : e) / q - yi;');
    }
    accumulate(0, 'r');
  } else if (spec.loss === 'squared') {
    L.push(`const res = ${z(0)} - yi;`);
    if (W) { L.push('lin += 0.5 * si * res * res;'); L.push('const r = si * res;'); }
    else { L.push('lin += 0.5 * res * res;'); L.push('const r = res;'); }
    accumulate(0, 'r');
  } else {
    for (const k of range(K)) L.push(`const z${k} = ${z(k)};`);
    L.push('let mx = z0;');
    for (const k of range(K).slice(1)) L.push(`if (z${k} > mx) mx = z${k};`);
    for (const k of range(K)) L.push(`const e${k} = Math.exp(z${k} - mx);`);
    L.push(`const se = ${range(K).map((k) => `e${k}`).join(' + ')};`);
    L.push(`const zy = ${range(K - 1).map((k) => `yi === ${k} ? z${k} : `).join('')}z${K - 1};`);
    if (W) {
      L.push('lin += si * (mx - zy + Math.log(se));');
      L.push('const inv = si / se;');
    } else {
      L.push('lin += mx - zy;');
      L.push(`prod *= se; if (++cnt === ${batch}) { lg += Math.log(prod); prod = 1; cnt = 0; }`);
      L.push('const inv = 1 / se;');
    }
    for (const k of range(K)) {
      L.push(`const r${k} = e${k} * inv - (yi === ${k} ? ${W ? 'si' : '1'} : 0);`);
      accumulate(k, `r${k}`);
    }
  }
  L.push('}');
  for (const k of range(K)) {
    for (const j of range(P)) L.push(`g[${k * S + j}] += g${k}_${j};`);
    L.push(`g[${k * S + D}] += gb${k};`);
  }
  L.push('return lin + lg + Math.log(prod);');
  return L.join('\n');
}

/** Same computation with inner loops over columns and classes (large shapes). */
function loopedSource(spec: KernelSpec, P: number, M: number, K: number, D: number, S: number): string {
  const W = spec.weighted;
  const L: string[] = ['"use strict";'];
  L.push(`const zs = new Float64Array(${K});`);
  L.push('let lin = 0;');
  L.push('for (let i = start; i < end; i++) {');
  L.push('const yi = y[i];');
  L.push(`const si = ${W ? 'sw[i]' : '1'};`);
  L.push(`for (let k = 0; k < ${K}; k++) {`);
  L.push(`  const o = k * ${S}; let z = w[o + ${D}];`);
  L.push(`  for (let j = 0; j < ${P}; j++) z += w[o + j] * X[j][i];`);
  L.push(`  for (let m = 0; m < ${M}; m++) z += w[o + C[m][i]];`);
  L.push('  zs[k] = z;');
  L.push('}');
  if (spec.loss === 'binomial') {
    L.push('const z = zs[0];');
    L.push('const e = Math.exp(z > 0 ? -z : z);');
    L.push('lin += si * ((z > 0 ? z : 0) - yi * z + Math.log1p(e));');
    L.push('zs[0] = si * ((z > 0 ? 1 : e) / (1 + e) - yi);');
  } else if (spec.loss === 'squared') {
    L.push('const res = zs[0] - yi;');
    L.push('lin += 0.5 * si * res * res;');
    L.push('zs[0] = si * res;');
  } else {
    L.push('let mx = zs[0];');
    L.push(`for (let k = 1; k < ${K}; k++) if (zs[k] > mx) mx = zs[k];`);
    L.push('const zy = zs[yi];');
    L.push('let se = 0;');
    L.push(`for (let k = 0; k < ${K}; k++) { const e = Math.exp(zs[k] - mx); zs[k] = e; se += e; }`);
    L.push('lin += si * (mx - zy + Math.log(se));');
    L.push(`for (let k = 0; k < ${K}; k++) zs[k] = si * (zs[k] / se - (yi === k ? 1 : 0));`);
  }
  L.push(`for (let k = 0; k < ${K}; k++) {`);
  L.push(`  const o = k * ${S}; const r = zs[k];`);
  L.push(`  g[o + ${D}] += r;`);
  L.push(`  for (let j = 0; j < ${P}; j++) g[o + j] += r * X[j][i];`);
  L.push(`  for (let m = 0; m < ${M}; m++) g[o + C[m][i]] += r;`);
  L.push('}');
  L.push('}');
  L.push('return lin;');
  return L.join('\n');
}

/** Compiles the kernel for a design shape. */
export function compileKernel(spec: KernelSpec): Kernel {
  // The body is built from integers only (see kernelSource); no data reaches the source.
  // Compiled through ../codegen.ts (cached by source); a SluiceError where generated code is forbidden.
  return compile<Kernel>('the linear models\' objective pass', ['X', 'C', 'y', 'sw', 'w', 'g', 'start', 'end'], kernelSource(spec));
}
