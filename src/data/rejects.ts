/**
 * Rows a reader set aside instead of failing (a source's `onBadRows: 'quarantine'`): rows that did not
 * parse or whose values do not convert to their column's type. Each set-aside row is one row here,
 * however many things are wrong with it, with where it was and why; the quarantine takes them as they
 * are (quarantine.ts).
 */

/** The columns of `ScanRejects.sql()`, one row per set-aside row. */
export interface RejectColumns {
  file: string;
  /** Line in the file (CSV, NDJSON); null where lines mean nothing (a JSON array). */
  line: number | null;
  /** Record number within the file (JSON); null for CSV. */
  record: number | null;
  /** The row's raw text, without its line ending. */
  raw: string | null;
  /** Why it was set aside (several when several fields are wrong). */
  reasons: string[];
}

export interface ScanRejects {
  /**
   * SQL over the set-aside rows with the columns of RejectColumns (`reasons` a VARCHAR[]); complete
   * once the scan's rows have been read (and `recover` has returned null).
   */
  sql(): string;
  /**
   * Called after the scan's rows were read, until it returns null: a SQL table expression (same columns
   * as the scan) over rows the reader could not read in that pass but can now, e.g. the lines after a
   * quote that is never closed, which the CSV parser swallows into one broken value.
   */
  recover?(): Promise<string | null>;
  drop(): Promise<void>;
}
