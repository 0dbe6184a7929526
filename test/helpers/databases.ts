/**
 * Database backends for tests: each hands out a fresh, empty metadata database, SQLite in a temp
 * file or PostgreSQL (a new database on the server in SLUICE_TEST_DATABASE_URL, dropped afterwards).
 * Suites loop over `metadataBackends` so every store-facing test runs on both.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A backend under test: hands out fresh, empty databases. */
export interface MetadataBackend {
  name: string;
  /** Why the backend is unavailable, if it is. */
  skip?: string;
  fresh(): Promise<{ url: string; dispose(): Promise<void> }>;
}

export const sqliteBackend: MetadataBackend = {
  name: 'SQLite',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-meta-'));
    return { url: `sqlite:${join(dir, 'sluice.db')}`, dispose: () => rm(dir, { recursive: true, force: true }) };
  },
};

const adminUrl = process.env.SLUICE_TEST_DATABASE_URL;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const postgresBackend: MetadataBackend = {
  name: 'PostgreSQL',
  skip: adminUrl ? undefined : 'SLUICE_TEST_DATABASE_URL is not set',
  async fresh() {
    // A database per test: nothing leaks between tests, and dropping it cleans up everything.
    const name = `sluice_test_${randomBytes(8).toString('hex')}`;
    await withAdmin((c) => c.query(`create database ${name}`));
    const url = new URL(adminUrl!);
    url.pathname = `/${name}`;
    return { url: url.toString(), dispose: () => withAdmin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}) };
  },
};


export const metadataBackends: MetadataBackend[] = [sqliteBackend, postgresBackend];
