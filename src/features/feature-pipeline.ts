/**
 * A feature pipeline: fitted transformers applied in order, then a selection of output columns.
 * It is what a model package stores in front of its estimator, and it is itself a transformer, so a
 * chain can sit inside a column transformer.
 *
 * @example
 * const { transformer: features, output } = fitTransformFeaturePipeline(train, [
 *   { columns: ['age'], fit: (f, c) => fitImputer(f, c, { strategy: 'median' }) },
 *   { columns: ['age'], fit: fitStandardScaler },
 *   { columns: ['origin'], fit: (f, c) => fitTransformTargetEncoder(f, c, { target: 'late', seed: 1 }) },
 * ], { outputs: ['age', 'origin'] });
 * features.transform(test); // the same steps, fitted on train only
 */
import { DataError } from '../core/errors.ts';
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { isFitted, loadTransformer, registerTransformer, transformerOutputs, type Fitted, type FittedTransformer, type TransformerFit } from './transformer.ts';

export class FeaturePipeline implements FittedTransformer {
  readonly type = 'feature-pipeline';
  readonly steps: readonly FittedTransformer[];
  /** Output columns, in order. */
  readonly outputs: readonly string[];

  constructor(steps: readonly FittedTransformer[], outputs: readonly string[]) {
    this.steps = steps; this.outputs = outputs;
  }

  /** Columns the pipeline reads: those its steps read before any step writes them, and passed-through outputs. */
  get inputs(): readonly string[] {
    const produced = new Set<string>();
    const inputs: string[] = [];
    const need = (c: string): void => { if (!produced.has(c) && !inputs.includes(c)) inputs.push(c); };
    for (const s of this.steps) {
      s.inputs.forEach(need);
      for (const o of transformerOutputs(s)) produced.add(o);
    }
    this.outputs.forEach(need);
    return inputs;
  }

  transform(frame: Frame): Frame {
    let f = frame;
    for (const s of this.steps) f = s.transform(f);
    return f.select(this.outputs);
  }

  toJSON(): { type: string; state: Json } {
    return { type: 'feature-pipeline', state: { steps: this.steps.map((s) => s.toJSON()), outputs: [...this.outputs] } };
  }

  static fromJSON(state: Json): FeaturePipeline {
    const s = state as { steps: { type: string; state: Json }[]; outputs: string[] };
    return new FeaturePipeline(s.steps.map(loadTransformer), s.outputs);
  }
}

/** One step of a pipeline to fit: a fit function and the columns it works on. */
export interface PipelineStep {
  columns: readonly string[];
  fit: TransformerFit;
}

export interface FeaturePipelineOptions {
  /** Output columns; default: the last step's outputs. */
  outputs?: readonly string[];
}

/**
 * Fits the steps in order, each on the previous step's training output (out of fold where a step
 * makes it so), and returns the pipeline with the transformed training rows.
 */
export function fitTransformFeaturePipeline(frame: Frame, steps: readonly PipelineStep[], options: FeaturePipelineOptions = {}): Fitted<FeaturePipeline> {
  let f = frame;
  const fitted: FittedTransformer[] = [];
  for (const step of steps) {
    const r = step.fit(f, step.columns);
    const t = isFitted(r) ? r.transformer : r;
    f = isFitted(r) ? r.output : t.transform(f);
    fitted.push(t);
  }
  const last = fitted[fitted.length - 1];
  const outputs = options.outputs ?? (last ? transformerOutputs(last) : undefined);
  if (!outputs) throw new DataError('feature pipeline: no steps and no outputs; name the output columns', { hint: 'Pass options.outputs.' });
  for (const o of outputs) {
    if (!f.has(o)) throw new DataError(`feature pipeline: output column "${o}" is not produced by the steps (columns after the last step: ${f.names.join(', ')})`, { context: { column: o } });
  }
  const pipeline = new FeaturePipeline(fitted, [...outputs]);
  return { transformer: pipeline, output: f.select(pipeline.outputs) };
}

/** Fits the steps in order (see fitTransformFeaturePipeline) and returns the pipeline. */
export function fitFeaturePipeline(frame: Frame, steps: readonly PipelineStep[], options: FeaturePipelineOptions = {}): FeaturePipeline {
  return fitTransformFeaturePipeline(frame, steps, options).transformer;
}

registerTransformer('feature-pipeline', (state) => FeaturePipeline.fromJSON(state));
