/**
 * gbdt and random forests to ONNX: one ai.onnx.ml TreeEnsemble (opset 5) over a [N,F] double
 * matrix of the features in the model's order, summing in double.
 *
 * Splits, from bin space back to raw values:
 * - numeric: gbdt's binning puts v in bin b when edges[b-1] < v <= edges[b], and a row goes left
 *   when bin <= t; so left is exactly v <= edges[t]: BRANCH_LEQ on edges[t] (a double, no rounding).
 *   A forest's exact split on fine codes (codes <= c go left) is v <= fineEdges[c] the same way.
 * - categorical: a category column becomes its bin index, exactly as Sluice bins it (a LabelEncoder
 *   from the raw value; missing, unseen and capped categories get the missing bin's index, numBins),
 *   and a split on a set of categories is one BRANCH_MEMBER node with the left set's bins, the missing
 *   bin among them when missing values go left. A chain of BRANCH_EQ nodes would grow each tree by
 *   the set's size, and a 0/1 "goes left" column per split one LabelEncoder per node; opset 5 tests
 *   the set directly. The missing bin is a number, not NaN, on purpose: onnxruntime 1.30 tests a set
 *   of more than 30 members, or with a member above 30, by a search in which NaN matches member 0
 *   (test/ml/export/onnx-parity.test.ts has the case), whatever nodes_missing_value_tracks_true says.
 * - missing numbers: NaN follows the node's learned direction (nodes_missing_value_tracks_true, the
 *   true branch being Sluice's left).
 *
 * Outputs: gbdt adds its base scores, then Sigmoid (binary: probabilities [1 - p, p]) or Softmax
 * (multiclass); a forest divides the sum by the number of trees (its leaves hold class shares, one
 * tree copy per class for multiclass since an opset-5 leaf feeds one target).
 */
import type { BinMapper } from '../trees/binning.ts';
import type { GbdtModel } from '../gbdt/model.ts';
import type { Tree } from '../trees/tree.ts';
import type { ForestModel } from '../forest/model.ts';
import { asCategory, categoryLookup, unsupported, type ExportFeature } from './features.ts';
import { ML_DOMAIN, tensor, type GraphBuilder } from './graph.ts';

const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;

/** One tree to emit: its structure, and the (target, weight) of each leaf. */
interface EnsembleTree {
  tree: Tree;
  target: number;
  /** Weight of leaf node i. */
  weight: (node: number) => number;
}

function numBins(m: BinMapper): number {
  return m.kind === 'numeric' ? m.edges.length + 1 : m.categories.length;
}

function leftHas(t: Tree, node: number, bin: number): boolean {
  return ((t.leftBits[8 * node + (bin >> 5)]! >>> (bin & 31)) & 1) === 1;
}

/** The [N,F] double matrix of the trees' features: numeric values, and bin indices of categories. */
function featureMatrix(g: GraphBuilder, mappers: readonly BinMapper[], features: ReadonlyMap<string, ExportFeature>, who: string): string {
  const cols = mappers.map((m) => {
    const f = features.get(m.name);
    if (!f) throw unsupported(`${who} feature "${m.name}"`, 'no model input or transformer makes it', 'Export a model trained with trainModel.');
    if (m.kind === 'numeric') {
      if (f.kind !== 'numeric') throw unsupported(`${who} feature "${m.name}"`, 'the trees split it as a number but the pipeline makes categories', 'Retrain the model.');
      return f.value;
    }
    const c = asCategory(f, who);
    const keys = m.source === 'string' ? (m.categories as readonly string[]) : Array.from(m.categories as Float64Array, String);
    // Missing, unseen and capped categories take the missing bin's index, as in Sluice's binning.
    return categoryLookup(g, c, keys.map((k, b) => [k, b] as const), numBins(m), 'double');
  });
  return cols.length === 1 ? cols[0]! : g.node('Concat', cols, { axis: { int: 1 } });
}

