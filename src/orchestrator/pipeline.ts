/**
 * The typed pipeline builder: what users write in their pipeline file.
 *
 * @example
 * export default pipeline('daily', { params: { minDelay: 15 } })
 *   .step('raw', [], async (_in, ctx) => ctx.datasets.write('raw', `SELECT * FROM 'x.parquet'`))
 *   .step('stats', ['raw'], async ({ raw }, ctx) => ctx.engine.rows(`SELECT count(*) AS n FROM ${ctx.datasets.sql(raw)}`))
 *   .build();
 */
import { PipelineDefinitionError } from '../core/errors.ts';
import type { DatasetRef, StagedDataset } from '../data/index.ts';
import type { ModelRef, StagedModel } from '../registry/index.ts';
import type { StepContext } from './context.ts';
import { createGraph, type Params, type PipelineGraph, type RetryPolicy, type StepNode } from './graph.ts';

export interface StepOptions {
  /** Extra attempts after a failure (default 0), with exponential backoff and jitter from `retryDelayMs`. */
  retries?: number;
  retryDelayMs?: number;
  /** Cap of the retry backoff (default 5 minutes). */
  maxRetryDelayMs?: number;
  /** Per-attempt time limit in ms. */
  timeoutMs?: number;
  /**
   * Reuse the recorded output of an earlier successful attempt with the same step code, params,
   * partition and input versions (registers nothing new). `--no-cache` forces a recompute.
   */
  cache?: boolean;
  description?: string;
}

/**
 * What a later step receives: datasets and models a step staged arrive registered, with their versions.
 */
export type Committed<T> = T extends StagedDataset ? DatasetRef
  : T extends StagedModel ? ModelRef
  : T extends ArrayBufferView | ((...args: never[]) => unknown) | Date ? T
  : T extends readonly (infer U)[] ? Committed<U>[]
  : T extends { readonly numRows: number; readonly names: readonly string[] } ? T
  : T extends object ? { [K in keyof T]: Committed<T[K]> }
  : T;

type StepFn<P extends Params, I, R> = (inputs: I, ctx: StepContext<P>) => R | Promise<R>;

export class PipelineBuilder<P extends Params, Outputs extends Record<string, unknown>> {
  readonly #name: string;
  readonly #params: P;
  readonly #steps: readonly StepNode[];
  readonly #description: string | undefined;

  constructor(name: string, params: P, steps: readonly StepNode[] = [], description?: string) {
    this.#name = name;
    this.#params = params;
    this.#steps = steps;
    this.#description = description;
  }

  /**
   * Adds a step. `inputs` names earlier steps; their outputs arrive, typed, as the first argument.
   * Returns a new builder: builders are immutable.
   */
  step<const N extends string, const D extends keyof Outputs & string, R>(
    name: N,
    inputs: readonly D[],
    run: StepFn<P, { [K in D]: Outputs[K] }, R>,
    options: StepOptions = {},
  ): PipelineBuilder<P, Outputs & { [K in N]: Committed<Awaited<R>> }> {
    if (this.#steps.some((s) => s.name === name)) {
      throw new PipelineDefinitionError(`Pipeline "${this.#name}" defines step "${name}" twice`, { context: { pipeline: this.#name, step: name }, hint: 'Give each step a unique name.' });
    }
    if (typeof run !== 'function') {
      throw new PipelineDefinitionError(`Step "${name}" of pipeline "${this.#name}" has no run function`, { context: { pipeline: this.#name, step: name } });
    }
    const retry: RetryPolicy = { retries: options.retries ?? 0, delayMs: options.retryDelayMs ?? 1000, ...(options.maxRetryDelayMs !== undefined ? { maxDelayMs: options.maxRetryDelayMs } : {}) };
    checkStepOptions(this.#name, name, options);
    const node: StepNode = {
      name,
      inputs: [...inputs],
      retry,
      description: options.description,
      cache: options.cache === true,
      timeoutMs: options.timeoutMs ?? null,
      run: run as unknown as StepNode['run'],
    };
    return new PipelineBuilder(this.#name, this.#params, [...this.#steps, node], this.#description);
  }

  /** Checks the graph (names, inputs, cycles) and freezes it. */
  build(): PipelineGraph {
    return createGraph({ name: this.#name, params: this.#params, steps: this.#steps, ...(this.#description ? { description: this.#description } : {}) });
  }
}

function checkStepOptions(pipelineName: string, step: string, o: StepOptions): void {
  const bad = (what: string, value: unknown, want: string): never => {
    throw new PipelineDefinitionError(`Step "${step}" of pipeline "${pipelineName}": ${what} must be ${want}, got ${String(value)}`, { context: { pipeline: pipelineName, step } });
  };
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) bad('retries', o.retries, 'an integer >= 0');
  if (o.retryDelayMs !== undefined && !(Number.isFinite(o.retryDelayMs) && o.retryDelayMs >= 0)) bad('retryDelayMs', o.retryDelayMs, 'a number of ms >= 0');
  if (o.maxRetryDelayMs !== undefined && !(Number.isFinite(o.maxRetryDelayMs) && o.maxRetryDelayMs >= 0)) bad('maxRetryDelayMs', o.maxRetryDelayMs, 'a number of ms >= 0');
  if (o.timeoutMs !== undefined && !(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) bad('timeoutMs', o.timeoutMs, 'a number of ms > 0');
}

/** Starts a pipeline definition. Params declare their defaults, and thereby their types. */
export function pipeline<const P extends Params = Record<never, never>>(name: string, options: { params?: P; description?: string } = {}): PipelineBuilder<P, Record<never, never>> {
  return new PipelineBuilder<P, Record<never, never>>(name, (options.params ?? {}) as P, [], options.description);
}

/** Coerces `--param k=v` strings to the declared param types; unknown names and bad values are errors. */
export function resolveParams(graph: PipelineGraph, given: Record<string, string | ParamsValue>): Params {
  const out: Params = { ...graph.params };
  for (const [key, raw] of Object.entries(given)) {
    if (!(key in graph.params)) {
      throw new PipelineDefinitionError(`Pipeline "${graph.name}" has no param "${key}"`, { hint: `Its params: ${Object.keys(graph.params).join(', ') || '(none)'}.` });
    }
    const def = graph.params[key]!;
    if (typeof raw !== 'string') { out[key] = raw; continue; }
    if (typeof def === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new PipelineDefinitionError(`Param "${key}" of pipeline "${graph.name}" must be a number, got ${JSON.stringify(raw)}`);
      out[key] = n;
    } else if (typeof def === 'boolean') {
      if (!/^(true|false|1|0)$/i.test(raw)) throw new PipelineDefinitionError(`Param "${key}" of pipeline "${graph.name}" must be true or false, got ${JSON.stringify(raw)}`);
      out[key] = /^(true|1)$/i.test(raw);
    } else {
      out[key] = raw;
    }
  }
  return out;
}
type ParamsValue = string | number | boolean;
