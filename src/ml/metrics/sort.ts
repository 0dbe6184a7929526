/**
 * Stable ascending argsort of a Float64Array, O(n) for large inputs.
 *
 * Ranking metrics sort every prediction once; at millions of rows a comparator sort on an
 * index array dominates their cost, so large inputs use an LSD radix sort on the IEEE-754
 * bits (16-bit digits, passes over a constant digit skipped). Iterating the result from the
 * end gives exactly scikit-learn's `np.argsort(x, kind="mergesort")[::-1]` order.
 *
 * @example
 * argsortAscending(new Float64Array([0.3, 0.1, 0.3])); // Uint32Array [1, 0, 2]
 */

const RADIX_MIN = 1024;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Indices that sort `values` ascending; equal values keep their original order. NaN is not allowed. */
export function argsortAscending(values: Float64Array): Uint32Array {
  const n = values.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    // Index tie-break makes the comparator sort stable whatever the engine does.
    idx.sort((a, b) => values[a]! - values[b]! || a - b);
    return idx;
  }
  return radixArgsort(values);
}

function radixArgsort(values: Float64Array): Uint32Array {
  const n = values.length;
  const f = new Float64Array(n);
  // -0 and +0 must tie, as they do for numpy; `v === 0` is true for both.
  for (let i = 0; i < n; i++) { const v = values[i]!; f[i] = v === 0 ? 0 : v; }
  const bits = new Uint32Array(f.buffer);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let l = bits[2 * i]!;
    let h = bits[2 * i + 1]!;
    // Map doubles to unsigned integers with the same order: flip all bits of negatives,
    // only the sign bit of positives.
    if (h & 0x80000000) { h = ~h >>> 0; l = ~l >>> 0; } else { h = (h | 0x80000000) >>> 0; }
    lo[i] = l; hi[i] = h; idx[i] = i;
  }
  let tlo = new Uint32Array(n);
  let thi = new Uint32Array(n);
  let tidx = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const key = pass < 2 ? lo : hi;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i]! >>> shift) & 0xffff]!++;
    if (count[(key[0]! >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) { const c = count[d]!; count[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const pos = count[(key[i]! >>> shift) & 0xffff]!++;
      tlo[pos] = lo[i]!; thi[pos] = hi[i]!; tidx[pos] = idx[i]!;
    }
    [lo, tlo] = [tlo, lo];
    [hi, thi] = [thi, hi];
    [idx, tidx] = [tidx, idx];
  }
  return idx;
}
