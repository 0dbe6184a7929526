/**
 * Fitting a random forest on a Frame: checks the input (every message names the row, column or
 * option), bins the features (gbdt's quantile bins and histogram groups), grows the trees
 * (train.ts) and returns the model data with the out-of-bag predictions when asked for.
 *
 * @example
 * const { model, oobPrediction } = await fitForest(frame, label, { numTrees: 100, oobScore: true });
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import { binFeature, fitBinMappers, numBins } from '../trees/binning.ts';
import { encodeGroups, histogramLayout } from '../trees/histogram.ts';
import { fineCodes, fitFineMappers } from '../trees/fine.ts';
import type { Task } from '../estimator.ts';
import { inferTaskOfNumbers } from '../labels.ts';
import type { ForestModel } from './model.ts';
import { resolveForestOptions, type ForestOptions } from './options.ts';
import { growForest } from './train.ts';

export interface RandomForestFitOptions extends ForestOptions {
  /** Feature columns, in order (default: every column of the frame). */
  features?: readonly string[];
  /** Numeric columns holding integer category codes, to split on as categories. */
  categoricalFeatures?: readonly string[];
  /** Non-negative weight per training row (multiplies its bootstrap count). */
  sampleWeight?: Float64Array;
  /** Called as trees finish with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Aborting it stops the fit between trees: fit rejects with CancelledError and no worker thread is left. */
  signal?: AbortSignal;
}

function checkLabels(label: Float64Array, task: Task, numClasses: number | undefined): number {
  const n = label.length;
  let max = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const y = label[i]!;
    if (!Number.isFinite(y)) {
      throw new DataError(`random forest label at row ${i} is ${Number.isNaN(y) ? 'missing (NaN)' : y}; labels must be finite`, {
        context: { row: i }, hint: 'Filter or quarantine rows without a label before training.',
      });
    }
    if (task === 'binary') {
      if (y !== 0 && y !== 1) throw new DataError(`random forest binary label at row ${i} is ${y}; expected 0 or 1`, { context: { row: i }, hint: "Use task: 'multiclass' for class codes 0..K-1, or 'regression'." });
      pos += y;
    } else if (task === 'multiclass') {
      if (!Number.isInteger(y) || y < 0 || y > 65_535) throw new DataError(`random forest multiclass label at row ${i} is ${y}; expected a class code 0..K-1`, { context: { row: i } });
      max = Math.max(max, y);
    }
  }
  if (task === 'binary' && (pos === 0 || pos === n)) {
    throw new DataError(`random forest binary labels are all ${pos === 0 ? 0 : 1}: both classes are needed`, { hint: 'Check the label column and any filter applied before training.' });
  }
  if (task !== 'multiclass') return task === 'binary' ? 2 : 1;
  const K = numClasses ?? max + 1;
  if (max >= K) throw new DataError(`random forest multiclass label ${max} is not below numClasses ${K}`);
  if (K < 2) throw new DataError(`random forest multiclass needs at least 2 classes, got ${K}`);
  return K;
}

/** Weights scaled to mean 1 (so minSamplesLeaf keeps counting rows), or null. */
function checkWeights(weight: Float64Array | undefined, n: number): Float64Array | null {
  if (!weight) return null;
  if (weight.length !== n) throw new DataError(`random forest sample weights have ${weight.length} entries for ${n} rows`, { context: { option: 'sampleWeight' } });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weight[i]!;
    if (!Number.isFinite(w) || w < 0) throw new DataError(`random forest sample weight at row ${i} is ${w}; weights must be finite and >= 0`, { context: { row: i } });
    sum += w;
  }
  if (!(sum > 0)) throw new DataError('random forest sample weights sum to 0');
  const scale = n / sum;
  return weight.map((w) => w * scale);
}

