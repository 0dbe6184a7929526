/**
 * Training losses: gradients and hessians of each row's raw score, the starting score, the
 * transform from raw score to prediction, and the validation metric used for early stopping.
 *
 * Gradient kernels take a row range so that worker threads can each fill their own block of the
 * shared gradient array. For `K` outputs (multiclass) raw scores are row-major `[row * K + k]` and
 * gradients `[(row * K + k) * 2]` (gradient) and `+ 1` (hessian). Gradients are stored as float32
 * (as XGBoost does): half the memory traffic in the histogram loop, and histograms still sum in
 * float64.
 *
 * @example
 * const loss = lossFor('binary');
 * loss.gradients(raw, label, null, gh, 0, n, 1, 1);
 */
import { DataError } from '../../core/errors.ts';

export type Objective = 'binary' | 'multiclass' | 'regression' | 'huber';

export const OBJECTIVES: readonly Objective[] = ['binary', 'multiclass', 'regression', 'huber'];

export interface Loss {
  readonly objective: Objective;
  /** Starting raw score per output, from the weighted labels. */
  initScores(label: Float64Array, weight: Float64Array | null, k: number): Float64Array;
  /** Gradient/hessian pairs for rows [from, to). `delta` is the Huber threshold (unused elsewhere). */
  gradients(raw: Float64Array, label: Float64Array, weight: Float64Array | null, gh: Float32Array, from: number, to: number, k: number, delta: number): void;
  /** Fills the per-row state of rows [from, to) from their raw scores (binary: e^-raw, so that a leaf's update is one multiply instead of an exp). */
  initState?(raw: Float64Array, state: Float64Array, from: number, to: number): void;
  /** Weighted loss summed over rows [from, to); divided by the weight sum it is the metric. */
  lossSum(raw: Float64Array, label: Float64Array, weight: Float64Array | null, from: number, to: number, k: number, delta: number): number;
}

// Hessians never reach exactly zero: a pure leaf (all p near 0 or 1) would divide by ~0.
const MIN_HESS = 1e-16;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// exp(x) = 2^(k/256) * e^r with |r| <= ln2/512: a table of 2^(j/256), one of powers of two and a
// degree-4 polynomial. Relative error below 1e-14, about 2.5x faster than Math.exp in V8; gradients
// are then rounded to float32 anyway.
const EXP_FRAC = new Float64Array(256);
const EXP_POW2 = new Float64Array(256);
for (let j = 0; j < 256; j++) {
  EXP_FRAC[j] = Math.pow(2, j / 256);
  EXP_POW2[j] = Math.pow(2, j - 128);
}
const LOG2E_256 = 256 / Math.LN2;
/** The range of fastExp (it clamps its argument to ±80). */
const EXP_LO = Math.exp(-80);
const EXP_HI = Math.exp(80);
const LN2_256 = Math.LN2 / 256;

/** e^x for |x| <= 80 (clamped beyond), relative error < 1e-14. */
export function fastExp(x: number): number {
  if (x > 80) x = 80;
  else if (x < -80) x = -80;
  const kf = Math.floor(x * LOG2E_256 + 0.5);
  const r = x - kf * LN2_256;
  const k = kf | 0;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
  return EXP_POW2[(k >> 8) + 128]! * EXP_FRAC[k & 255]! * p;
}

function weightedMean(label: Float64Array, weight: Float64Array | null): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < label.length; i++) {
    const wi = weight ? weight[i]! : 1;
    s += wi * label[i]!;
    w += wi;
  }
  return w > 0 ? s / w : 0;
}

/** Weighted median: the robust losses start there. */
export function weightedMedian(values: Float64Array, weight: Float64Array | null): number {
  const n = values.length;
  if (n === 0) return 0;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += weight ? weight[i]! : 1;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const r = order[i]!;
    acc += weight ? weight[r]! : 1;
    if (acc >= total / 2) return values[r]!;
  }
  return values[order[n - 1]!]!;
}

