/**
 * Riding out a metadata database that is briefly unreachable (a restart, a dropped connection): which
 * errors say so, and a retry with backoff for a bounded time. Only for work that is safe to run again:
 * fenced commits, idempotent pins.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { SluiceError, errorMessage } from '../core/errors.ts';

/** How long a commit (or a pin, or the recording of an attempt's end) keeps retrying through an outage: SLUICE_COMMIT_RETRY_MS, default 30 s. */
export function storeRetryMs(): number {
  const v = Number(process.env.SLUICE_COMMIT_RETRY_MS);
  return Number.isFinite(v) && v >= 0 ? v : 30_000;
}

/**
 * Retries `fn` on errors that say the database was unreachable (connection refused or reset, server
 * shutting down), with exponential backoff and jitter (100 ms doubling, at most 2 s), until
 * `storeRetryMs()` has passed; other errors are thrown at once.
 */
export async function withStoreRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + storeRetryMs();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientStoreError(err)) throw err;
      if (Date.now() >= deadline) {
        throw new SluiceError(`Gave up ${what}: the metadata store stayed unreachable for ${storeRetryMs()} ms: ${errorMessage(err)}`, {
          code: 'METADATA_UNREACHABLE', cause: err,
          hint: 'Nothing of this step was registered. Once the database is back, the reaper closes the run (or `sluice runs retry <id>` resumes it).',
        });
      }
      const full = Math.min(2000, 100 * 2 ** (attempt - 1));
      await delay(full / 2 + (Math.random() * full) / 2);
    }
  }
}

// 40P01 deadlock and 40001 serialization failure: PostgreSQL rolled the transaction back, and running it
// again is safe (every write is fenced).
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300', '40P01', '40001']);

/** Whether an error (or one of its causes) says the database could not be reached, or rolled back a transaction that may simply run again. */
export function isTransientStoreError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    const message = e instanceof Error ? e.message : '';
    if (/Connection terminated|connection (is )?closed|terminating connection|the database system is (starting up|shutting down)|Client has encountered a connection error/i.test(message)) return true;
  }
  return false;
}
