/**
 * ONNX export of a trained model (a Predictor or a model package): gbdt, random forest, logistic
 * regression, ridge and elastic net, with the feature pipeline (standard scaling, category codes,
 * the linear models' implicit one-hot) in the graph.
 *
 * The graph reads the columns of the model's signature, one input each, named as the columns:
 * numbers as double [N,1] (NaN is missing), text as string [N,1] (a value outside the vocabulary,
 * such as the empty string, is missing or unseen: both score as Sluice scores a missing value).
 * It writes `probabilities` (double [N,K], classes in the model's order: binary [P(negative),
 * P(positive)], so column 1 is Sluice's predict()) or, for regression, `prediction` (double [N,1]).
 * Everything is computed in double (ONNX 21, ai.onnx.ml 5: TreeEnsemble, LabelEncoder), so
 * onnxruntime matches Sluice's predictions to about 1e-12. The metadata (metadata_props) records
 * the target, task, classes and inputs.
 *
 * Anything the graph cannot express (another estimator family such as a calibrated model, or a
 * transformer other than the standard scaler and category encoder) is a SluiceError naming it,
 * with code EXPORT_UNSUPPORTED.
 *
 * @example
 * const bytes = exportOnnx(loadPredictor(pkg), { name: 'delay' });
 * await writeFile('delay.onnx', bytes);
 * // onnxruntime: session.run({ distance: new Tensor('float64', [...], [n, 1]), origin: new Tensor('string', [...], [n, 1]) })
 */
import { GradientBoostedTrees } from '../gbdt/estimator.ts';
import { RandomForest } from '../forest/forest.ts';
import { LogisticRegressionModel } from '../linear/logistic.ts';
import { LinearRegressionModel } from '../linear/regression-model.ts';
import type { ModelPackage } from '../package.ts';
import { loadPredictor, Predictor } from '../predictor.ts';
import { buildFeatures, unsupported } from './features.ts';
import { GraphBuilder } from './graph.ts';
import { exportLinear } from './linear.ts';
import { exportForest, exportGbdt } from './trees.ts';

export interface OnnxExportOptions {
  /** The graph's name (default: the model's target). */
  name?: string;
  /** Extra metadata_props entries (e.g. the registry's model name and version). */
  metadata?: Record<string, string>;
}

/** The names of the graph's outputs. */
export const ONNX_OUTPUTS = { probabilities: 'probabilities', prediction: 'prediction' } as const;

const EXPORTABLE = 'gbdt, random-forest, logistic-regression, ridge, elastic-net';

interface LinearLayout { cardinalities: Record<string, number>; numericCategorical: readonly string[] }

/** Exports a model to ONNX bytes (see the module comment for the graph's inputs and outputs). */
export function exportOnnx(model: Predictor | ModelPackage, options: OnnxExportOptions = {}): Uint8Array {
  const predictor = model instanceof Predictor ? model : loadPredictor(model);
  const est = predictor.estimator as unknown as { type: string; model?: unknown; layout?: LinearLayout };
  const supported = est.model instanceof GradientBoostedTrees || est.model instanceof RandomForest
    || est.model instanceof LogisticRegressionModel || est.model instanceof LinearRegressionModel;
  if (!supported) {
    throw unsupported(`the estimator "${est.type}"`, `ONNX export covers ${EXPORTABLE}`, `Train one of ${EXPORTABLE} to export it${est.type === 'calibrated' ? '; the export does not rebuild a calibration map (Platt or isotonic) in the graph; score a calibrated model through Sluice (scoreDataset or the prediction server)' : ''}.`);
  }
  const g = new GraphBuilder(options.name ?? predictor.target);
  const features = buildFeatures(g, predictor.signature, predictor.features);
  let out: string;
  if (est.model instanceof GradientBoostedTrees) out = exportGbdt(g, est.model.model, features);
  else if (est.model instanceof RandomForest) out = exportForest(g, est.model.model, features);
  else {
    const layout = est.layout ?? { cardinalities: {}, numericCategorical: [] };
    if (est.model instanceof LogisticRegressionModel) {
      const m = est.model;
      out = exportLinear(g, { schema: m.schema, coef: m.coef, intercept: m.intercept, kind: 'logistic', ...layout }, features, est.type);
    } else {
      const m = est.model as LinearRegressionModel;
      out = exportLinear(g, { schema: m.schema, coef: m.coef, intercept: Float64Array.of(m.intercept), kind: 'regression', ...layout }, features, est.type);
    }
  }
  const task = predictor.task;
  const K = task === 'regression' ? 1 : task === 'binary' ? 2 : predictor.classes?.length ?? 0;
  if (task === 'regression') g.output(out, ONNX_OUTPUTS.prediction, 'double', [null, 1]);
  else g.output(out, ONNX_OUTPUTS.probabilities, 'double', [null, K > 0 ? K : 'K']);
  const inputs = predictor.signature.map((s) => ({ name: s.name, type: s.type === 'number' ? 'double' : 'string' }));
  return g.encode({
    producer: 'sluice',
    version: '1',
    doc: `Sluice ${est.type} model of "${predictor.target}" (${task}). Inputs: one [N,1] tensor per column (numbers double, NaN missing; text string, a value outside the vocabulary counts as missing). Output: ${task === 'regression' ? 'prediction [N,1]' : `probabilities [N,${K}] in the order of sluice.classes`}.`,
    metadata: {
      'sluice.estimator': est.type,
      'sluice.target': predictor.target,
      'sluice.task': task,
      ...(predictor.classes ? { 'sluice.classes': JSON.stringify(predictor.classes) } : {}),
      'sluice.inputs': JSON.stringify(inputs),
      'sluice.output': task === 'regression' ? ONNX_OUTPUTS.prediction : ONNX_OUTPUTS.probabilities,
      ...options.metadata,
    },
  });
}
