// Generated code under `node --disallow-code-generation-from-strings`: a real child process with
// the flag fits gbdt (main thread and worker threads) and a random forest on plain loops, to the
// same accuracy as with generated code, and a linear model stops with a SluiceError that names the
// flag (never a bare EvalError).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./codegen-child.ts', import.meta.url));

function run(flags: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', child], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `child failed (${flags.join(' ')}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

test('without generated code the tree learners fall back to plain loops; linear models fail with a SluiceError saying why', () => {
  const normal = run([]);
  const plain = run(['--disallow-code-generation-from-strings']);
  assert.equal(normal['codegen'], true);
  assert.equal(plain['codegen'], false);
  for (const key of ['gbdt1', 'gbdt2', 'forest']) {
    const a = normal[key] as number;
    const b = plain[key] as number;
    assert.ok(a > 0.8, `${key}: AUC ${a}`);
    // Same trees up to the rounding of the unfused gradient update.
    assert.ok(Math.abs(a - b) < 2e-3, `${key}: ${a} with generated code, ${b} without`);
  }
  assert.equal(normal['linear'], 'fitted');
  const err = plain['linear'] as { code: string; message: string; hint: string };
  assert.equal(err.code, 'CODEGEN_DISALLOWED');
  assert.match(err.message, /--disallow-code-generation-from-strings/);
  assert.match(err.hint, /Run Sluice without/);
});
