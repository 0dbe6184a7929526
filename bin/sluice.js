#!/usr/bin/env node
// The sluice command. tsx is registered so that pipeline files may be TypeScript.
import { existsSync } from 'node:fs';
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
registerCjs();
const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