/** Fits a forest; `oobPrediction` is set when `oobScore` was asked for. */
export async function fitForest(frame: Frame, label: Float64Array, o: RandomForestFitOptions): Promise<{ model: ForestModel; oobPrediction: Float64Array | null }> {
  const n = frame.numRows;
  if (frame.numColumns === 0 || n === 0) {
    throw new DataError(`random forest cannot fit on an empty frame (${n} rows, ${frame.numColumns} columns)`, { hint: 'Check the query or filter that produced the training rows.' });
  }
  if (label.length !== n) throw new DataError(`random forest label has ${label.length} entries but the frame has ${n} rows`);
  const names = [...(o.features ?? frame.names)];
  if (names.length === 0) throw new DataError('random forest needs at least one feature column');
  if (new Set(names).size !== names.length) throw new DataError(`random forest feature list has duplicates: ${names.join(', ')}`);
  for (const name of names) {
    if (!frame.has(name)) throw new DataError(`random forest feature "${name}" is not in the training frame (columns: ${frame.names.join(', ')})`, { code: 'MISSING_FEATURE', context: { column: name } });
  }
  const catSet = new Set(o.categoricalFeatures ?? []);
  for (const c of catSet) {
    if (!names.includes(c)) throw new DataError(`random forest categorical feature "${c}" is not among the features (${names.join(', ')})`, { context: { column: c } });
    const col = frame.column(c);
    if (col.kind === 'number') {
      for (let i = 0; i < n; i++) {
        const v = col.values[i]!;
        if (v === v && !Number.isInteger(v)) {
          throw new DataError(`random forest categorical feature "${c}" has a non-integer value ${v} at row ${i}; numeric categorical features must hold integer codes`, { context: { column: c, row: i } });
        }
      }
    }
  }
  const task: Task = o.task ?? inferTaskOfNumbers(label, 'random forest');
  const numClasses = checkLabels(label, task, o.numClasses);
  const opts = resolveForestOptions({ ...o, task, numClasses }, names.length, n, task);
  const weight = checkWeights(o.sampleWeight, n);

  const columns = names.map((name) => frame.column(name));
  const mappers = fitBinMappers(
    names.map((name, i) => ({ name, column: columns[i]!, categorical: catSet.has(name) })),
    { maxBins: opts.maxBins, seed: opts.seed },
  );
  // One array per feature (binning writes each contiguously), then the histogram group codes.
  const bins = mappers.map((m, f) => {
    const out = new Uint8Array(n);
    binFeature(m, columns[f]!, out, 0, 1);
    return out;
  });
  const nb = mappers.map(numBins);
  // Features with more distinct values than bins also get fine codes, for exact splits in small nodes.
  const fineEdges = opts.exactSplitRows > 0 ? fitFineMappers(mappers, columns) : mappers.map(() => null);
  const fine = fineEdges.map((e, f) => {
    if (!e) return null;
    const codes = new Uint16Array(opts.threads > 1 ? new SharedArrayBuffer(Math.max(8, 2 * n)) : new ArrayBuffer(Math.max(8, 2 * n))).subarray(0, n);
    return { codes: fineCodes(e.edges, (columns[f] as { values: Float64Array }).values, codes), coarse: e.coarse };
  });
  const layout = histogramLayout(nb);
  const shared = opts.threads > 1;
  const alloc = (bytes: number): Uint8Array => (shared ? new Uint8Array(new SharedArrayBuffer(Math.max(8, bytes))).subarray(0, bytes) : new Uint8Array(bytes));
  const codes = alloc(n * layout.numGroups);
  const colCodes = alloc(n * layout.numGroups);
  encodeGroups(layout, bins, n, codes, colCodes);
  let rowBins: Uint8Array | Uint16Array | null = null;
  if (opts.oobScore) {
    // What prediction reads: bytes, or 16-bit codes when some feature has fine codes.
    const F = mappers.length;
    const wide = fine.some((x) => x !== null);
    const rb = wide ? new Uint16Array(opts.threads > 1 ? new SharedArrayBuffer(Math.max(8, 2 * n * F)) : new ArrayBuffer(2 * n * F)).subarray(0, n * F) : alloc(n * F);
    for (let f = 0; f < F; f++) {
      const src = fine[f]?.codes ?? bins[f]!;
      for (let r = 0, p = f; r < n; r++, p += F) rb[p] = src[r]!;
    }
    rowBins = rb;
  }
  const { trees, oob } = await growForest(
    { n, numBins: nb, codes, colCodes, categorical: Uint8Array.from(mappers, (m) => (m.kind === 'categorical' ? 1 : 0)), label, weight, bins: rowBins, fine },
    { ...opts, numClasses },
    { threads: opts.threads, oobScore: opts.oobScore, ...(o.onProgress ? { onTree: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) },
  );
  const { threads: _threads, ...kept } = opts;
  const model: ForestModel = {
    task, numClasses, outputs: task === 'multiclass' ? numClasses : 1, mappers, fine: fineEdges.map((e) => e?.edges ?? null),
    trees, options: kept, oobScore: oob ? oob.score : null,
  };
  return { model, oobPrediction: oob ? oob.prediction : null };
}
