/**
 * The model artifact: a small JSON header plus typed arrays, in one byte string (framing, tree
 * packing and feature headers shared with the random forest, in artifact.ts).
 *
 * Layout (little-endian):
 *   0  "SLGB"                       magic
 *   4  uint32 format version (1)
 *   8  uint32 header length h
 *   12 header: UTF-8 JSON           objective, classes, base score, options, features, array table
 *   .. zero padding to a multiple of 8
 *   .. arrays, each 8-byte aligned, located by the header's table as [type, byteOffset, length]
 *
 * Arrays: per-tree node counts; per node feature, left, right, threshold bin (Int32), flags
 * (bit 0 categorical split, bit 1 default left), value, cover, gain (Float64); the left-set bitsets
 * of categorical splits only (numeric ones are rebuilt from threshold and default direction);
 * numeric bin edges and numeric category codes (Float64). Doubles are stored bit for bit, so a
 * loaded model predicts exactly what the fitted one did.
 *
 * @example
 * const bytes = modelToBytes(model);
 * const again = modelFromBytes(bytes);
 */
import { DataError } from '../../core/errors.ts';
import { mapperHeaders, mappersFromHeaders, packTrees, readArtifact, readPackedTrees, unpackTrees, writeArtifact, type ArtifactFormat, type FeatureHeader } from '../trees/artifact.ts';
import { numBins } from '../trees/binning.ts';
import { OBJECTIVES, type Objective } from './losses.ts';
import type { GbdtModel } from './model.ts';
import type { ResolvedOptions } from './options.ts';

const FORMAT: ArtifactFormat = {
  magic: 'SLGB',
  version: 1,
  label: 'gbdt',
  bad: (why) => new DataError(`Not a valid Sluice gbdt model artifact: ${why}`, { code: 'GBDT_ARTIFACT' }),
};

/** The JSON header; `writeArtifact` appends the array table as `arrays`. */
interface Header {
  objective: Objective;
  numClasses: number;
  outputs: number;
  baseScore: number[];
  iterations: number;
  bestIteration: number;
  validLoss: number[];
  options: Record<string, number | string | null>;
  features: FeatureHeader[];
}

export function modelToBytes(model: GbdtModel): Uint8Array {
  const p = packTrees(model.trees);
  const { features, edges, categoryCodes } = mapperHeaders(model.mappers);
  const options: Header['options'] = {};
  for (const [k, v] of Object.entries(model.options)) {
    // The thread count is how a model was trained, not what it is: the model does not depend on it.
    if (k === 'threads') continue;
    options[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  }
  const header: Header = {
    objective: model.objective, numClasses: model.numClasses, outputs: model.outputs, baseScore: Array.from(model.baseScore),
    iterations: model.iterations, bestIteration: model.bestIteration, validLoss: model.validLoss, options, features,
  };
  // The array order is the byte layout: changing it changes the format.
  return writeArtifact(FORMAT, header, [
    ['nodeCounts', p.nodeCounts], ['feature', p.feature], ['left', p.left], ['right', p.right], ['threshold', p.threshold],
    ['flags', p.flags], ['value', p.value], ['cover', p.cover], ['gain', p.gain], ['catBits', p.catBits],
    ['edges', edges], ['categoryCodes', categoryCodes],
  ]);
}

export function modelFromBytes(bytes: Uint8Array): GbdtModel {
  const art = readArtifact<Header>(bytes, FORMAT);
  const { header } = art;
  if (!OBJECTIVES.includes(header.objective)) throw FORMAT.bad(`unknown objective ${header.objective}`);
  const packed = readPackedTrees(art);
  const value = art.array<Float64Array>('value');
  const mappers = mappersFromHeaders(header.features, art.array('edges'), art.array('categoryCodes'));
  const nb = Int32Array.from(mappers, numBins);
  const trees = unpackTrees(packed, nb, FORMAT.bad, { value: (at, count) => value.slice(at, at + count) });
  const options = { threads: 1 } as Record<string, number | string>;
  for (const [k, v] of Object.entries(header.options)) options[k] = v === null ? NaN : v;
  return {
    objective: header.objective,
    numClasses: header.numClasses,
    outputs: header.outputs,
    baseScore: Float64Array.from(header.baseScore),
    trees,
    numBins: nb,
    categorical: Uint8Array.from(mappers, (m) => (m.kind === 'categorical' ? 1 : 0)),
    iterations: header.iterations,
    validLoss: header.validLoss,
    bestIteration: header.bestIteration,
    options: options as unknown as ResolvedOptions,
    mappers,
  };
}
