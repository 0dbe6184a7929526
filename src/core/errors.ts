/**
 * Sluice's few error classes. Every message names what and where (file, row, column, step, run),
 * and `cause` keeps the underlying error. `hint` is the way out, printed by the CLI.
 */
import { inspect } from 'node:util';

export interface SluiceErrorOptions {
  code?: string;
  hint?: string;
  cause?: unknown;
  /** Where: file, step, run, column... printed by the CLI. */
  context?: Record<string, string | number>;
}

export class SluiceError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly context: Record<string, string | number>;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = options.code ?? 'SLUICE';
    this.hint = options.hint;
    this.context = options.context ?? {};
  }
}

/** The pipeline definition is wrong: cycle, missing input, duplicate name. */
export class PipelineDefinitionError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { code: 'PIPELINE_DEFINITION', ...options });
    this.name = 'PipelineDefinitionError';
  }
}

/** Input data is wrong: malformed file, wrong type, missing column, bad label. */
export class DataError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { code: 'DATA', ...options });
    this.name = 'DataError';
  }
}

/** A run was cancelled (Ctrl-C, SIGTERM, or an explicit cancel). */
export class CancelledError extends SluiceError {
  constructor(message = 'The run was cancelled', options: SluiceErrorOptions = {}) {
    super(message, { code: 'CANCELLED', ...options });
    this.name = 'CancelledError';
  }
}

/**
 * The message of anything thrown. JavaScript may throw any value: an Error gives its message, anything
 * else is described with its type and its JSON (`a non-Error value was thrown (object): {"code":7}`),
 * never `[object Object]`.
 */
export function errorMessage(err: unknown): string {
  if (isErrorLike(err)) return err.message || err.name || 'Error (no message)';
  return describeThrown(err);
}

/** Anything thrown, as an Error: Errors pass through; other values are wrapped (the value kept as `cause`). */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (isErrorLike(err)) {
    const e = new Error(err.message || err.name);
    e.name = err.name;
    if (err.stack) e.stack = err.stack;
    return e;
  }
  const wrapped = new Error(describeThrown(err), { cause: err });
  // A thrown value carries no stack; the frames here would point at whoever caught it, not the thrower.
  wrapped.stack = `Error: ${wrapped.message}\n    (no stack: the value thrown was not an Error)`;
  return wrapped;
}

/** Errors from another realm (a vm context, a structured clone) fail `instanceof Error` but have the shape. */
function isErrorLike(err: unknown): err is Error {
  if (err instanceof Error) return true;
  return typeof err === 'object' && err !== null && typeof (err as Error).message === 'string' && typeof (err as Error).name === 'string' && typeof (err as Error).stack === 'string';
}

function describeThrown(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `a non-Error value was thrown (${type}): ${preview(value)}`;
}

function preview(value: unknown): string {
  let text: string | undefined;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'symbol' || typeof value === 'function' || value === undefined) text = undefined;
  else {
    try { text = JSON.stringify(value); } catch { text = undefined; }
    // JSON drops what it cannot show: an object of functions or symbols reads as {}; inspect shows them.
    if (text === '{}' && typeof value === 'object' && value !== null && Reflect.ownKeys(value).length > 0) text = undefined;
  }
  text ??= inspect(value, { depth: 3, breakLength: Infinity });
  return text.length > 1000 ? `${text.slice(0, 1000)}... (${text.length} characters)` : text;
}
