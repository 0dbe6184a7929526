/**
 * The load generator of bench:serve, in its own process so that its timing is not disturbed by the
 * bench's training heap or by the server: an open loop (requests leave on a fixed schedule whatever the
 * answers do, each latency measured from its scheduled time, so a stall is not hidden), scheduled with
 * sub-millisecond precision (a timer until the last 2 ms, then `setImmediate` turns that still serve the
 * sockets in between).
 *
 * Started by bench/serve.bench.ts with an IPC channel: it receives one `LoadRequest` and answers one
 * `LoadResult`, then exits.
 */
import { Agent, request } from 'node:http';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';

export interface LoadRequest { url: string; body: string; rate: number; seconds: number; connections: number; rows: number }
export interface LoadResult {
  p50: number; p99: number; max: number; errors: number; requests: number; rowsPerSecond: number;
  /** How late the generator itself sent requests (ms past their scheduled time): its own error. */
  sendLagP99: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: URL, body: string, onSent: () => void): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body, onSent);
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function load(options: LoadRequest): Promise<LoadResult> {
  const url = new URL(options.url);
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  const one = async (scheduled: number): Promise<void> => {
    const status = await post(url, options.body, () => lags.push(performance.now() - scheduled));
    if (status !== 200) errors++;
    latencies.push(performance.now() - scheduled);
  };
  const pending: Promise<void>[] = [];
  if (options.rate > 0) {
    const interval = 1000 / options.rate;
    let next = started;
    for (;;) {
      const now = performance.now();
      while (next <= now && next < end) { pending.push(one(next)); next += interval; }
      if (next >= end) break;
      const wait = next - performance.now();
      if (wait > 2) await sleep(wait - 2);
      else await immediate();
    }
  } else {
    const worker = async (): Promise<void> => { while (performance.now() < end) await one(performance.now()); };
    for (let c = 0; c < options.connections; c++) pending.push(worker());
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN, errors, requests: latencies.length,
    rowsPerSecond: ((latencies.length - errors) * options.rows) / elapsed,
    sendLagP99: quantile(Float64Array.from(lags).sort(), 0.99),
  };
}

process.once('message', (message) => {
  void load(message as LoadRequest).then((result) => {
    process.send!(result, () => process.exit(0));
  });
});
