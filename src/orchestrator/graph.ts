/**
 * The pipeline graph: frozen step nodes, checked when defined. The orchestrator only ever sees this.
 */
import { PipelineDefinitionError } from '../core/errors.ts';
import type { StepContext } from './context.ts';

import type { Params } from './types.ts';

export type { ParamValue, Params } from './types.ts';

export interface RetryPolicy {
  /** Extra attempts after the first failure (0 = no retry). */
  retries: number;
  /** Delay before the first retry; doubles each time (with jitter), up to `maxDelayMs`. */
  delayMs: number;
  /** Cap of the backoff; default 5 minutes. */
  maxDelayMs?: number;
}

export interface StepNode {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly retry: RetryPolicy;
  readonly description: string | undefined;
  /** Opt-in step caching: reuse the output of an identical earlier attempt (same code, params, partition, inputs). */
  readonly cache?: boolean;
  /** Per-attempt time limit (ms); the attempt fails with a timeout error (and may be retried). */
  readonly timeoutMs?: number | null;
  // The run function takes the outputs of its inputs by name.
  readonly run: (inputs: Record<string, unknown>, ctx: StepContext<Params>) => unknown;
}

export interface PipelineGraph {
  readonly name: string;
  readonly params: Readonly<Params>;
  readonly steps: readonly StepNode[];
  /** Steps in a valid execution order. */
  readonly order: readonly string[];
  readonly description: string | undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Validates and freezes a graph: names, duplicates, missing inputs, cycles. */
export function createGraph(spec: { name: string; params?: Params; steps: readonly StepNode[]; description?: string }): PipelineGraph {
  if (!NAME.test(spec.name)) {
    throw new PipelineDefinitionError(`Pipeline name ${JSON.stringify(spec.name)} is not valid`, { hint: 'Use letters, digits, "_", "-" and "."; start with a letter or "_".' });
  }
  const byName = new Map<string, StepNode>();
  for (const step of spec.steps) {
    if (!NAME.test(step.name)) {
      throw new PipelineDefinitionError(`Step name ${JSON.stringify(step.name)} in pipeline "${spec.name}" is not valid`, { context: { pipeline: spec.name, step: step.name }, hint: 'Use letters, digits, "_", "-" and "."; start with a letter or "_".' });
    }
    if (byName.has(step.name)) {
      throw new PipelineDefinitionError(`Pipeline "${spec.name}" defines step "${step.name}" twice`, { context: { pipeline: spec.name, step: step.name }, hint: 'Give each step a unique name.' });
    }
    byName.set(step.name, step);
  }
  for (const step of spec.steps) {
    for (const input of step.inputs) {
      if (!byName.has(input)) {
        throw new PipelineDefinitionError(`Step "${step.name}" of pipeline "${spec.name}" takes input "${input}", but no step has that name`, {
          context: { pipeline: spec.name, step: step.name, input },
          hint: `Known steps: ${[...byName.keys()].join(', ') || '(none)'}.`,
        });
      }
      if (input === step.name) {
        throw new PipelineDefinitionError(`Step "${step.name}" of pipeline "${spec.name}" takes its own output as input`, { context: { pipeline: spec.name, step: step.name } });
      }
    }
  }
  const order = topologicalOrder(spec.name, spec.steps, byName);
  const steps = spec.steps.map((s) => Object.freeze({ ...s, inputs: Object.freeze([...s.inputs]), retry: Object.freeze({ ...s.retry }) }));
  return Object.freeze({
    name: spec.name,
    params: Object.freeze({ ...(spec.params ?? {}) }),
    steps: Object.freeze(steps),
    order: Object.freeze(order),
    description: spec.description,
  });
}

/** Kahn's algorithm; on a cycle, a depth-first walk names the steps on it. */
function topologicalOrder(pipeline: string, steps: readonly StepNode[], byName: Map<string, StepNode>): string[] {
  const indegree = new Map<string, number>(steps.map((s) => [s.name, s.inputs.length]));
  const dependents = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const s of steps) for (const i of s.inputs) dependents.get(i)!.push(s.name);
  const ready = steps.filter((s) => s.inputs.length === 0).map((s) => s.name);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const d of dependents.get(n)!) {
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length === steps.length) return order;
  const cycle = findCycle(byName, new Set(order));
  throw new PipelineDefinitionError(`Pipeline "${pipeline}" has a cycle: ${cycle.join(' -> ')}`, {
    context: { pipeline, step: cycle[0] ?? '' },
    hint: 'A step cannot depend, directly or through others, on its own output.',
  });
}

function findCycle(byName: Map<string, StepNode>, done: Set<string>): string[] {
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'open');
    path.push(name);
    for (const input of byName.get(name)!.inputs) {
      if (state.get(input) === 'open') return [...path.slice(path.indexOf(input)), input];
      if (!state.has(input)) { const c = visit(input); if (c) return c; }
    }
    path.pop();
    state.set(name, 'closed');
    return undefined;
  };
  for (const name of byName.keys()) {
    if (done.has(name) || state.has(name)) continue;
    const c = visit(name);
    if (c) return c.reverse();
  }
  return [];
}
