/**
 * Reads a query from a PostgreSQL *source* database (not the metadata database) in batches, through a
 * server-side cursor inside one read-only transaction, so that every batch sees the same snapshot and
 * memory stays bounded by the batch size.
 *
 * Values travel in PostgreSQL's text form (no per-value parsing in JavaScript) and are cast to the
 * DuckDB type mapped from each column's type once they are in DuckDB. This module lives in store/
 * because store/ is the one layer that holds SQL drivers; it knows nothing of DuckDB.
 *
 * @example
 * const q = await openPostgresQuery({ url, query: 'SELECT * FROM flights WHERE day > $1', params: ['2001-03-01'] });
 * for await (const batch of q.batches()) console.log(batch.rows);
 */
import pg from 'pg';
import { CancelledError, DataError, errorMessage } from '../core/errors.ts';

export interface PostgresQueryOptions {
  url: string;
  query: string;
  /** Bound parameters ($1, $2, ...): values never enter the SQL text. */
  params?: readonly unknown[];
  /** Rows per FETCH; default 50,000. */
  batchSize?: number;
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity; default 'sluice-ingest'. */
  applicationName?: string;
}

export interface PostgresColumn {
  name: string;
  /** PostgreSQL type oid. */
  oid: number;
  /** The DuckDB type the text values are cast to. */
  sqlType: string;
  /** SQL expression (over the text column `x`) that converts to sqlType; default CAST. */
  convert?: 'unhex' | 'cast';
}

export interface PostgresBatch {
  rows: number;
  /** Column-major text values; null is SQL NULL. */
  columns: (string | null)[][];
}

export interface PostgresQuery {
  /** Where it reads from, without the password. */
  readonly source: string;
  readonly columns: PostgresColumn[];
  /** Batches in query order; the connection closes when the iteration ends or fails. */
  batches(): AsyncIterable<PostgresBatch>;
  close(): Promise<void>;
}

const CURSOR = 'sluice_source_cursor';
/** The same text comes back for every type: DuckDB parses it. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Opens the cursor and reads the first batch (which also gives the columns). Errors name the
 * database (never its password), the query and how many rows had been read.
 */
export async function openPostgresQuery(options: PostgresQueryOptions): Promise<PostgresQuery> {
  const source = describeUrl(options.url);
  const batchSize = options.batchSize ?? 50_000;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new DataError(`batchSize must be a positive integer, got ${batchSize}`, { code: 'BAD_OPTION' });
  const client = new pg.Client({
    connectionString: options.url,
    types: TEXT_TYPES,
    application_name: options.applicationName ?? 'sluice-ingest',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // A server that goes away emits 'error' on the client; the pending query rejects with it too.
  let lost: Error | undefined;
  client.on('error', (err) => { lost = err; });
  let rowsRead = 0;
  let batchNo = 0;
  const fail = (err: unknown, phase: string): DataError | CancelledError => {
    if (options.signal?.aborted) return new CancelledError(`Reading from PostgreSQL source ${source} was cancelled after ${rowsRead} rows`);
    const message = errorMessage(lost ?? err);
    const gone = phase !== 'could not be reached' && /terminat|ECONNRESET|ECONNREFUSED|Connection ended|not queryable|shutdown|EPIPE|closed/i.test(message);
    return new DataError(
      `PostgreSQL source ${source} ${gone ? `went away after ${rowsRead} rows (${batchNo} batches)` : phase}: ${message}\n  query: ${shorten(options.query)}`,
      {
        code: gone ? 'SOURCE_GONE' : 'SOURCE_QUERY', cause: lost ?? err, context: { source, rows: rowsRead },
        hint: gone
          ? 'The source database went away; nothing was registered. Rerun the step once it is reachable (a step retry policy does this by itself).'
          : 'Check the query and its parameters against the source database.',
      },
    );
  };
  const onAbort = (): void => { void client.end().catch(() => {}); };
  try {
    await client.connect();
  } catch (err) {
    throw fail(err, 'could not be reached');
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let first: pg.QueryArrayResult;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL TIME ZONE 'UTC'");
    await client.query({ text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${options.query}`, values: [...(options.params ?? [])] });
    first = await client.query({ text: `FETCH FORWARD ${batchSize} FROM ${CURSOR}`, rowMode: 'array' });
  } catch (err) {
    options.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
    throw fail(err, 'failed the query');
  }
  const columns = first.fields.map((f, i) => mapColumn(f.name || `column${i}`, f.dataTypeID, f.dataTypeModifier));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener('abort', onAbort);
    await client.query('COMMIT').catch(() => {});
    await client.end().catch(() => {});
  };
  const toBatch = (r: pg.QueryArrayResult): PostgresBatch => {
    const cols: (string | null)[][] = columns.map(() => new Array(r.rows.length));
    for (let i = 0; i < r.rows.length; i++) {
      const row = r.rows[i] as (string | null)[];
      for (let c = 0; c < cols.length; c++) cols[c]![i] = row[c] ?? null;
    }
    return { rows: r.rows.length, columns: cols };
  };
  return {
    source,
    columns,
    close,
    async *batches() {
      try {
        let result: pg.QueryArrayResult | undefined = first;
        while (result) {
          if (result.rows.length > 0) {
            batchNo++;
            rowsRead += result.rows.length;
            yield toBatch(result);
          }
          if (result.rows.length < batchSize) break;
          try {
            result = await client.query({ text: `FETCH FORWARD ${batchSize} FROM ${CURSOR}`, rowMode: 'array' });
          } catch (err) {
            throw fail(err, 'went away');
          }
        }
      } finally {
        await close();
      }
    },
  };
}

/** PostgreSQL type -> DuckDB type for the text values (anything unknown stays text). */
function mapColumn(name: string, oid: number, typmod: number): PostgresColumn {
  switch (oid) {
    case 16: return { name, oid, sqlType: 'BOOLEAN' };
    case 20: return { name, oid, sqlType: 'BIGINT' };
    case 21: return { name, oid, sqlType: 'SMALLINT' };
    case 23: return { name, oid, sqlType: 'INTEGER' };
    case 26: return { name, oid, sqlType: 'UBIGINT' };
    case 700: return { name, oid, sqlType: 'FLOAT' };
    case 701: return { name, oid, sqlType: 'DOUBLE' };
    case 1700: {
      // numeric(p, s) keeps its precision when DuckDB can hold it; unconstrained numeric becomes DOUBLE.
      if (typmod >= 4) {
        const precision = ((typmod - 4) >> 16) & 0xffff;
        const scale = (typmod - 4) & 0xffff;
        if (precision >= 1 && precision <= 38 && scale <= precision) return { name, oid, sqlType: `DECIMAL(${precision}, ${scale})` };
      }
      return { name, oid, sqlType: 'DOUBLE' };
    }
    case 1082: return { name, oid, sqlType: 'DATE' };
    case 1083: return { name, oid, sqlType: 'TIME' };
    case 1114: return { name, oid, sqlType: 'TIMESTAMP' };
    case 1184: return { name, oid, sqlType: 'TIMESTAMPTZ' };
    case 2950: return { name, oid, sqlType: 'UUID' };
    case 114: case 3802: return { name, oid, sqlType: 'JSON' };
    case 17: return { name, oid, sqlType: 'BLOB', convert: 'unhex' };
    default: return { name, oid, sqlType: 'VARCHAR' };
  }
}

/** user@host:port/database: never the password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(malformed URL, not shown)';
  }
}

function shorten(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
