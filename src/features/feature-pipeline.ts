/**
 * A feature pipeline: fitted transformers applied in order, then a selection of output columns.
 * It is what a model package stores in front of its estimator.
 */
import type { Frame } from '../frame/frame.ts';
import type { Json } from '../store/types.ts';
import { loadTransformer, type FittedTransformer } from './transformer.ts';

export class FeaturePipeline {
  readonly steps: readonly FittedTransformer[];
  /** Output columns, in order. */
  readonly outputs: readonly string[];

  constructor(steps: readonly FittedTransformer[], outputs: readonly string[]) {
    this.steps = steps; this.outputs = outputs;
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
