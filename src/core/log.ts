/**
 * Logging: a small leveled logger. The CLI makes one writing to stderr (so stdout stays clean for
 * `--json`) at the level `SLUICE_LOG_LEVEL` names, and passes it into runs; library code logs through
 * the logger it is given, never to the console.
 */
import { SluiceError } from './errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const LOG_LEVELS = Object.keys(ORDER) as readonly LogLevel[];

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Lines at `level` and above go to `write`; `info` lines are written bare, others with their level. */
export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  const min = ORDER[level];
  const at = (l: LogLevel) => (msg: string): void => { if (ORDER[l] >= min) write(l === 'info' ? msg : `${l}: ${msg}`); };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Reads a level name (case-insensitive); empty or undefined gives `fallback`; anything else is an error naming the levels. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel, source = 'SLUICE_LOG_LEVEL'): LogLevel {
  if (value === undefined || value.trim() === '') return fallback;
  const level = value.trim().toLowerCase();
  if (level in ORDER) return level as LogLevel;
  throw new SluiceError(`${source} is "${value}", which is not a log level`, {
    code: 'USAGE', hint: `Use one of ${LOG_LEVELS.join(', ')} (default ${fallback}).`,
  });
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
