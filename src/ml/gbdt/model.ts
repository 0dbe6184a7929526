/**
 * A fitted model as data: the bin mappers (how raw feature values become bins) and the booster
 * (trees in bin space). This is what serialization stores; the estimator class wraps it.
 *
 * @example
 * const bins = binFrame(model, frame); // row-major bytes, model.mappers order
 */
import { DataError, SluiceError } from '../../core/errors.ts';
import type { Column, Frame } from '../../frame/frame.ts';
import { binColumns, type BinMapper } from '../trees/binning.ts';
import type { Booster } from './booster.ts';

export interface GbdtModel extends Booster {
  /** One per feature, in bin-matrix order; names are the frame's column names. */
  readonly mappers: readonly BinMapper[];
}

/** The named feature columns of a frame; a clear error names any that are missing. */
export function featureColumns(names: readonly string[], frame: Frame, where = 'prediction'): Column[] {
  const missing = names.filter((m) => !frame.has(m));
  if (missing.length > 0) {
    throw new DataError(
      `gbdt ${where} frame lacks feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} that the model was trained on (frame columns: ${frame.names.join(', ')})`,
      { code: 'MISSING_FEATURE', context: { column: missing[0]! } },
    );
  }
  return names.map((m) => frame.column(m));
}

/** Bins a frame's feature columns (row-major, F bytes per row). */
export function binFrame(model: Pick<GbdtModel, 'mappers'>, frame: Frame, out?: Uint8Array): Uint8Array {
  try {
    return binColumns(model.mappers, featureColumns(model.mappers.map((m) => m.name), frame), out);
  } catch (e) {
    if (e instanceof SluiceError) throw e;
    throw new DataError(`gbdt could not bin the prediction frame: ${(e as Error).message}`, { cause: e });
  }
}
