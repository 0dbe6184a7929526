/**
 * A Frame for worker threads: its typed arrays copied once into SharedArrayBuffers, so every worker
 * of a pool reads the same memory instead of receiving its own copy.
 *
 * @example
 * const pool = new WorkerPool({ module, data: shareFrame(train) });
 * // in the worker module: export function evaluate(input, data) { const frame = frameFromShared(data); ... }
 */
import { Frame, type Column, type NumberLogical } from '../../frame/frame.ts';

export interface SharedFrame {
  readonly sharedFrame: true;
  readonly columns: readonly (
    | { name: string; kind: 'number'; logical: NumberLogical; values: Float64Array }
    | { name: string; kind: 'string'; dictionary: readonly string[]; codes: Int32Array }
  )[];
}

export function shareFrame(frame: Frame): SharedFrame {
  return {
    sharedFrame: true,
    columns: frame.names.map((name) => {
      const c = frame.column(name);
      if (c.kind === 'number') {
        const values = new Float64Array(new SharedArrayBuffer(c.values.byteLength));
        values.set(c.values);
        return { name, kind: 'number' as const, logical: c.logical, values };
      }
      const codes = new Int32Array(new SharedArrayBuffer(c.codes.byteLength));
      codes.set(c.codes);
      return { name, kind: 'string' as const, dictionary: [...c.dictionary], codes };
    }),
  };
}

/** The Frame over a SharedFrame's memory (no copy). */
export function frameFromShared(shared: SharedFrame): Frame {
  return new Frame(shared.columns.map((c) => [c.name, c.kind === 'number'
    ? { kind: 'number', values: c.values, logical: c.logical }
    : { kind: 'string', codes: c.codes, dictionary: c.dictionary }] as [string, Column]));
}
