/**
 * Cancellation of long synchronous fit loops (boosting rounds, forest trees, solver iterations).
 *
 * An AbortSignal is only ever aborted from the event loop (a timer, a SIGTERM handler, a cancel
 * request), which never runs while a fit loop holds the thread. So a loop calls `await
 * checkpoint.next()` between units of work: when the event loop has not had a turn for
 * `YIELD_MS`, it gets one (a setImmediate round trip, a few microseconds), and then the signal is
 * checked (a fit with no signal yields all the same, so that the process's heartbeat, timers and sockets
 * keep running). A fit therefore stops within one unit of work (a round, a tree, an iteration) plus a
 * few milliseconds of the abort, and the yields cost nothing measurable.
 *
 * @example
 * const cp = new Checkpoint(signal, 'gbdt fit');
 * for (let i = 0; i < rounds; i++) { await cp.next(() => `after ${i} of ${rounds} rounds`); work(i); }
 */
import { setImmediate as turn } from 'node:timers/promises';
import { CancelledError } from '../../core/errors.ts';

/** Longest stretch without giving the event loop a turn. */
export const YIELD_MS = 20;

export class Checkpoint {
  readonly #signal: AbortSignal | undefined;
  readonly #what: string;
  #last = performance.now();

  constructor(signal: AbortSignal | undefined, what: string) {
    this.#signal = signal;
    this.#what = what;
    this.check();
  }

  /** Throws CancelledError when the signal is aborted; `where` adds how far the work got. */
  check(where?: () => string): void {
    const s = this.#signal;
    if (s?.aborted) {
      throw new CancelledError(`${this.#what} was cancelled${where ? ` ${where()}` : ''}`, {
        cause: s.reason, hint: 'Nothing was kept; run it again to fit the model.',
      });
    }
  }

  /**
   * Calls `listener` with the CancelledError when the signal aborts (at once if it has); returns
   * the function that removes it. For waits on other threads, which no loop here is checking.
   */
  onAbort(listener: (e: CancelledError) => void): () => void {
    const s = this.#signal;
    if (!s) return () => undefined;
    const fire = (): void => {
      try { this.check(); } catch (e) { listener(e as CancelledError); }
    };
    if (s.aborted) { fire(); return () => undefined; }
    s.addEventListener('abort', fire, { once: true });
    return () => s.removeEventListener('abort', fire);
  }

  /**
   * Gives the event loop a turn when it has waited YIELD_MS or more, then checks the signal. With no
   * signal too: a fit that never yields starves the process's heartbeat, timers and sockets (a run's
   * lease would expire while its step is still working).
   */
  async next(where?: () => string): Promise<void> {
    const now = performance.now();
    if (now - this.#last >= YIELD_MS) {
      await turn();
      this.#last = performance.now();
    }
    this.check(where);
  }
}
