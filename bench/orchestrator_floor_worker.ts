// graphile-worker alone, no Sluice: the floor the distributed executor is measured against. One process
// of the bench's four. Each job prints one line: its kind, its start time and the time it was added.
// `floor_chain` jobs add the next link themselves (add_job to start, one hop at a time).
import { Logger, run, type JobHelpers } from 'graphile-worker';

const url = process.env.FLOOR_URL!;
const concurrency = Number(process.env.FLOOR_CONCURRENCY ?? '4');
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const runner = await run({
  connectionString: url,
  concurrency,
  maxPoolSize: concurrency + 2,
  pollInterval: 1000,
  noHandleSignals: true,
  logger: new Logger(() => (level, message) => { if (level === 'error') process.stderr.write(`floor worker: ${message}\n`); }),
  taskList: {
    floor_fan: async (payload: unknown) => {
      const { t } = payload as { t: number };
      say({ k: 'fan', start: Date.now(), t });
    },
    floor_chain: async (payload: unknown, helpers: JobHelpers) => {
      const start = Date.now();
      const { t, i, n } = payload as { t: number; i: number; n: number };
      say({ k: 'chain', start, t, i });
      if (i + 1 < n) await helpers.addJob('floor_chain', { t: Date.now(), i: i + 1, n });
    },
  },
});
say({ k: 'ready' });
process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
