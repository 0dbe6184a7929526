/** The messages between `extract.ts` and `text-worker.ts` (one extraction = begin, chunks, finish or abort). */
export type TextWorkerRequest =
  /** A new extraction: its text columns (positions in the result) and the expected row count. */
  | { type: 'begin'; id: number; columns: number[]; expected: number | undefined }
  /**
   * One chunk of the text columns, in `begin`'s order, `n` rows: per column its 16-byte string records
   * (transferred), its validity words (null when no value is null), and the texts of its long strings by
   * `longKey` (null when it has none).
   */
  | { type: 'chunk'; id: number; n: number; columns: { records: ArrayBuffer; validity: ArrayBuffer | null; long: Map<string, string> | null }[] }
  | { type: 'finish'; id: number }
  | { type: 'abort'; id: number };

/** One text column encoded: its position in the result, its codes and its sorted dictionary. */
export interface EncodedColumn { column: number; codes: Int32Array; dictionary: string[] }

export type TextWorkerReply =
  /** Sent once, when the worker's module has loaded (before that, 'online' says only that the thread runs). */
  | { type: 'ready' }
  | { type: 'done'; id: number; columns: EncodedColumn[] }
  | { type: 'error'; id: number; message: string };

/** The key of a long string: the pointer in its record (Int32 words w+2, w+3) and its byte length. */
export function longKey(words: Int32Array, w: number, len: number): string {
  return `${(words[w + 3]! >>> 0) * 4294967296 + (words[w + 2]! >>> 0)}:${len}`;
}
