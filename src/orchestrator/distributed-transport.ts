/**
 * The distributed executor's TaskTransport: graphile-worker jobs added inside the metadata transaction
 * that queued the tasks (PostgreSQL only), so a task is in the queue iff that transaction committed.
 */
import { SluiceError } from '../core/errors.ts';
import { enqueueJobs } from '../store/queue/graphile.ts';
import type { MetadataTx } from '../store/types.ts';
import type { QueuedTask, TaskTransport } from './executor-types.ts';

export class GraphileTransport implements TaskTransport {
  readonly kind = 'graphile-worker';

  async enqueue(tx: MetadataTx, tasks: readonly QueuedTask[]): Promise<void> {
    if (tx.dialect !== 'postgres') {
      throw new SluiceError('The distributed executor needs a PostgreSQL metadata database; this one is SQLite', {
        code: 'CONFIG',
        hint: 'Set SLUICE_DATABASE_URL=postgres://user:password@host:5432/db for the scheduler, the CLI and every `sluice worker`, or use the local executor.',
      });
    }
    await enqueueJobs(tx, tasks);
  }
}
