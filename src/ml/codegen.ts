/**
 * Generated code: the one place in Sluice that compiles source text into functions (`new
 * Function`), for the hot loops of the tree learners (histograms, partitions, the fused update)
 * and the linear models (the objective pass).
 *
 * Why generate code at all: V8 runs a loop with its constants (group offsets, column counts)
 * written into the source, and its typed arrays held as constants of the function's own context,
 * about twice as fast as the general loop (measurements in bench/README.md). Sources are built only
 * from integers and fixed text, never from data, names or user input.
 *
 * One caching scheme:
 * - `compile(what, params, body)`: cached by source text (identical sources give the same
 *   function), for code that takes its arrays as arguments.
 * - `compileBound(what, params, body, args)`: code whose arrays are constants; never cached, and
 *   each source is made distinct (a numbered comment), because V8 shares compiled code and its
 *   feedback between identical sources, which would lose the constants.
 *
 * Under `node --disallow-code-generation-from-strings` (or a policy that forbids eval) both throw
 * a SluiceError with code CODEGEN_DISALLOWED; callers that have plain loops check
 * `codegenAllowed()` first and use those (the tree learners do; the linear models stop with that
 * error, which says how to run them).
 *
 * @example
 * const sum = compile<(a: Float64Array) => number>('sum', ['a'], 'let s = 0; for (const x of a) s += x; return s;');
 */
import { SluiceError } from '../core/errors.ts';

let allowed: boolean | null = null;

/** Whether this thread may compile source text (probed once per thread). */
export function codegenAllowed(): boolean {
  if (allowed === null) {
    try {
      allowed = new Function('return 1')() === 1;
    } catch {
      allowed = false;
    }
  }
  return allowed;
}

function disallowed(what: string, cause: unknown): SluiceError {
  return new SluiceError(
    `${what} needs generated code (new Function), which this process forbids (--disallow-code-generation-from-strings, or a policy against eval)`,
    {
      code: 'CODEGEN_DISALLOWED', cause,
      hint: 'Run Sluice without --disallow-code-generation-from-strings; gbdt and random forests fall back to plain loops, the linear models cannot.',
    },
  );
}

const cache = new Map<string, unknown>();
const CACHE_MAX = 512;

function make(what: string, params: readonly string[], body: string): (...args: unknown[]) => unknown {
  if (!codegenAllowed()) throw disallowed(what, undefined);
  try {
    return new Function(...params, body) as (...args: unknown[]) => unknown;
  } catch (e) {
    if (e instanceof EvalError) throw disallowed(what, e);
    throw e;
  }
}

/** A function of `params` with `body`, cached by its source text. `what` names it in errors. */
export function compile<F>(what: string, params: readonly string[], body: string): F {
  const key = `${params.join(',')}\n${body}`;
  let f = cache.get(key);
  if (f === undefined) {
    f = make(what, params, body);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, f);
  }
  return f as F;
}

let bindings = 0;

/**
 * Compiles `body` (which must `return` the function wanted) as a fresh function of `params`, calls
 * it with `args` and returns the result: the arguments become constants of the returned function's
 * context. Never cached (see above).
 */
export function compileBound<F>(what: string, params: readonly string[], body: string, args: readonly unknown[]): F {
  return make(what, params, `// binding ${++bindings}\n${body}`)(...args) as F;
}
