/** Child processes for the kill tests: spawn, collect output, wait for a line or an exit, kill. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited(): Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

export function startProcess(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Proc {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => { out += chunk.toString('utf8'); for (const l of listeners) l(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => { if (pattern.test(out)) { listeners.delete(check); clearTimeout(timer); resolve(); } };
        const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`timed out waiting for ${pattern} in the output of pid ${child.pid}:\n${out}`)); }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    exited: () => exit,
    kill(signal) { if (child.exitCode === null && child.signalCode === null) child.kill(signal); },
  };
}
