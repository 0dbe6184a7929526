/**
 * A look at the head of a CSV file before DuckDB reads it: an empty file, binary content (NUL bytes,
 * control characters), and the header record (names in file order). These checks give clear messages
 * for inputs DuckDB's sniffer reports only vaguely, and the header names are what the reader matches
 * declared columns against.
 */
import { open } from 'node:fs/promises';
import { DataError } from '../core/errors.ts';

export interface CsvHead {
  /** Header names in file order (empty when the file has no header). */
  names: string[];
  /** Bytes of the file (0: empty). */
  size: number;
}

const HEAD_BYTES = 64 * 1024;

export async function readCsvHead(path: string, o: { delimiter: string; quote: string; header: boolean; encoding: string; skipRows?: number }): Promise<CsvHead> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const gone = (err as { code?: string }).code === 'ENOENT';
    throw new DataError(gone ? `File ${path} disappeared before it could be read` : `Could not open ${path}: ${String(err)}`, {
      code: gone ? 'FILE_GONE' : 'IO', cause: err, context: { file: path }, hint: gone ? 'Nothing was registered; rerun the ingest once the file is back (or remove it from the pattern).' : undefined,
    });
  }
  try {
    const size = (await fh.stat()).size;
    const buf = new Uint8Array(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, bytesRead);
    if (size === 0 || isBlank(bytes, size)) {
      throw new DataError(`File ${path} is empty`, {
        code: 'EMPTY_FILE', context: { file: path },
        hint: 'An empty file is refused so that a failed export is not ingested as "no rows"; set emptyFiles: "skip" on the source to ignore empty files.',
      });
    }
    const utf16 = o.encoding.toLowerCase().startsWith('utf-16');
    if (!utf16) {
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        const { line, column } = position(bytes, nul);
        throw new DataError(`File ${path} looks binary, not CSV text: a NUL byte at line ${line}, byte ${column}`, {
          code: 'BINARY_FILE', context: { file: path, line },
          hint: 'Check that the pattern matches only CSV files (not .gz, .parquet or images); compressed CSV must end in .gz or .zst.',
        });
      }
    }
    if (!o.header) return { names: [], size };
    const text = decodeHead(bytes, o.encoding, path);
    const names = firstRecord(skipLines(text, o.skipRows ?? 0), o.delimiter, o.quote);
    return { names, size };
  } finally {
    await fh.close();
  }
}

/** The first CSV record of `text`, honouring quotes (a quoted field may hold delimiters and newlines). */
export function firstRecord(text: string, delimiter: string, quote: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (quote && text.startsWith(quote, i)) {
        if (text.startsWith(quote, i + quote.length)) { field += quote; i += 2 * quote.length; continue; }
        quoted = false; i += quote.length; continue;
      }
      field += c; i++; continue;
    }
    if (quote && text.startsWith(quote, i) && field === '') { quoted = true; i += quote.length; continue; }
    if (text.startsWith(delimiter, i)) { out.push(field); field = ''; i += delimiter.length; continue; }
    if (c === '\n' || c === '\r') break;
    field += c; i++;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/**
 * Which field of a raw CSV line is broken (for messages): the field holding an unterminated quote, or
 * the first field past `expected` fields. Returns a 0-based index or -1.
 */
export function brokenField(line: string, delimiter: string, quote: string): number {
  let fieldIndex = 0;
  let quoted = false;
  let quoteStartField = -1;
  let atFieldStart = true;
  for (let i = 0; i < line.length; i++) {
    if (quoted) {
      if (line.startsWith(quote, i)) {
        if (line.startsWith(quote, i + quote.length)) { i += quote.length; continue; }
        quoted = false;
      }
      continue;
    }
    if (quote && atFieldStart && line.startsWith(quote, i)) { quoted = true; quoteStartField = fieldIndex; atFieldStart = false; continue; }
    if (line.startsWith(delimiter, i)) { fieldIndex++; atFieldStart = true; i += delimiter.length - 1; continue; }
    atFieldStart = false;
  }
  return quoted ? quoteStartField : -1;
}

function decodeHead(bytes: Uint8Array, encoding: string, path: string): string {
  const enc = encoding.toLowerCase().replace('_', '-');
  const label = enc === 'latin-1' || enc === 'latin1' ? 'latin1' : enc.startsWith('utf-16') ? 'utf-16le' : 'utf-8';
  // The head may end mid-character: decode without `fatal` for the cut, but check the header line strictly.
  const text = new TextDecoder(label).decode(bytes);
  if (label === 'utf-8') {
    const nl = text.search(/[\r\n]/);
    const header = nl >= 0 ? text.slice(0, nl) : text;
    if (header.includes('\uFFFD') && bytes.length < HEAD_BYTES) {
      throw new DataError(`File ${path}, line 1 (header): invalid UTF-8`, {
        code: 'INVALID_UTF8', context: { file: path, line: 1 }, hint: "Set the source's encoding (for example encoding: 'latin-1'), or re-export the file as UTF-8.",
      });
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function skipLines(text: string, n: number): string {
  let at = 0;
  for (let k = 0; k < n; k++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return '';
    at = nl + 1;
  }
  return text.slice(at);
}

function isBlank(bytes: Uint8Array, size: number): boolean {
  if (size > bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && !(i < 3 && (b === 0xef || b === 0xbb || b === 0xbf))) return false;
  }
  return true;
}

function position(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) { line++; start = i + 1; }
  return { line, column: offset - start + 1 };
}
