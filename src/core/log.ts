/** Logging: a tiny leveled logger writing to stderr, so stdout stays clean for `--json`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(level: LogLevel = (process.env.SLUICE_LOG_LEVEL as LogLevel | undefined) ?? 'info', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const min = ORDER[level] ?? ORDER.info;
  const at = (l: LogLevel) => (msg: string) => { if (ORDER[l] >= min) write(l === 'info' ? msg : `${l}: ${msg}`); };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
