/** Where a command writes and what it sees: the process's streams and environment, or a test's. */
export interface CliIO {
  /** Writes one line to standard output. */
  out: (text: string) => void;
  /** Writes one line to standard error. */
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The terminal behind standard error, for a live progress line; absent when stderr is not a terminal. */
  tty?: { write: (text: string) => void; columns: number };
}
