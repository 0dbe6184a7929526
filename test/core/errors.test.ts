import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { SluiceError, errorMessage, toError } from '../../src/core/errors.ts';

test('errorMessage: an Error gives its message; any other thrown value its type and JSON, never [object Object]', () => {
  assert.equal(errorMessage(new Error('disk full')), 'disk full');
  assert.equal(errorMessage(new SluiceError('bad name', { hint: 'rename it' })), 'bad name');
  assert.equal(errorMessage({ code: 7 }), 'a non-Error value was thrown (object): {"code":7}');
  assert.equal(errorMessage('boom'), 'a non-Error value was thrown (string): "boom"');
  assert.equal(errorMessage(42), 'a non-Error value was thrown (number): 42');
  assert.equal(errorMessage(null), 'a non-Error value was thrown (null): null');
  assert.equal(errorMessage(undefined), 'a non-Error value was thrown (undefined): undefined');
  assert.equal(errorMessage([1, 'a']), 'a non-Error value was thrown (array): [1,"a"]');
  assert.equal(errorMessage(10n), 'a non-Error value was thrown (bigint): 10n');
  // What JSON cannot show (cycles, BigInt inside, functions) is inspected instead.
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  assert.match(errorMessage(cyclic), /^a non-Error value was thrown \(object\): <ref \*1> \{ name: 'loop', self: \[Circular \*1\] \}$/);
  assert.equal(errorMessage({ n: 1n }), 'a non-Error value was thrown (object): { n: 1n }');
  assert.match(errorMessage({ retry: () => 1 }), /\(object\): \{ retry: \[Function: retry\] \}/);
  // A huge value is cut.
  assert.ok(errorMessage({ big: 'x'.repeat(5000) }).length < 1100);
  // An Error from another realm (vm context) fails instanceof but is still an Error.
  const foreign = runInNewContext('new TypeError("from a vm")') as unknown;
  assert.equal(foreign instanceof Error, false);
  assert.equal(errorMessage(foreign), 'from a vm');
});

test('toError: Errors pass through; other values are wrapped with the value as cause', () => {
  const e = new Error('x');
  assert.equal(toError(e), e);
  const thrown = { code: 7 };
  const wrapped = toError(thrown);
  assert.ok(wrapped instanceof Error);
  assert.equal(wrapped.message, 'a non-Error value was thrown (object): {"code":7}');
  assert.equal(wrapped.cause, thrown);
  const foreign = toError(runInNewContext('new RangeError("far")'));
  assert.ok(foreign instanceof Error);
  assert.equal(foreign.name, 'RangeError');
  assert.equal(foreign.message, 'far');
});
