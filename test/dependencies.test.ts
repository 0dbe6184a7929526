// Sluice runs on Node 20 (package.json's engines), so every package `npm ci` installs must accept it. A
// transitive dependency that asks for a newer Node makes `npm install` warn (or refuse, with
// engine-strict) and may use what Node 20 lacks. fastify's light-my-request 6.8 pulled in cookie 2, which
// asks for Node >= 22: package.json's overrides pin light-my-request 6.6 (cookie 1, Node >= 18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import semver from 'semver';

const root = resolve(import.meta.dirname, '..');
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(resolve(root, file), 'utf8')) as Record<string, unknown>;

interface Locked { version?: string; dev?: boolean; engines?: { node?: string } | string[] }

test('every package in the lockfile accepts Node 20: runtime dependencies the oldest Node 20 package.json allows, dev tools Node 20.19', () => {
  const engines = (json('package.json')['engines'] as { node: string }).node;
  const oldest = semver.minVersion(engines)!.version;
  assert.equal(semver.major(oldest), 20, `package.json's engines (${engines}) start at Node 20`);
  const packages = json('package-lock.json')['packages'] as Record<string, Locked>;
  assert.ok(Object.keys(packages).length > 100, 'the lockfile lists the installed packages');
  const refused: string[] = [];
  for (const [path, p] of Object.entries(packages)) {
    const wants = !p.engines || Array.isArray(p.engines) ? undefined : p.engines.node;
    if (!path || !wants) continue;
    const node = p.dev ? '20.19.0' : oldest;
    if (!semver.satisfies(node, wants)) refused.push(`${path}@${p.version} wants node ${wants} (checked ${node}${p.dev ? ', dev' : ''})`);
  }
  assert.deepEqual(refused, [], 'pin a version that supports Node 20 (package.json "overrides" for a transitive one)');
});
