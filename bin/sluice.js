#!/usr/bin/env node
// The sluice command. tsx is registered so that pipeline files may be TypeScript.
//
// An installed package runs its compiled dist/. In a checkout of the repository (src/ is there), the
// sources run instead whenever one of them is newer than the build, so that an edit takes effect
// without a rebuild and a stale dist/ is never run in its place.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
const built = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
const entry = existsSync(built) && !(existsSync(source) && newestMtime(fileURLToPath(new URL('../src', import.meta.url))) > statSync(built).mtimeMs) ? built : source;
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));

/** The latest modification time of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
