/**
 * The ArtifactStore conformance suite: one suite, run against every implementation (today: the local
 * folder store). Plus tests of the local store's layout and integrity checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SluiceError } from '../../src/core/errors.ts';
import { LocalArtifactStore, openArtifactStore } from '../../src/store/index.ts';
import type { ArtifactStore } from '../../src/store/index.ts';

/** An implementation under test: hands out fresh, empty stores. */
export interface ArtifactBackend {
  name: string;
  skip?: string;
  fresh(): Promise<{ store: ArtifactStore; dispose(): Promise<void> }>;
}

const keyOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const text = (s: string) => new TextEncoder().encode(s);

function isSluiceError(pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

export function artifactStoreConformance(backend: ArtifactBackend): void {
  describe(`ArtifactStore conformance: ${backend.name}`, { skip: backend.skip }, () => {
    let store: ArtifactStore;
    let dispose: () => Promise<void>;
    const scratch: string[] = [];

    beforeEach(async () => {
      ({ store, dispose } = await backend.fresh());
    });
    afterEach(async () => {
      await dispose();
      for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
    });

    it('puts and gets bytes under their sha256 key', async () => {
      const bytes = text('hello, artifacts ✓');
      const key = await store.put(bytes);
      assert.equal(key, keyOf(bytes));
      assert.match(key, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await store.has(key), true);
      assert.deepEqual(Buffer.from(await store.get(key)), Buffer.from(bytes));
      assert.deepEqual(await readFile(store.path(key)), Buffer.from(bytes));
      assert.ok(typeof store.description === 'string' && store.description.length > 0);
    });

    it('stores empty and binary content', async () => {
      const empty = new Uint8Array(0);
      assert.equal(await store.put(empty), keyOf(empty));
      assert.equal((await store.get(keyOf(empty))).length, 0);
      const binary = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256);
      const key = await store.put(binary);
      assert.deepEqual(Buffer.from(await store.get(key)), Buffer.from(binary));
    });

    it('deduplicates: the same bytes twice (even concurrently) give one key', async () => {
      const bytes = text('same');
      const first = await store.put(bytes);
      const second = await store.put(text('same'));
      assert.equal(first, second);
      const concurrent = await Promise.all(Array.from({ length: 8 }, () => store.put(text('together'))));
      assert.equal(new Set(concurrent).size, 1);
      assert.equal(await readFile(store.path(concurrent[0]!), 'utf8'), 'together');
      assert.notEqual(await store.put(text('different')), first);
    });

    it('has is false and get throws a SluiceError naming the key for unknown keys', async () => {
      const missing = keyOf(text('never stored'));
      assert.equal(await store.has(missing), false);
      await assert.rejects(store.get(missing), isSluiceError(new RegExp(missing)));
    });

    it('rejects malformed keys with a SluiceError', async () => {
      const bad = ['', 'sha256:', 'sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, `sha256:${'a'.repeat(63)}g`,
        `sha256:${'a'.repeat(65)}`, `sha256:../${'a'.repeat(61)}`, `${'a'.repeat(64)}`, ` sha256:${'a'.repeat(64)}`];
      for (const key of bad) {
        assert.throws(() => store.path(key), isSluiceError(/artifact key/i), `path(${key})`);
        await assert.rejects(store.get(key), isSluiceError(/artifact key/i), `get(${key})`);
        await assert.rejects(store.has(key), isSluiceError(/artifact key/i), `has(${key})`);
      }
    });

    it('putFile stores a file from tempDir() and consumes it', async () => {
      const source = join(store.tempDir(), 'model.parquet');
      const bytes = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 31) % 251);
      await writeFile(source, bytes);
      const key = await store.putFile(source);
      assert.equal(key, keyOf(bytes));
      assert.equal(existsSync(source), false);
      assert.deepEqual(Buffer.from(await store.get(key)), Buffer.from(bytes));

      // Already stored: still consumed, same key.
      await writeFile(source, bytes);
      assert.equal(await store.putFile(source), key);
      assert.equal(existsSync(source), false);
    });

    it('putFile accepts a file from elsewhere and consumes it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-src-'));
      scratch.push(dir);
      const source = join(dir, 'out.bin');
      await writeFile(source, 'from another folder');
      const key = await store.putFile(source);
      assert.equal(existsSync(source), false);
      assert.equal(Buffer.from(await store.get(key)).toString(), 'from another folder');
    });

    it('putFile of a missing file or a directory throws a SluiceError naming it', async () => {
      const missing = join(store.tempDir(), 'does-not-exist');
      await assert.rejects(store.putFile(missing), isSluiceError(/does-not-exist/));
      const dir = await mkdtemp(join(tmpdir(), 'sluice-dir-'));
      scratch.push(dir);
      await assert.rejects(store.putFile(dir), isSluiceError(/sluice-dir-/));
      assert.ok(existsSync(dir));
    });

    it('a write that crashed midway leaves no visible artifact', async () => {
      const full = text('the complete content of a large artifact');
      const key = keyOf(full);
      // What a crash mid-write leaves behind: a partial file in the scratch space.
      await writeFile(join(store.tempDir(), 'crashed.partial'), full.slice(0, 10));
      await writeFile(join(store.tempDir(), 'crashed-full.partial'), full);
      assert.equal(await store.has(key), false);
      assert.equal(await store.has(keyOf(full.slice(0, 10))), false);
      await assert.rejects(store.get(key), isSluiceError(new RegExp(key)));
      // And the store still works for that content.
      assert.equal(await store.put(full), key);
      assert.deepEqual(Buffer.from(await store.get(key)), Buffer.from(full));
    });

    it('delete removes an artifact; deleting a missing key is a no-op', async () => {
      const key = await store.put(new TextEncoder().encode('to be deleted'));
      assert.equal(await store.has(key), true);
      await store.delete(key);
      assert.equal(await store.has(key), false);
      await store.delete(key);
      await assert.rejects(store.delete('sha256:nope'), (err: unknown) => err instanceof SluiceError);
      // The same bytes can be stored again afterwards.
      assert.equal(await store.put(new TextEncoder().encode('to be deleted')), key);
      assert.equal(await store.has(key), true);
    });

    it('tempDir() exists and is writable', async () => {
      assert.ok(statSync(store.tempDir()).isDirectory());
      await writeFile(join(store.tempDir(), 'probe'), 'x');
    });
  });
}

