/**
 * DuckDB's reader errors, rewritten to say which file, line (or record) and column went wrong, and
 * what to do about it. The original error stays as `cause`.
 */
import { DataError, type SluiceError } from '../core/errors.ts';

export interface RejectRow {
  file: string;
  line: number | null;
  column: string | null;
  errorType: string;
  message: string;
  raw: string | null;
}

const HINTS: Record<string, string> = {
  CAST: 'Fix the value, declare the column with a wider type (for example VARCHAR), or set onBadRows: "quarantine" to set such rows aside.',
  'MISSING COLUMNS': 'The row has fewer fields than the header (a ragged row): fix the file, or set onBadRows: "quarantine".',
  'TOO MANY COLUMNS': 'The row has more fields than the header (an unquoted delimiter?): fix the file, or set onBadRows: "quarantine".',
  'UNQUOTED VALUE': 'A quote is opened but never closed (broken quoting): fix the file, or set onBadRows: "quarantine".',
  'INVALID ENCODING': "Set the source's encoding (for example encoding: 'latin-1'), re-export the file as UTF-8, or set onBadRows: \"quarantine\".",
  'LINE SIZE OVER MAXIMUM': 'A line is longer than the reader allows: is this really a CSV file (a broken quote can swallow many lines)?',
};

/** The error for the first rejected row of a CSV read. */
export function csvRejectError(r: RejectRow, cause: unknown): DataError {
  const where = `${r.file}${r.line !== null ? `, line ${r.line}` : ''}${r.column ? `, column "${r.column}"` : ''}`;
  const raw = r.raw ? `\n  line: ${shortLine(r.raw)}` : '';
  return new DataError(`${where}: ${describeReject(r)}${raw}`, {
    code: 'BAD_ROW', cause,
    context: { file: r.file, ...(r.line !== null ? { line: r.line } : {}), ...(r.column ? { column: r.column } : {}) },
    hint: HINTS[r.errorType] ?? 'Fix the file, or set onBadRows: "quarantine" on the source to set bad rows aside.',
  });
}

/** A human reason for a rejected row (used in messages and as the quarantine reason). */
export function describeReject(r: RejectRow): string {
  switch (r.errorType) {
    case 'MISSING COLUMNS': return `ragged row: ${r.message.replace(/^Expected Number of Columns: (\d+) Found: (\d+).*/s, 'expected $1 fields, found $2')}`;
    case 'TOO MANY COLUMNS': return `ragged row: ${r.message.replace(/^Expected Number of Columns: (\d+) Found: (\d+).*/s, 'expected $1 fields, found $2')}`;
    case 'UNQUOTED VALUE': return 'broken quoting: a quoted value is never closed';
    case 'INVALID ENCODING': return 'invalid UTF-8 (the file is not UTF-8 encoded)';
    case 'CAST': {
      const m = /Could not convert string "(.*)" to '([^']+)'/s.exec(r.message);
      return m ? `wrong type: "${m[1]}" is not a ${m[2]}` : r.message;
    }
    default: return r.message.split('\n')[0] ?? r.message;
  }
}

/** A DuckDB error raised while reading files, with file/line/column pulled out of its text. */
export function readerError(err: unknown, files: readonly string[], kind: string): SluiceError {
  const text = err instanceof Error ? err.message : String(err);
  const file = /file(?: =|:)? ?"?'?(\/[^\s"'\n]+)/.exec(text)?.[1] ?? (/'(\/[^']+)'/.exec(text)?.[1]) ?? (files.length === 1 ? files[0] : undefined);
  const where = file ?? files.join(', ');
  const context: Record<string, string | number> = file ? { file } : {};
  const lineMatch = /CSV Error on Line: (\d+)/.exec(text);
  if (lineMatch) context['line'] = Number(lineMatch[1]);
  let m: RegExpExecArray | null;
  if (/No such file or directory|No files found|Cannot open file/i.test(text)) {
    return new DataError(`File ${where} disappeared while it was being read (or does not exist)`, {
      code: 'FILE_GONE', cause: err, context, hint: 'Nothing was registered; rerun the ingest once the file is in place (or remove it from the pattern).',
    });
  }
  if ((m = /Malformed JSON in file "?([^",]+)"?, at byte (\d+) in (record\/value|line) (\d+): ([^\n]*)/.exec(text))) {
    // DuckDB 1.5 numbers the broken record one past its place (a broken first line is reported as line 2).
    const n = Math.max(1, Number(m[4]) - 1);
    const what = m[3] === 'line' ? 'line' : 'record';
    return new DataError(`${m[1]}, ${what} ${n} (byte ${m[2]} of it): malformed JSON: ${m[5]!.trim()}`, {
      code: 'BAD_JSON', cause: err, context: { file: m[1]!, ...(what === 'line' ? { line: n } : { row: n }) },
      hint: kind === 'json' ? 'Fix the record; if the file has one JSON object per line, read it with ndjson().' : 'Fix the record.',
    });
  }
  if (/No magic bytes found at end of file|too small to be a Parquet file|Invalid Parquet file|PAR1/i.test(text)) {
    return new DataError(`File ${where} is not a Parquet file (empty, truncated, or another format)`, {
      code: 'CORRUPT_FILE', cause: err, context, hint: 'Check that the pattern matches only .parquet files and that the file was written completely.',
    });
  }
  if (/Invalid unicode|byte sequence mismatch/i.test(text)) {
    return new DataError(`${where}${context['line'] ? `, line ${context['line']}` : ''}: invalid UTF-8`, {
      code: 'INVALID_UTF8', cause: err, context, hint: HINTS['INVALID ENCODING']!,
    });
  }
  if (/Error when sniffing file|not possible to automatically detect/i.test(text)) {
    return new DataError(`${where}: not readable as CSV with the given options (no consistent delimiter, quoting or column count found)`, {
      code: 'BAD_CSV', cause: err, context, hint: 'Check delimiter, quote and header options; a binary or non-CSV file also ends here.',
    });
  }
  const first = text.split('\n')[0] ?? text;
  return new DataError(`Could not read ${kind} ${where}: ${first}`, { code: 'READ', cause: err, context });
}

function shortLine(s: string): string {
  const one = s.split('\n')[0] ?? s;
  return one.length > 160 ? `${one.slice(0, 160)}...` : one;
}
