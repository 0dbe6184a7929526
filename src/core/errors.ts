/**
 * Sluice's few error classes. Every message names what and where (file, row, column, step, run),
 * and `cause` keeps the underlying error. `hint` is the way out, printed by the CLI.
 */
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