async function freshLocal() {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-artifacts-'));
  return { store: new LocalArtifactStore(join(dir, 'artifacts')), dispose: () => rm(dir, { recursive: true, force: true }) };
}

artifactStoreConformance({ name: 'LocalArtifactStore', fresh: freshLocal });

describe('LocalArtifactStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-artifacts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lays files out as <root>/sha256/<2 hex>/<62 hex>, read-only, with nothing left in tmp/', async () => {
    const store = new LocalArtifactStore(join(dir, 'a'));
    const key = await store.put(text('layout'));
    const hex = key.slice('sha256:'.length);
    assert.equal(relative(join(dir, 'a'), store.path(key)), join('sha256', hex.slice(0, 2), hex.slice(2)));
    assert.equal(statSync(store.path(key)).mode & 0o222, 0);
    await writeFile(join(store.tempDir(), 'x'), 'x');
    await store.putFile(join(store.tempDir(), 'x'));
    assert.deepEqual(await readdir(store.tempDir()), []);
    assert.equal(store.tempDir(), join(dir, 'a', 'tmp'));
  });

  it('openArtifactStore defaults the root to <home>/artifacts', async () => {
    const store = await openArtifactStore({ home: join(dir, 'home') });
    assert.equal(store.root, join(dir, 'home', 'artifacts'));
    assert.ok(existsSync(join(dir, 'home', 'artifacts', 'tmp')));
    const explicit = await openArtifactStore({ home: join(dir, 'home'), root: join(dir, 'elsewhere') });
    assert.equal(explicit.root, join(dir, 'elsewhere'));
    // Two stores on one root see each other's artifacts.
    const key = await store.put(text('shared'));
    assert.equal(await (await openArtifactStore({ root: join(dir, 'home', 'artifacts') })).has(key), true);
  });

  const otherFs = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : undefined;
  it('putFile copies across filesystems, then consumes the source', { skip: otherFs ? undefined : 'no second filesystem at /dev/shm' }, async () => {
    const store = new LocalArtifactStore(join(dir, 'a'));
    const src = await mkdtemp(join(otherFs!, 'sluice-'));
    try {
      await writeFile(join(src, 'f'), 'across');
      const key = await store.putFile(join(src, 'f'));
      assert.equal(existsSync(join(src, 'f')), false);
      assert.equal(Buffer.from(await store.get(key)).toString(), 'across');
      assert.deepEqual(await readdir(store.tempDir()), []);
    } finally {
      await rm(src, { recursive: true, force: true });
    }
  });

  it('get detects a file changed behind its back', async () => {
    const store = new LocalArtifactStore(join(dir, 'a'));
    const key = await store.put(text('original'));
    await chmod(store.path(key), 0o644);
    await writeFile(store.path(key), 'tampered');
    await assert.rejects(store.get(key), (err: unknown) => err instanceof SluiceError && err.code === 'ARTIFACT_CORRUPT' && err.message.includes(key));
  });
});