const binary: Loss = {
  objective: 'binary',
  initScores(label, weight) {
    // Clamped so that a nearly pure training set still starts from a finite log-odds.
    const p = Math.min(Math.max(weightedMean(label, weight), 1e-12), 1 - 1e-12);
    return Float64Array.of(Math.log(p / (1 - p)));
  },
  gradients(raw, label, weight, gh, from, to) {
    for (let i = from; i < to; i++) {
      const p = 1 / (1 + fastExp(-raw[i]!));
      const h = p * (1 - p);
      const w = weight === null ? 1 : weight[i]!;
      gh[2 * i] = w * (p - label[i]!);
      gh[2 * i + 1] = w * (h > MIN_HESS ? h : MIN_HESS);
    }
  },
  initState(raw, state, from, to) {
    for (let r = from; r < to; r++) {
      const x = raw[r]!;
      state[r] = x > -80 && x < 80 ? fastExp(-x) : NaN;
    }
  },
  lossSum(raw, label, weight, from, to) {
    let s = 0;
    for (let i = from; i < to; i++) {
      const x = raw[i]!;
      // log(1 + e^x) - y x, computed without overflow.
      const l = (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) - label[i]! * x;
      s += weight ? weight[i]! * l : l;
    }
    return s;
  },
};

const multiclass: Loss = {
  objective: 'multiclass',
  initScores(label, weight, k) {
    const counts = new Float64Array(k);
    let total = 0;
    for (let i = 0; i < label.length; i++) {
      const w = weight ? weight[i]! : 1;
      counts[label[i]!]! += w;
      total += w;
    }
    const out = new Float64Array(k);
    // Log priors, centred: softmax is invariant to a shift and centred scores read better.
    let mean = 0;
    for (let c = 0; c < k; c++) {
      out[c] = Math.log(Math.max(counts[c]! / total, 1e-12));
      mean += out[c]! / k;
    }
    for (let c = 0; c < k; c++) out[c]! -= mean;
    return out;
  },
  gradients(raw, label, weight, gh, from, to, k) {
    for (let i = from; i < to; i++) {
      const base = i * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (raw[base + c]! > max) max = raw[base + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += fastExp(raw[base + c]! - max);
      const y = label[i]!;
      const w = weight ? weight[i]! : 1;
      for (let c = 0; c < k; c++) {
        const p = fastExp(raw[base + c]! - max) / sum;
        const h = p * (1 - p);
        gh[2 * (base + c)] = w * (p - (c === y ? 1 : 0));
        gh[2 * (base + c) + 1] = w * (h > MIN_HESS ? h : MIN_HESS);
      }
    }
  },
  lossSum(raw, label, weight, from, to, k) {
    let s = 0;
    for (let i = from; i < to; i++) {
      const base = i * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (raw[base + c]! > max) max = raw[base + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(raw[base + c]! - max);
      const l = max + Math.log(sum) - raw[base + label[i]!]!;
      s += weight ? weight[i]! * l : l;
    }
    return s;
  },
};

const regression: Loss = {
  objective: 'regression',
  initScores(label, weight) {
    return Float64Array.of(weightedMean(label, weight));
  },
  gradients(raw, label, weight, gh, from, to) {
    for (let i = from; i < to; i++) {
      const w = weight ? weight[i]! : 1;
      gh[2 * i] = w * (raw[i]! - label[i]!);
      gh[2 * i + 1] = w;
    }
  },
  lossSum(raw, label, weight, from, to) {
    let s = 0;
    for (let i = from; i < to; i++) {
      const d = raw[i]! - label[i]!;
      s += (weight ? weight[i]! : 1) * d * d;
    }
    return s;
  },
};

/**
 * Huber loss: squared within `delta` of the label, linear beyond. The gradient is the residual
 * clipped to ±delta and the hessian is 1, so a leaf's Newton step is the mean clipped residual and
 * outliers pull each tree by at most delta.
 */
const huber: Loss = {
  objective: 'huber',
  initScores(label, weight) {
    return Float64Array.of(weightedMedian(label, weight));
  },
  gradients(raw, label, weight, gh, from, to, _k, delta) {
    for (let i = from; i < to; i++) {
      const w = weight ? weight[i]! : 1;
      let d = raw[i]! - label[i]!;
      if (d > delta) d = delta;
      else if (d < -delta) d = -delta;
      gh[2 * i] = w * d;
      gh[2 * i + 1] = w;
    }
  },
  lossSum(raw, label, weight, from, to, _k, delta) {
    let s = 0;
    for (let i = from; i < to; i++) {
      const d = Math.abs(raw[i]! - label[i]!);
      const l = d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
      s += (weight ? weight[i]! : 1) * l;
    }
    return s;
  },
};

/**
 * Source of the fused update of a single-output loss (see kernels.ts), compiled per workspace with
 * its arrays as constants (bound.ts): `function (from, to)` that adds to the raw score of each row
 * r in [from, to) its leaf's value `lv[leafOf[r]]` and recomputes its gradients, in row order.
 * Free names: raw, label, weight, gh, leafOf, lv, lf (e^-lv), st (the loss's per-row state),
 * fastExp, delta. Null for multiclass (every class must be updated before any gradient).
 */
export function fusedUpdateSource(objective: Objective, weighted: boolean): string | null {
  const w = (x: string): string => (weighted ? `weight[r] * (${x})` : x);
  if (objective === 'binary') {
    // st[r] = e^-raw[r], carried from tree to tree: one multiply per row instead of an exp. A
    // state out of fastExp's range (or NaN, left for a raw score beyond ±80) gives a hessian at
    // or below MIN_HESS, which flags the chunk for an exact second pass. The main loop is kept
    // free of calls and further branches: V8 compiles each one at about the cost of the rest.
    return `return function (from, to) {
  let flagged = 0;
  for (let r = from; r < to; r++) {
    const j = leafOf[r];
    raw[r] += lv[j];
    const e = st[r] * lf[j];
    st[r] = e;
    const p = 1 / (1 + e);
    const h = p * (1 - p);
    gh[2 * r] = ${w('p - label[r]')};
    let hh = ${MIN_HESS};
    if (h > ${MIN_HESS}) hh = h;
    else flagged = 1;
    gh[2 * r + 1] = ${w('hh')};
  }
  if (flagged === 0) return;
  for (let r = from; r < to; r++) {
    const s = st[r];
    if (s >= ${EXP_LO} && s <= ${EXP_HI}) continue;
    const x = raw[r];
    const e = fastExp(-x);
    st[r] = x > -80 && x < 80 ? e : NaN;
    const p = 1 / (1 + e);
    const h = p * (1 - p);
    gh[2 * r] = ${w('p - label[r]')};
    gh[2 * r + 1] = ${w(`h > ${MIN_HESS} ? h : ${MIN_HESS}`)};
  }
};`;
  }
  if (objective === 'regression') {
    return `return function (from, to) {
  for (let r = from; r < to; r++) {
    const x = raw[r] + lv[leafOf[r]];
    raw[r] = x;
    gh[2 * r] = ${w('x - label[r]')};
    gh[2 * r + 1] = ${weighted ? 'weight[r]' : '1'};
  }
};`;
  }
  if (objective === 'huber') {
    return `return function (from, to) {
  for (let r = from; r < to; r++) {
    const x = raw[r] + lv[leafOf[r]];
    raw[r] = x;
    let d = x - label[r];
    if (d > delta) d = delta;
    else if (d < -delta) d = -delta;
    gh[2 * r] = ${w('d')};
    gh[2 * r + 1] = ${weighted ? 'weight[r]' : '1'};
  }
};`;
  }
  return null;
}

const LOSSES: Record<Objective, Loss> = { binary, multiclass, regression, huber };

export function lossFor(objective: Objective): Loss {
  const loss = LOSSES[objective];
  if (!loss) throw new DataError(`Unknown gradient boosting objective "${objective}" (expected one of ${OBJECTIVES.join(', ')})`);
  return loss;
}

/** Raw scores to predictions in place: probabilities for classification, identity for regression. */
export function transformScores(objective: Objective, raw: Float64Array, k: number): Float64Array {
  const out = new Float64Array(raw.length);
  if (objective === 'binary') {
    for (let i = 0; i < raw.length; i++) out[i] = sigmoid(raw[i]!);
  } else if (objective === 'multiclass') {
    for (let base = 0; base < raw.length; base += k) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (raw[base + c]! > max) max = raw[base + c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(raw[base + c]! - max);
        out[base + c] = e;
        sum += e;
      }
      for (let c = 0; c < k; c++) out[base + c]! /= sum;
    }
  } else {
    out.set(raw);
  }
  return out;
}

/** Numeric code of an objective, for the shared control block that worker threads read. */
export function objectiveCode(objective: Objective): number {
  return OBJECTIVES.indexOf(objective);
}

export function objectiveFromCode(code: number): Objective {
  const o = OBJECTIVES[code];
  if (o === undefined) throw new DataError(`Unknown objective code ${code}`);
  return o;
}
