/**
 * A model's process in the model benchmarks (bench:gbdt, bench:models): it fits once and prints a JSON
 * line, then predicts on request (a `predict` line on stdin, a JSON timing line back), and prints its
 * summary line on `done`. Keeping the process alive lets Sluice's and the competitor's predictions
 * alternate in time, so each pair meets the same load.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The model process's side (Sluice's): says it has fitted, answers each `predict` line on stdin with a
 * timing line, and on `done` (or the end of stdin) returns the last prediction for the caller to write
 * with its summary. The Python side is `python/model_protocol.py`.
 */
export async function answerPredictions(fitSeconds: number, predict: () => Float64Array | Promise<Float64Array>): Promise<Float64Array> {
  console.log(JSON.stringify({ ready: true, fit_seconds: fitSeconds }));
  let pred: Float64Array = new Float64Array(0);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'predict') {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      pred = await predict();
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      console.log(JSON.stringify({ predict_seconds: seconds, cpu_seconds: (used.user + used.system) / 1e6 }));
    } else if (line.trim() === 'done') {
      break;
    }
  }
  return pred;
}

export interface Timing { predict_seconds: number; cpu_seconds: number }

export class ModelProcess {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #waiting: ((line: string | null) => void) | null = null;
  #closed = false;
  #stderr = '';

  /** Starts `cmd args` in `cwd`, with OpenMP (XGBoost, scikit-learn) held to `threads`. */
  constructor(readonly name: string, cmd: string, args: string[], options: { cwd: string; threads: number }) {
    this.#proc = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, OMP_NUM_THREADS: String(options.threads) } });
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      if (this.#waiting) { const w = this.#waiting; this.#waiting = null; w(line); } else this.#lines.push(line);
    });
    this.#proc.stderr.on('data', (d: Buffer) => { this.#stderr += d.toString(); });
    this.#proc.on('close', () => { this.#closed = true; this.#waiting?.(null); this.#waiting = null; });
  }

  /** The next JSON line of the process (other lines are echoed); null once it has exited. */
  async next<T>(): Promise<T | null> {
    for (;;) {
      const line = this.#lines.shift() ?? (this.#closed ? null : await new Promise<string | null>((resolve) => { this.#waiting = resolve; }));
      if (line === null) { console.log(`  ${this.name} failed:\n${this.#stderr}`); return null; }
      if (line.startsWith('{')) return JSON.parse(line) as T;
      console.log(`  ${this.name}: ${line}`);
    }
  }

  async predict(): Promise<Timing | null> {
    this.#proc.stdin.write('predict\n');
    return this.next<Timing>();
  }

  /** Ends the process; its summary line (written after its last prediction). */
  async done<T>(): Promise<T | null> {
    this.#proc.stdin.end('done\n');
    return this.next<T>();
  }
}

export function median(v: readonly number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