/** Emits the TreeEnsemble; returns its [N, targets] double output. */
function ensemble(
  g: GraphBuilder, x: string, trees: readonly EnsembleTree[], targets: number, mappers: readonly BinMapper[],
  threshold: (tree: Tree, node: number) => number,
): string {
  const modes: number[] = [], feature: number[] = [], splits: number[] = [], trueIds: number[] = [], trueLeaf: number[] = [];
  const falseIds: number[] = [], falseLeaf: number[] = [], missingTrue: number[] = [], members: number[] = [];
  const leafTarget: number[] = [], leafWeight: number[] = [], roots: number[] = [];
  for (const { tree: t, target, weight } of trees) {
    const leaf = (i: number): number => { leafTarget.push(target); leafWeight.push(weight(i)); return leafWeight.length - 1; };
    if (t.left[0]! < 0) {
      // A tree that is one leaf: opset 5 roots are split nodes, so a split whose both sides are that leaf.
      roots.push(modes.length);
      modes.push(BRANCH_LEQ); feature.push(0); splits.push(0); missingTrue.push(0);
      trueIds.push(leaf(0)); trueLeaf.push(1); falseIds.push(leaf(0)); falseLeaf.push(1);
      continue;
    }
    // Split nodes in tree order get consecutive ids; children are patched once all ids are known.
    const id = new Int32Array(t.numNodes).fill(-1);
    const base = modes.length;
    for (let i = 0, k = base; i < t.numNodes; i++) if (t.left[i]! >= 0) id[i] = k++;
    roots.push(id[0]!);
    for (let i = 0; i < t.numNodes; i++) {
      if (t.left[i]! < 0) continue;
      const f = t.feature[i]!;
      feature.push(f);
      if (t.categorical[i]) {
        // The left set over bins 0..numBins, the missing bin included when missing values go left.
        const left: number[] = [];
        for (let b = 0; b <= numBins(mappers[f]!); b++) if (leftHas(t, i, b)) left.push(b);
        if (left.length > 0) {
          modes.push(BRANCH_MEMBER); splits.push(NaN);
          members.push(...left, NaN);
        } else {
          // Nothing goes left: a split no bin index passes (ORT needs a non-empty set).
          modes.push(BRANCH_LEQ); splits.push(-Infinity);
        }
        missingTrue.push(0);
      } else {
        modes.push(BRANCH_LEQ); splits.push(threshold(t, i));
        missingTrue.push(t.defaultLeft[i] ? 1 : 0);
      }
      trueIds.push(0); trueLeaf.push(0); falseIds.push(0); falseLeaf.push(0);
    }
    for (let i = 0; i < t.numNodes; i++) {
      if (t.left[i]! < 0) continue;
      const q = id[i]!;
      for (const [child, ids, isLeaf] of [[t.left[i]!, trueIds, trueLeaf], [t.right[i]!, falseIds, falseLeaf]] as const) {
        if (t.left[child]! < 0) { ids[q] = leaf(child); isLeaf[q] = 1; } else { ids[q] = id[child]!; isLeaf[q] = 0; }
      }
    }
  }
  return g.node('TreeEnsemble', [x], {
    aggregate_function: { int: 1 }, // SUM
    post_transform: { int: 0 }, // NONE
    n_targets: { int: targets },
    tree_roots: { ints: roots },
    nodes_modes: { tensor: tensor('uint8', [modes.length], modes) },
    nodes_featureids: { ints: feature },
    nodes_splits: { tensor: tensor('double', [splits.length], splits) },
    nodes_truenodeids: { ints: trueIds },
    nodes_trueleafs: { ints: trueLeaf },
    nodes_falsenodeids: { ints: falseIds },
    nodes_falseleafs: { ints: falseLeaf },
    nodes_missing_value_tracks_true: { ints: missingTrue },
    ...(members.length > 0 ? { membership_values: { tensor: tensor('double', [members.length], members) } } : {}),
    leaf_targetids: { ints: leafTarget },
    leaf_weights: { tensor: tensor('double', [leafWeight.length], leafWeight) },
  }, ML_DOMAIN);
}

/** Raw edge of a bin threshold: values <= it go left (the last bin's upper edge is +Infinity). */
function binEdge(m: BinMapper, bin: number): number {
  return m.kind === 'numeric' && bin < m.edges.length ? m.edges[bin]! : Infinity;
}

/** [1 - p, p] from a [N,1] probability of the positive class. */
export function twoClass(g: GraphBuilder, p: string): string {
  const q = g.node('Sub', [g.constant('one', 'double', [], [1]), p]);
  return g.node('Concat', [q, p], { axis: { int: 1 } });
}

/** gbdt: returns the output value ([N,K] probabilities, or [N,1] values for regression). */
export function exportGbdt(g: GraphBuilder, model: GbdtModel, features: ReadonlyMap<string, ExportFeature>): string {
  const x = featureMatrix(g, model.mappers, features, 'gbdt');
  const K = model.outputs;
  const trees = model.trees.map((tree, t) => ({ tree, target: t % K, weight: (i: number) => tree.value[i]! }));
  const sum = ensemble(g, x, trees, K, model.mappers, (t, i) => binEdge(model.mappers[t.feature[i]!]!, t.threshold[i]!));
  const raw = g.node('Add', [sum, g.constant('base_score', 'double', [1, K], model.baseScore)]);
  switch (model.objective) {
    case 'binary': return twoClass(g, g.node('Sigmoid', [raw]));
    case 'multiclass': return g.node('Softmax', [raw], { axis: { int: 1 } });
    case 'regression': case 'huber': return raw;
    default: throw unsupported(`gbdt objective "${String(model.objective)}"`, 'the export knows binary, multiclass, regression and huber', 'Retrain with one of those objectives.');
  }
}

/** Random forest: the mean of the trees' leaves; returns [N,K] probabilities or [N,1] values. */
export function exportForest(g: GraphBuilder, model: ForestModel, features: ReadonlyMap<string, ExportFeature>): string {
  const x = featureMatrix(g, model.mappers, features, 'random forest');
  const W = model.outputs;
  const trees: EnsembleTree[] = [];
  for (const { tree, values } of model.trees) {
    for (let k = 0; k < W; k++) trees.push({ tree, target: k, weight: (i) => values[i * W + k]! });
  }
  const threshold = (t: Tree, i: number): number => {
    const f = t.feature[i]!;
    const fine = t.fine ? t.fine[i]! : -1;
    if (fine < 0) return binEdge(model.mappers[f]!, t.threshold[i]!);
    const edges = model.fine[f];
    if (!edges) throw unsupported(`random forest feature "${model.mappers[f]!.name}"`, 'an exact split has no fine edges', 'The model file is damaged: retrain it.');
    return fine < edges.length ? edges[fine]! : Infinity;
  };
  const sum = ensemble(g, x, trees, W, model.mappers, threshold);
  const mean = g.node('Div', [sum, g.constant('num_trees', 'double', [], [model.trees.length])]);
  return model.task === 'binary' ? twoClass(g, mean) : mean;
}
