/**
 * Opens the metadata store from a URL: SQLite (better-sqlite3) or PostgreSQL (pg), both through Kysely,
 * and brings the schema up to date.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import { CompiledQuery, Kysely, PostgresDialect, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type { MetadataStore } from '../types.ts';
import { KyselyMetadataStore } from './kysely-store.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

export interface OpenMetadataStoreOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, `postgres://...` or `postgresql://...`. Default: SLUICE_DATABASE_URL, else SQLite in `home`. */
  url?: string;
  /** Sluice's home directory; the default SQLite file is `<home>/sluice.db`. Default: SLUICE_HOME, else `.sluice`. */
  home?: string;
}

export type DatabaseTarget =
  | { dialect: 'sqlite'; path: string; description: string }
  | { dialect: 'postgres'; url: string; description: string };

/** How long a SQLite writer waits for another process's write lock before failing with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) and migrates the metadata database.
 * Accepts the URL directly or options; with no URL: SLUICE_DATABASE_URL, else `sqlite:<home>/sluice.db`.
 */
export async function openMetadataStore(options: string | OpenMetadataStoreOptions = {}): Promise<MetadataStore> {
  const { url, home } = typeof options === 'string' ? { url: options, home: undefined } : options;
  const target = parseDatabaseUrl(resolveDatabaseUrl(url, home));
  return target.dialect === 'sqlite' ? openSqlite(target) : openPostgres(target);
}

/** The URL openMetadataStore will use: the argument, else SLUICE_DATABASE_URL, else SQLite in the home directory. */
export function resolveDatabaseUrl(url?: string, home?: string): string {
  if (url) return url;
  if (process.env.SLUICE_DATABASE_URL) return process.env.SLUICE_DATABASE_URL;
  return `sqlite:${join(home ?? (process.env.SLUICE_HOME || '.sluice'), 'sluice.db')}`;
}

/** Parses a metadata database URL. Error messages never echo a URL, which may hold a password. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const trimmed = url.trim();
  if (/^sqlite:/i.test(trimmed)) {
    const path = trimmed.slice('sqlite:'.length);
    if (path.startsWith('//')) {
      throw new SluiceError(`Unsupported SQLite URL ${trimmed}: write sqlite:<path>`, {
        code: 'CONFIG',
        hint: 'Use sqlite:relative/file.db, sqlite:/absolute/file.db or sqlite::memory:',
      });
    }
    if (path === '') throw new SluiceError('The SQLite URL "sqlite:" has no path', { code: 'CONFIG', hint: 'Use sqlite:<path> or sqlite::memory:' });
    return { dialect: 'sqlite', path, description: `sqlite:${path}` };
  }
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch (err) {
      throw new SluiceError('The PostgreSQL URL of the metadata database is malformed (not shown: it may contain a password)', { code: 'CONFIG', cause: err });
    }
    // Only user, host and database: the password can be in the userinfo or in the query string.
    const user = parsed.username ? `${parsed.username}@` : '';
    return { dialect: 'postgres', url: trimmed, description: `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  throw new SluiceError(
    scheme === undefined ? 'The metadata database URL has no scheme' : `Unsupported metadata database URL scheme '${scheme}:'`,
    { code: 'CONFIG', hint: 'Use sqlite:<path>, sqlite::memory: or postgres://user:password@host:port/database' },
  );
}

// ---- SQLite ---------------------------------------------------------------------------------------

async function openSqlite(target: Extract<DatabaseTarget, { dialect: 'sqlite' }>): Promise<MetadataStore> {
  const memory = target.path === ':memory:';
  let database: BetterSqlite3.Database;
  try {
    if (!memory) mkdirSync(dirname(resolve(target.path)), { recursive: true });
    database = new BetterSqlite3(target.path);
  } catch (err) {
    throw openError(target.description, err);
  }
  const db = new Kysely<Database>({ dialect: sqliteDialect(database, memory ? new Mutex() : fileLock(target.path)) });
  try {
    // busy_timeout first, so that switching to WAL waits for another process instead of failing.
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL: readers (the server) do not block the writer (a run) and vice versa.
    database.pragma('journal_mode = WAL');
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the process being
    // killed (the kill tests), and only an OS crash or power loss can lose the last commits (never
    // corrupt the database). FULL costs an fsync per orchestration step.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    await migrateToLatest(db, 'sqlite', target.description);
  } catch (err) {
    await db.destroy();
    throw openError(target.description, err);
  }
  return new KyselyMetadataStore(db, target.description, 'sqlite');
}

/**
 * better-sqlite3 is synchronous: a connection waiting on the write lock blocks the whole thread, so two
 * connections to one file in one process would wait on each other until SQLITE_BUSY. Stores opened on
 * the same file in this process therefore share one lock and take turns instead.
 */
