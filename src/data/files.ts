/**
 * Finding a source's files: a path, a list of paths, or glob patterns (`*`, `**`, `?`, `[abc]`, `{a,b}`),
 * each file with its size and modification time (the fingerprint incremental ingest compares) and its
 * hive-style partition values from folders such as `month=2001-01/`.
 *
 * Globs are expanded here rather than by DuckDB so that ingest knows the exact file list it read (for
 * lineage and fingerprints) and can say which pattern matched nothing; the readers then pass DuckDB
 * exact paths (engine/readers.ts escapes glob characters). A path naming an existing file or folder is
 * taken as it is, even when its name holds glob characters (`x[1].csv`).
 *
 * @example
 * const files = await listFiles('data/flights/month=*\/*.csv');
 * files[0]; // { path: '/abs/data/flights/month=2001-01/part-0.csv', size: 1234, mtimeMs: ..., partition: { month: '2001-01' } }
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DataError } from '../core/errors.ts';
import { sha256 } from '../core/hash.ts';

export interface SourceFile {
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Hive partition values from `key=value` folders between the pattern's fixed root and the file. */
  partition: Record<string, string>;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Expands paths and glob patterns into existing files, sorted by path. Errors name the pattern that matched nothing. */
export async function listFiles(patterns: string | readonly string[], options: { cwd?: string } = {}): Promise<SourceFile[]> {
  const cwd = options.cwd ?? process.cwd();
  const list = typeof patterns === 'string' ? [patterns] : [...patterns];
  if (list.length === 0) throw new DataError('The source names no files', { code: 'NO_FILES', hint: 'Give a path or a glob pattern such as "data/*.csv".' });
  const seen = new Map<string, SourceFile>();
  for (const pattern of list) {
    const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
    // A path that names an existing file or folder is read exactly, glob characters and all
    // (`x[1].csv`, `y*.csv`); only a path that names nothing is a pattern.
    const exact = GLOB_CHARS.test(pattern) ? await single(abs) : null;
    const found = exact && exact.length > 0 ? exact : GLOB_CHARS.test(pattern) ? await expandGlob(abs) : await single(abs);
    if (found.length === 0) {
      throw new DataError(`No files match ${JSON.stringify(pattern)}`, {
        code: 'NO_FILES', context: { file: abs }, hint: 'Check the path and pattern (globs: *, **, ?, [abc], {a,b}); patterns are relative to the working directory.',
      });
    }
    for (const f of found) seen.set(f.path, f);
  }
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A stable digest of a file list (paths, sizes, modification times): unchanged files give the same value. */
export function filesFingerprint(files: readonly SourceFile[]): string {
  return sha256(files.map((f) => `${f.path}\t${f.size}\t${Math.trunc(f.mtimeMs)}`).join('\n'));
}

/** Hive partition values of a path below `root`: `root/month=2001-01/day=03/x.csv` -> { month, day }. */
export function hivePartition(root: string, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const seg of relative(root, path).split(sep).slice(0, -1)) {
    const eq = seg.indexOf('=');
    if (eq > 0) out[decodePart(seg.slice(0, eq), seg, path)] = decodePart(seg.slice(eq + 1), seg, path);
  }
  return out;
}

/** Hive folder names are percent-encoded (`city=S%C3%A3o%20Paulo`); a broken escape names the folder. */
function decodePart(text: string, folder: string, path: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    const bad = /%(?![0-9A-Fa-f]{2}).{0,2}/.exec(text)?.[0] ?? '%';
    throw new DataError(`The partition folder "${folder}" in ${path} is not valid percent-encoding (at "${bad}")`, {
      code: 'BAD_PARTITION_FOLDER', context: { file: path, folder },
      hint: 'Hive partition folders encode special characters as %XX (UTF-8 bytes): write a literal "%" as %25, or rename the folder.',
    });
  }
}

