export { createGraph, type ParamValue, type Params, type PipelineGraph, type RetryPolicy, type StepNode } from './graph.ts';
export { PipelineBuilder, pipeline, resolveParams, type Committed, type StepOptions } from './pipeline.ts';
export { createStepContext, summarizeOutput, type RunInfo, type StepContext, type StepDatasets, type StepModels } from './context.ts';
export { runPipeline, type RunEvent, type RunOptions, type RunResult } from './executor.ts';
export type { Executor, QueuedTask, SubmitOptions, TaskEnv, TaskOutcome, TaskTransport, WaitOptions } from './executor-types.ts';
export { DEFAULT_LEASE_MS } from './executor-types.ts';