const fileLocks = new Map<string, Mutex>();

function fileLock(path: string): Mutex {
  let key: string;
  try {
    key = realpathSync(path);
  } catch {
    key = resolve(path);
  }
  let lock = fileLocks.get(key);
  if (lock === undefined) {
    lock = new Mutex();
    fileLocks.set(key, lock);
  }
  return lock;
}

/**
 * Kysely's SQLite dialect with three changes: transactions BEGIN IMMEDIATE, a lock shared per file, and
 * prepared statements kept by their SQL text (an orchestration step runs the same few statements each
 * time; preparing them again cost as much as running them).
 */
function sqliteDialect(database: BetterSqlite3.Database, lock: Mutex): Dialect {
  return {
    createAdapter: () => new TransactionalSqliteAdapter(),
    createDriver: () => new SluiceSqliteDriver(database, lock),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** SQLite has transactional DDL; saying so makes Kysely's Migrator run each migration in a transaction. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SluiceSqliteDriver implements Driver {
  readonly #database: BetterSqlite3.Database;
  readonly #lock: Mutex;
  readonly #connection: CachedSqliteConnection;
  #release: (() => void) | undefined;

  constructor(database: BetterSqlite3.Database, lock: Mutex) {
    this.#database = database;
    this.#lock = lock;
    this.#connection = new CachedSqliteConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#release = await this.#lock.lock();
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  // IMMEDIATE takes the write lock up front (waiting up to busy_timeout). A deferred transaction that
  // reads first and writes later fails with SQLITE_BUSY if another process wrote in between.
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.#connection.clear();
    this.#database.close();
  }
}

/** At most this many prepared statements are kept (least recently used dropped first). */
const STATEMENT_CACHE_SIZE = 256;

class CachedSqliteConnection implements DatabaseConnection {
  readonly #database: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(database: BetterSqlite3.Database) {
    this.#database = database;
  }

  #prepare(text: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(text);
    if (stmt !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#statements.delete(text);
    } else {
      stmt = this.#database.prepare(text);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(text, stmt);
    return stmt;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiled.sql);
    const params = compiled.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(params) as R[] });
    const { changes, lastInsertRowid } = stmt.run(params);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // A statement being iterated cannot run anything else meanwhile: a fresh one, not the cached one.
    const stmt = this.#database.prepare(compiled.sql);
    if (!stmt.reader) throw new SluiceError('The SQLite metadata store streams only queries that return rows', { code: 'METADATA_ARGUMENT' });
    for (const row of stmt.iterate(compiled.parameters as unknown[])) yield { rows: [row as R] };
  }

  clear(): void {
    this.#statements.clear();
  }
}

/** A FIFO async mutex; lock() resolves to the release function. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

// ---- PostgreSQL -----------------------------------------------------------------------------------

/**
 * pg returns BIGINT (int8) as strings, to not lose precision beyond 2^53. Our BIGINTs are epoch ms,
 * durations and row counts, far below that: parse them as numbers, for this pool only.
 */
const pgTypes: CustomTypesConfig = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    id === pg.types.builtins.INT8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(id, format)) as CustomTypesConfig['getTypeParser'],
};

async function openPostgres(target: Extract<DatabaseTarget, { dialect: 'postgres' }>): Promise<MetadataStore> {
  const pool = new pg.Pool({ connectionString: target.url, types: pgTypes });
  // An idle client losing its connection (server restart) emits 'error' on the pool, which would crash
  // the process if unhandled; the pool drops that client and the next query reports any real problem.
  pool.on('error', () => {});
  // A client checked out between two statements of a transaction emits 'error' on itself when the
  // server goes away; unhandled, that would kill the process. The next statement reports the failure.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (!schema) {
      throw new SluiceError(`The metadata database ${target.description} has no current schema (check search_path)`, { code: 'CONFIG' });
    }
    // Pinning the bookkeeping tables to the current schema keeps several Sluice schemas in one database apart.
    await migrateToLatest(db, 'postgres', target.description, schema);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw openError(target.description, err);
  }
  return new KyselyMetadataStore(db, target.description, 'postgres');
}

function openError(description: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  return new SluiceError(`Cannot open the metadata database ${description}: ${errorMessage(err)}`, {
    code: 'METADATA_OPEN',
    cause: err,
    context: { database: description },
    hint: 'Check SLUICE_DATABASE_URL (or --db), that the database is reachable, and that the file or directory is writable.',
  });
}
