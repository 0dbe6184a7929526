/**
 * Content-addressed artifacts in a local folder:
 *
 *   <root>/sha256/<first 2 hex>/<remaining 62 hex>   finished artifacts, read-only
 *   <root>/tmp/                                       scratch space and in-flight writes
 *
 * A file appears under its key only by rename(2) of a complete, fsynced file from tmp/, so a crash
 * leaves at most a stray file in tmp/, never a partial artifact.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SluiceError, errorMessage } from '../../core/errors.ts';
import type { ArtifactStore, PutOptions } from '../types.ts';

const KEY_PATTERN = /^sha256:([0-9a-f]{64})$/;

export interface OpenArtifactStoreOptions {
  /** Sluice's home directory. Default: SLUICE_HOME, else `.sluice`. */
  home?: string;
  /** The artifact folder. Default: `<home>/artifacts`. */
  root?: string;
}

/** Opens (creating if needed) the local artifact store at `root`, default `<home>/artifacts`. */
export async function openArtifactStore(options: OpenArtifactStoreOptions = {}): Promise<LocalArtifactStore> {
  const home = options.home ?? (process.env.SLUICE_HOME || '.sluice');
  return new LocalArtifactStore(options.root ?? join(home, 'artifacts'));
}

/** The ArtifactStore on a local (or mounted) filesystem. */
export class LocalArtifactStore implements ArtifactStore {
  readonly description: string;
  /** Absolute root folder. */
  readonly root: string;
  readonly #tmp: string;

  /** Creates the root, sha256/ and tmp/ folders if missing. */
  constructor(root: string) {
    this.root = resolve(root);
    this.description = `local:${root}`;
    this.#tmp = join(this.root, 'tmp');
    try {
      mkdirSync(join(this.root, 'sha256'), { recursive: true });
      mkdirSync(this.#tmp, { recursive: true });
    } catch (err) {
      throw new SluiceError(`Cannot create the artifact store folder ${this.root}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err });
    }
  }

  async put(bytes: Uint8Array, options: PutOptions = {}): Promise<string> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    const key = `sha256:${hex}`;
    const target = this.#file(hex);
    await options.beforePublish?.(key);
    if (await isFile(target)) return key;
    const tmp = this.#tempName();
    try {
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(bytes);
        // Durable before visible: after a power loss the key must not name a truncated file.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#publish(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new SluiceError(`Cannot store artifact ${key} in ${this.description}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err, context: { artifact: key } });
    }
    return key;
  }

