// The bench's project file for the distributed half: trivial pipelines the 4 `sluice worker`
// processes load by name (the run records this file). Each step returns the time it started, so the
// bench reads enqueue-to-start from the task runs without any extra channel.
import { defineProject } from '../src/orchestrator/project.ts';
import type { PipelineGraph } from '../src/orchestrator/graph.ts';
import { pipeline } from '../src/orchestrator/pipeline.ts';

export const FAN = 2_000;
export const CHAIN = 200;

/** The builder's types track each step's name; a generated pipeline does not need that. */
interface LooseBuilder {
  step(name: string, inputs: readonly string[], fn: () => Promise<number>): LooseBuilder;
  build(): PipelineGraph;
}

function fanOut(): PipelineGraph {
  let p = pipeline('bench_fan') as unknown as LooseBuilder;
  for (let i = 0; i < FAN; i++) p = p.step(`t${i}`, [], async () => Date.now());
  return p.build();
}

function chain(): PipelineGraph {
  let p = pipeline('bench_chain') as unknown as LooseBuilder;
  for (let i = 0; i < CHAIN; i++) p = p.step(`c${i}`, i === 0 ? [] : [`c${i - 1}`], async () => Date.now());
  return p.build();
}

export default defineProject({ pipelines: [fanOut(), chain()] });
