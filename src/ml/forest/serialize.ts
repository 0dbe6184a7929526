/**
 * The forest artifact: a small JSON header plus typed arrays, in one byte string (the same framing
 * as gbdt's artifact, shared in ../gbdt/artifact.ts, with its own magic so neither loads the other
 * by mistake).
 *
 * Layout (little-endian):
 *   0  "SLRF"                       magic
 *   4  uint32 format version (1, or 2 with exact splits on fine codes)
 *   8  uint32 header length h
 *   12 header: UTF-8 JSON           task, classes, options, OOB score, features, array table
 *   .. zero padding to a multiple of 8
 *   .. arrays, each 8-byte aligned, located by the header's table as [type, byteOffset, length]
 *
 * Arrays: per-tree node counts; per node feature, left, right, threshold bin (Int32), flags (bit 0
 * categorical split, bit 1 default left), cover and gain (Float64); node outputs (outputs per
 * node, Float64); the left-set bitsets of categorical splits only (numeric ones are rebuilt from
 * threshold and default direction); numeric bin edges and numeric category codes. Doubles are
 * stored bit for bit, so a loaded forest predicts exactly what the fitted one did.
 *
 * Version 2 (written only when some feature has fine codes, ../trees/fine.ts; version 1 otherwise,
 * byte for byte as before) adds `fineEdges` (the features' fine edges, located by each feature
 * header's `fine` [offset, length]) and `fine` (per node, the fine-code threshold of an exact
 * split, -1 elsewhere). Both versions load.
 *
 * @example
 * const bytes = forestToBytes(model);
 * const again = forestFromBytes(bytes);
 */
import { DataError } from '../../core/errors.ts';
import { mapperHeaders, mappersFromHeaders, packTrees, readArtifact, readPackedTrees, unpackTrees, writeArtifact, type ArtifactFormat, type FeatureHeader, type Typed } from '../trees/artifact.ts';
import { numBins } from '../trees/binning.ts';
import type { Task } from '../estimator.ts';
import type { ForestTree } from './grow.ts';
import type { ForestModel } from './model.ts';

const FORMAT: ArtifactFormat = {
  magic: 'SLRF',
  version: 2,
  reads: [1],
  label: 'random forest',
  bad: (why) => new DataError(`Not a valid Sluice random forest artifact: ${why}`, { code: 'FOREST_ARTIFACT' }),
};
const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

/** The JSON header; `writeArtifact` appends the array table as `arrays`. */
interface Header {
  task: Task;
  numClasses: number;
  outputs: number;
  options: ForestModel['options'];
  oobScore: number | null;
  features: (FeatureHeader & { fine?: [number, number] })[];
}

export function forestToBytes(model: ForestModel): Uint8Array {
  const K = model.outputs;
  // Per-node `value` is not stored: the node outputs (K per node) are, and carry it.
  const p = packTrees(model.trees.map((t) => t.tree));
  const values = new Float64Array(p.feature.length * K);
  let at = 0;
  for (const { tree, values: v } of model.trees) {
    values.set(v, at * K);
    at += tree.numNodes;
  }
  const { features: plain, edges, categoryCodes } = mapperHeaders(model.mappers);
  const features: Header['features'] = plain;
  const header: Header = { task: model.task, numClasses: model.numClasses, outputs: K, options: model.options, oobScore: model.oobScore, features };
  // The array order is the byte layout: changing it changes the format.
  const arrays: [string, Typed][] = [
    ['nodeCounts', p.nodeCounts], ['feature', p.feature], ['left', p.left], ['right', p.right], ['threshold', p.threshold],
    ['flags', p.flags], ['cover', p.cover], ['gain', p.gain], ['values', values], ['catBits', p.catBits],
    ['edges', edges], ['categoryCodes', categoryCodes],
  ];
  if (!model.fine.some((e) => e !== null)) return writeArtifact(FORMAT, header, arrays, 1);
  const fineEdges: number[] = [];
  model.fine.forEach((e, f) => {
    if (!e) return;
    features[f] = { ...features[f]!, fine: [fineEdges.length, e.length] };
    for (const x of e) fineEdges.push(x);
  });
  const fine = new Int32Array(p.feature.length).fill(-1);
  at = 0;
  for (const { tree } of model.trees) {
    if (tree.fine) fine.set(tree.fine, at);
    at += tree.numNodes;
  }
  arrays.push(['fineEdges', Float64Array.from(fineEdges)], ['fine', fine]);
  return writeArtifact(FORMAT, header, arrays, 2);
}

export function forestFromBytes(bytes: Uint8Array): ForestModel {
  const art = readArtifact<Header>(bytes, FORMAT);
  const { header } = art;
  if (!TASKS.includes(header.task)) throw FORMAT.bad(`unknown task ${String(header.task)}`);
  const packed = readPackedTrees(art);
  const values = art.array<Float64Array>('values');
  const K = header.outputs;
  if (values.length !== packed.feature.length * K) throw FORMAT.bad(`${values.length} node values for ${packed.feature.length} nodes x ${K} outputs`);
  const mappers = mappersFromHeaders(header.features, art.array('edges'), art.array('categoryCodes'));
  // A tree's node value is its first output, as the grower sets it.
  const value = (at: number, count: number): Float64Array => Float64Array.from({ length: count }, (_, i) => values[(at + i) * K]!);
  const tops = unpackTrees(packed, Int32Array.from(mappers, numBins), FORMAT.bad, { value, checkChildren: true });
  const fineEdges = art.version >= 2 ? art.array<Float64Array>('fineEdges') : new Float64Array(0);
  const fineNodes = art.version >= 2 ? art.array<Int32Array>('fine') : null;
  if (fineNodes && fineNodes.length !== packed.feature.length) throw FORMAT.bad(`${fineNodes.length} fine thresholds for ${packed.feature.length} nodes`);
  const fine = header.features.map((h, f) => {
    if (!h.fine) return null;
    const [off, len] = h.fine;
    if (mappers[f]!.kind !== 'numeric' || off < 0 || len < 0 || off + len > fineEdges.length) throw FORMAT.bad(`feature ${h.name} has fine edges outside the array`);
    return fineEdges.slice(off, off + len);
  });
  let at = 0;
  const trees = tops.map((top): ForestTree => {
    const v = values.slice(at * K, (at + top.numNodes) * K);
    let tree = top;
    if (fineNodes) {
      const f = fineNodes.slice(at, at + top.numNodes);
      for (let i = 0; i < top.numNodes; i++) {
        if (f[i]! >= 0 && (top.left[i]! < 0 || !fine[top.feature[i]!])) throw FORMAT.bad(`node ${i} has a fine threshold on a feature without fine codes`);
      }
      if (f.some((x) => x >= 0)) tree = { ...top, fine: f };
    }
    at += top.numNodes;
    return { tree, values: v };
  });
  return { task: header.task, numClasses: header.numClasses, outputs: K, mappers, fine, trees, options: header.options, oobScore: header.oobScore };
}