async function single(path: string): Promise<SourceFile[]> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw new DataError(`Could not read ${path}: ${err instanceof Error ? err.message : String(err)}`, { code: 'IO', cause: err, context: { file: path } });
  }
  if (s.isDirectory()) {
    // A folder means every file below it (hidden files and _SUCCESS-style markers excluded).
    return expandGlob(join(path, '**', '*'));
  }
  return [{ path, size: s.size, mtimeMs: s.mtimeMs, partition: {} }];
}

async function expandGlob(absPattern: string): Promise<SourceFile[]> {
  const parts = absPattern.split(sep);
  let rootParts = 0;
  // The fixed root: segments without glob characters, and folders that exist under their exact name
  // (a project folder called `data[1]` is a folder, not a pattern).
  while (rootParts < parts.length - 1 && (!GLOB_CHARS.test(parts[rootParts]!) || (await isFolder(parts.slice(0, rootParts + 1).join(sep))))) rootParts++;
  if (rootParts === parts.length - 1 && !GLOB_CHARS.test(parts[rootParts]!)) rootParts++;
  const root = parts.slice(0, rootParts).join(sep) || sep;
  const segments = parts.slice(rootParts).map((p) => (p === '**' ? null : globToRegExp(p)));
  const out: SourceFile[] = [];
  await walk(root, segments, 0, root, out);
  return out;
}

async function walk(dir: string, segments: (RegExp | null)[], i: number, root: string, out: SourceFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new DataError(`Could not list ${dir}: ${err instanceof Error ? err.message : String(err)}`, { code: 'IO', cause: err, context: { file: dir } });
  }
  const seg = segments[i];
  const last = i === segments.length - 1;
  if (seg === null) {
    // `**`: zero folders (match the next segment here) or one more folder (descend, keeping `**`).
    if (last) {
      for (const e of visible(entries)) if (!(await isDirectory(join(dir, e.name), e))) await addFile(join(dir, e.name), root, out);
    } else {
      await walk(dir, segments, i + 1, root, out);
    }
    for (const e of visible(entries)) if (await isDirectory(join(dir, e.name), e)) await walk(join(dir, e.name), segments, i, root, out);
    return;
  }
  for (const e of visible(entries)) {
    if (!seg!.test(e.name)) continue;
    const path = join(dir, e.name);
    const isDir = await isDirectory(path, e);
    if (last) { if (!isDir) await addFile(path, root, out); }
    else if (isDir) await walk(path, segments, i + 1, root, out);
  }
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Hidden files and markers such as _SUCCESS are not data. */
function visible<E extends { name: string }>(entries: E[]): E[] {
  return entries.filter((e) => !e.name.startsWith('.') && !e.name.startsWith('_')).sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function isDirectory(path: string, e: { isDirectory(): boolean; isSymbolicLink(): boolean }): Promise<boolean> {
  if (e.isDirectory()) return true;
  return e.isSymbolicLink() ? stat(path).then((s) => s.isDirectory(), () => false) : false;
}

async function addFile(path: string, root: string, out: SourceFile[]): Promise<void> {
  try {
    const s = await stat(path);
    out.push({ path, size: s.size, mtimeMs: s.mtimeMs, partition: hivePartition(root, path) });
  } catch (err) {
    // Gone between listing and stat: it is not part of this batch.
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}

/** One path segment of a glob as a RegExp: * ? [..] {a,b}. */
function globToRegExp(seg: string): RegExp {
  let re = '';
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (inClass) { re += c === ']' ? ']' : c === '\\' ? '\\\\' : c; if (c === ']') inClass = false; continue; }
    switch (c) {
      case '*': re += '[^/]*'; break;
      case '?': re += '[^/]'; break;
      case '[': inClass = true; re += seg[i + 1] === '!' ? (i++, '[^') : '['; break;
      case '{': braces++; re += '(?:'; break;
      case '}': if (braces > 0) { braces--; re += ')'; } else re += '\\}'; break;
      case ',': re += braces > 0 ? '|' : ','; break;
      default: re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
