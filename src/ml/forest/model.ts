/**
 * A fitted forest as data: the bin mappers (raw feature values -> bins, shared with gbdt's
 * binning), the trees in bin space with their leaf outputs, and what they predict. Serialization
 * stores exactly this; the RandomForest class wraps it.
 *
 * @example
 * const bins = binForFrame(model.mappers, frame); // row-major bytes, mappers order
 */
import { DataError } from '../../core/errors.ts';
import type { Column, Frame } from '../../frame/frame.ts';
import { binColumns, type BinMapper } from '../trees/binning.ts';
import type { Task } from '../estimator.ts';
import type { ForestTree } from './grow.ts';
import { coarseOfFine, fineCodes } from '../trees/fine.ts';
import type { ResolvedForestOptions } from './options.ts';

export interface ForestModel {
  readonly task: Task;
  /** 2 for binary, K for multiclass, 1 for regression. */
  readonly numClasses: number;
  /** Values per leaf and per predicted row: K for multiclass, else 1. */
  readonly outputs: number;
  /** One per feature, in bin-matrix order; names are the frame's column names. */
  readonly mappers: readonly BinMapper[];
  /** Per feature, the fine-code edges of exact splits (../trees/fine.ts), or null. */
  readonly fine: readonly (Float64Array | null)[];
  readonly trees: readonly ForestTree[];
  /** The options as trained (threads left out: the forest does not depend on them). */
  readonly options: Omit<ResolvedForestOptions, 'threads'>;
  /** Out-of-bag accuracy (classification) or R² (regression), when asked for at fit time. */
  readonly oobScore: number | null;
}

/**
 * The named feature columns of a frame, checked against what training saw: a missing column or a
 * text column where a numeric one was (or the reverse) is a DataError naming the column.
 */
export function featureColumnsFor(mappers: readonly BinMapper[], frame: Frame, where: string): Column[] {
  const missing = mappers.filter((m) => !frame.has(m.name)).map((m) => m.name);
  if (missing.length > 0) {
    throw new DataError(
      `random forest ${where} frame lacks feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} that the model was trained on (frame columns: ${frame.names.join(', ')})`,
      { code: 'MISSING_FEATURE', context: { column: missing[0]! }, hint: 'Score with the same feature columns as training.' },
    );
  }
  return mappers.map((m) => {
    const col = frame.column(m.name);
    const trainedText = m.kind === 'categorical' && m.source === 'string';
    if (trainedText !== (col.kind === 'string')) {
      throw new DataError(
        `random forest feature "${m.name}" is ${col.kind === 'string' ? 'a text' : 'a numeric'} column here but was ${trainedText ? 'text' : 'numeric'} in training`,
        { context: { column: m.name } },
      );
    }
    return col;
  });
}

/** Bins a frame's feature columns (row-major, one byte per feature). */
export function binForFrame(mappers: readonly BinMapper[], frame: Frame, out?: Uint8Array): Uint8Array {
  return binColumns(mappers, featureColumnsFor(mappers, frame, 'prediction'), out);
}

/** Per feature, the byte bin of each fine code, or null (what flattenForestTrees needs). */
export function fineCoarseMaps(model: Pick<ForestModel, 'mappers' | 'fine'>): (Uint8Array | null)[] {
  return model.fine.map((e, f) => {
    const m = model.mappers[f]!;
    return e && m.kind === 'numeric' ? coarseOfFine(e, m.edges) : null;
  });
}

/**
 * A frame's feature columns coded as the forest's trees read them, row-major: bytes (bins), or,
 * when some feature has fine codes, 16 bits per feature (fine codes there, bins elsewhere).
 * `shared` puts the matrix on a SharedArrayBuffer (for worker threads).
 */
export function codesForFrame(model: Pick<ForestModel, 'mappers' | 'fine'>, frame: Frame, shared = false): Uint8Array | Uint16Array {
  const n = frame.numRows;
  const F = model.mappers.length;
  const wide = model.fine.some((e) => e !== null);
  const buffer = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(Math.max(8, bytes)) : new ArrayBuffer(bytes));
  if (!wide) return binForFrame(model.mappers, frame, new Uint8Array(buffer(n * F)).subarray(0, n * F));
  const columns = featureColumnsFor(model.mappers, frame, 'prediction');
  const out = new Uint16Array(buffer(2 * n * F)).subarray(0, n * F);
  model.mappers.forEach((m, f) => {
    const e = model.fine[f];
    const col = columns[f]!;
    if (e && col.kind === 'number') { fineCodes(e, col.values, out, f, F); return; }
    const bins = binColumns([m], [col]);
    for (let r = 0, p = f; r < n; r++, p += F) out[p] = bins[r]!;
  });
  return out;
}
