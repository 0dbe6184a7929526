export { createGraph, type ParamValue, type Params, type PipelineGraph, type RetryPolicy, type StepNode } from './graph.ts';
export { PipelineBuilder, pipeline, resolveParams, type Committed, type StepOptions } from './pipeline.ts';
export { createStepContext, summarizeOutput, type RunInfo, type StepContext, type StepDatasets, type StepModels } from './context.ts';
export { runPipeline, type RunEvent, type RunOptions, type RunResult } from './executor.ts';
export { daily, monthly, partitionKeys, partitionRange, partitionStart, logicalDateOf, type PartitionsDef, type TimePartitions, type KeyPartitions } from './partitions.ts';
export { nextOccurrence, nextOccurrences, dueOccurrences, partitionForOccurrence, type CatchUpPolicy, type ScheduleDef, type ScheduleOptions } from './schedule.ts';
export { defineProject, findProjectFile, loadProject, loadPipelineFile, resolvePipeline, resolveRunGraph, type LoadedProject, type ProjectPipeline, type ProjectDefinition } from './project.ts';
export type { Executor, QueuedTask, SubmitOptions, TaskEnv, TaskOutcome, TaskTransport, WaitOptions } from './executor-types.ts';
export { DEFAULT_LEASE_MS } from './executor-types.ts';
