/**
 * Worker-thread entry of WorkerPool: loads the user's module once, then answers each job with
 * fn(input, data). A module that cannot be loaded answers every job with the reason instead of
 * exiting, so the pool does not respawn it in a loop.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { module, exportName, data } = workerData as { module: string; exportName: string; data: unknown };
const port = parentPort!;

let fn: ((input: unknown, data: unknown) => unknown) | undefined;
let fatal: string | undefined;
try {
  const mod = (await import(module)) as Record<string, unknown>;
  const f = mod[exportName];
  if (typeof f === 'function') fn = f as typeof fn;
  else fatal = `The module ${module} has no exported function "${exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'})`;
} catch (err) {
  fatal = `The module ${module} could not be loaded in a worker: ${err instanceof Error ? err.message : String(err)}`;
}

port.on('message', async (m: { input: unknown }) => {
  if (fatal !== undefined || !fn) { port.postMessage({ fatal }); return; }
  try {
    port.postMessage({ result: await fn(m.input, data) });
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? { message: err.message, stack: err.stack } : { message: String(err) } });
  }
});
