import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineDefinitionError } from '../../src/core/errors.ts';
import { createGraph, pipeline, resolveParams, type StepNode } from '../../src/orchestrator/index.ts';

const node = (name: string, inputs: string[] = []): StepNode => ({ name, inputs, retry: { retries: 0, delayMs: 0 }, description: undefined, run: () => null });

test('the builder produces a frozen graph in execution order', () => {
  const g = pipeline('p', { params: { n: 1 } })
    .step('a', [], () => 1)
    .step('b', ['a'], ({ a }) => a + 1)
    .step('c', ['a', 'b'], ({ a, b }) => a + b)
    .build();
  assert.deepEqual(g.order, ['a', 'b', 'c']);
  assert.ok(Object.isFrozen(g));
  assert.ok(Object.isFrozen(g.steps));
  assert.ok(Object.isFrozen(g.steps[0]));
  assert.throws(() => { (g.steps as StepNode[]).push(node('x')); });
});

test('a duplicate step name is refused, naming the step', () => {
  const b = pipeline('p').step('load', [], () => 1);
  assert.throws(() => b.step('load', [], () => 2), (err: unknown) => {
    assert.ok(err instanceof PipelineDefinitionError);
    assert.match(err.message, /defines step "load" twice/);
    return true;
  });
  assert.throws(() => createGraph({ name: 'p', steps: [node('x'), node('x')] }), /step "x" twice/);
});

test('a missing input is refused, naming the step and the input', () => {
  assert.throws(() => createGraph({ name: 'p', steps: [node('train', ['features'])] }), (err: unknown) => {
    assert.ok(err instanceof PipelineDefinitionError);
    assert.match(err.message, /Step "train" of pipeline "p" takes input "features", but no step has that name/);
    return true;
  });
  // Through the builder (as a JavaScript user, without the type checker, could write it).
  const b = pipeline('q').step('a', [], () => 1) as unknown as { step: (n: string, i: string[], f: () => number) => { build: () => unknown } };
  assert.throws(() => b.step('b', ['nope'], () => 1).build(), /takes input "nope"/);
});

test('a cycle is refused, naming the steps on it', () => {
  const steps = [node('a', ['c']), node('b', ['a']), node('c', ['b']), node('d')];
  assert.throws(() => createGraph({ name: 'p', steps }), (err: unknown) => {
    assert.ok(err instanceof PipelineDefinitionError);
    assert.match(err.message, /Pipeline "p" has a cycle: /);
    for (const s of ['a', 'b', 'c']) assert.match(err.message, new RegExp(`\\b${s}\\b`));
    assert.doesNotMatch(err.message, /\bd\b/);
    return true;
  });
  assert.throws(() => createGraph({ name: 'p', steps: [node('a', ['a'])] }), /takes its own output/);
});

test('invalid names are refused', () => {
  assert.throws(() => pipeline('bad name').step('a', [], () => 1).build(), /Pipeline name "bad name" is not valid/);
  assert.throws(() => createGraph({ name: 'p', steps: [node('has space')] }), /Step name "has space"/);
});

test('params are coerced to their declared types; unknown or bad ones are errors', () => {
  const g = pipeline('p', { params: { n: 1, flag: false, s: 'x' } }).step('a', [], () => 1).build();
  assert.deepEqual(resolveParams(g, { n: '2.5', flag: 'true', s: 'y' }), { n: 2.5, flag: true, s: 'y' });
  assert.throws(() => resolveParams(g, { m: '1' }), /has no param "m"/);
  assert.throws(() => resolveParams(g, { n: 'abc' }), /must be a number/);
  assert.throws(() => resolveParams(g, { flag: 'maybe' }), /true or false/);
});