  async putFile(path: string, options: PutOptions = {}): Promise<string> {
    let info;
    try {
      info = await lstat(path);
    } catch (err) {
      throw new SluiceError(`Cannot store file ${path} in ${this.description}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err, context: { file: path } });
    }
    if (!info.isFile()) throw new SluiceError(`Cannot store ${path} in ${this.description}: not a regular file`, { code: 'ARTIFACT_IO', context: { file: path } });

    // Take the file first, then hash: what we hash is then exactly what goes in place, even if
    // someone writes to the source path meanwhile.
    const tmp = this.#tempName();
    let moved = true;
    try {
      await rename(path, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') {
        throw new SluiceError(`Cannot move ${path} into ${this.description}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err, context: { file: path } });
      }
      // Another filesystem: copy, and remove the source once the copy is in place.
      moved = false;
      try {
        await copyFile(path, tmp);
      } catch (copyErr) {
        await unlink(tmp).catch(() => {});
        throw new SluiceError(`Cannot copy ${path} into ${this.description}: ${errorMessage(copyErr)}`, { code: 'ARTIFACT_IO', cause: copyErr, context: { file: path } });
      }
    }

    let key: string | undefined;
    try {
      const hex = await hashFile(tmp);
      key = `sha256:${hex}`;
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await options.beforePublish?.(key);
      await this.#publish(tmp, this.#file(hex));
    } catch (err) {
      // Give the file back rather than lose it.
      if (moved) await rename(tmp, path).catch(() => unlink(tmp).catch(() => {}));
      else await unlink(tmp).catch(() => {});
      throw new SluiceError(`Cannot store file ${path}${key === undefined ? '' : ` as ${key}`} in ${this.description}: ${errorMessage(err)}`, {
        code: 'ARTIFACT_IO',
        cause: err,
        context: { file: path },
      });
    }
    if (!moved) await unlink(path).catch(() => {});
    return key;
  }

  async get(key: string): Promise<Uint8Array> {
    const hex = parseKey(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#file(hex));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SluiceError(`Artifact ${key} not found in ${this.description}`, { code: 'ARTIFACT_NOT_FOUND', cause: err, context: { artifact: key } });
      }
      throw new SluiceError(`Cannot read artifact ${key} from ${this.description}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err, context: { artifact: key } });
    }
    // Cheap next to the read; catches a file changed or damaged behind the store's back.
    if (createHash('sha256').update(bytes).digest('hex') !== hex) {
      throw new SluiceError(`Artifact ${key} in ${this.description} is corrupt: its content no longer matches its hash`, {
        code: 'ARTIFACT_CORRUPT',
        context: { artifact: key, file: this.#file(hex) },
      });
    }
    return bytes;
  }

  /** The absolute path the artifact has (or would have); does not check that it exists. */
  path(key: string): string {
    return this.#file(parseKey(key));
  }

  async has(key: string): Promise<boolean> {
    return isFile(this.#file(parseKey(key)));
  }

  tempDir(): string {
    return this.#tmp;
  }

  async delete(key: string): Promise<void> {
    const file = this.#file(parseKey(key));
    try {
      await unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SluiceError(`Cannot delete artifact ${key} from ${this.description}: ${errorMessage(err)}`, { code: 'ARTIFACT_IO', cause: err, context: { artifact: key } });
    }
  }

  async *list(): AsyncIterable<{ key: string; mtimeMs: number }> {
    const base = join(this.root, 'sha256');
    for (const prefix of (await readdir(base)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const rest of (await readdir(join(base, prefix))).sort()) {
        const hex = `${prefix}${rest}`;
        if (!/^[0-9a-f]{64}$/.test(hex)) continue;
        try {
          yield { key: `sha256:${hex}`, mtimeMs: (await stat(join(base, prefix, rest))).mtimeMs };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  }

  async listTemp(): Promise<{ path: string; mtimeMs: number }[]> {
    const out: { path: string; mtimeMs: number }[] = [];
    for (const name of await readdir(this.#tmp)) {
      const path = join(this.#tmp, name);
      try {
        out.push({ path, mtimeMs: (await lstat(path)).mtimeMs });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  #file(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  #tempName(): string {
    return join(this.#tmp, `${randomUUID()}.partial`);
  }

  /** Makes a complete temp file visible under its key (or drops it if an identical file is already there). */
  async #publish(tmp: string, target: string): Promise<void> {
    if (await isFile(target)) {
      await unlink(tmp);
      return;
    }
    // Artifacts are immutable; read-only guards against a tool writing through path().
    await chmod(tmp, 0o444);
    await mkdir(dirname(target), { recursive: true });
    // Atomic; if a concurrent writer of the same content got there first, it replaces an identical file.
    await rename(tmp, target);
    // Persist the new directory entry too, before the caller records the key in the metadata store.
    await syncDirectory(dirname(target));
  }
}

/** Returns the hex digest of a valid key; throws a SluiceError naming the bad key otherwise. */
function parseKey(key: string): string {
  const match = typeof key === 'string' ? KEY_PATTERN.exec(key) : null;
  if (match?.[1] === undefined) {
    throw new SluiceError(`Invalid artifact key ${JSON.stringify(key)}: expected "sha256:" and 64 lower-case hex digits`, {
      code: 'ARTIFACT_KEY',
      context: { artifact: String(key) },
    });
  }
  return match[1];
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms (Windows) and filesystems cannot fsync a directory; the rename itself is still atomic.
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
