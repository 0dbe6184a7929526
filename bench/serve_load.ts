/**
 * The load generator of bench:serve, in its own process so that its timing is not disturbed by the
 * bench's training heap or by the server: an open loop (requests leave on a fixed schedule whatever the
 * answers do: a stalled server does not slow the sending, and with up to 256 sockets nothing waits for a
 * free one, so a stall is not hidden). It wakes on a 1 ms timer and sends what is due, using little CPU
 * (a spinning generator took a whole core of the two from the servers). Each latency is measured from
 * the moment its request was issued, and also from its scheduled time: the difference is the generator's
 * own lateness in waking, printed beside (`sendLagP99`).
 *
 * Started by bench/serve.bench.ts with an IPC channel: it receives one `LoadRequest` and answers one
 * `LoadResult`, then exits.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadRequest { url: string; body: string; rate: number; seconds: number; connections: number; rows: number }
export interface LoadResult {
  /** From issuing each request to the end of its answer. */
  p50: number; p99: number; max: number; errors: number; requests: number; rowsPerSecond: number;
  /** From each request's scheduled time (the generator's lateness included). */
  scheduledP99: number;
  /** How late the generator itself issued requests (ms past their scheduled time). */
  sendLagP99: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: URL, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function load(options: LoadRequest): Promise<LoadResult> {
  const url = new URL(options.url);
  const latencies: number[] = [];
  const fromSchedule: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  const one = async (scheduled: number): Promise<void> => {
    const issued = performance.now();
    lags.push(issued - scheduled);
    const status = await post(url, options.body);
    if (status !== 200) errors++;
    const done = performance.now();
    latencies.push(done - issued);
    fromSchedule.push(done - scheduled);
  };
  const pending: Promise<void>[] = [];
  if (options.rate > 0) {
    const interval = 1000 / options.rate;
    let next = started;
    for (;;) {
      const now = performance.now();
      while (next <= now && next < end) { pending.push(one(next)); next += interval; }
      if (next >= end) break;
      // Node's timers have a 1 ms floor: the generator wakes about every millisecond and sends what is due.
      await sleep(Math.max(1, next - performance.now()));
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
    scheduledP99: quantile(Float64Array.from(fromSchedule).sort(), 0.99),
    sendLagP99: quantile(Float64Array.from(lags).sort(), 0.99),
  };
}

process.once('message', (message) => {
  void load(message as LoadRequest).then((result) => {
    process.send!(result, () => process.exit(0));
  });
});
