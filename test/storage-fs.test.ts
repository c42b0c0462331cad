// The filesystem store against the shared storage contract, plus what only the fs store does.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsBlobStore } from '../src/storage/fs-store.ts';
import { blobStoreContract } from './storage-contract.ts';

async function makeFs() {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-fs-store-'));
  const store = new FsBlobStore(join(dir, 'blobs'), join(dir, 'tmp'));
  await store.init();
  return {
    store,
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    corrupt: (sha: string) => writeFile(store.pathOf(sha), 'not the original content'),
  };
}

blobStoreContract('fs', makeFs, { checksFileSource: false });

test('fs: failed puts leave no temp files behind; init removes stale ones', async () => {
  const s = await makeFs();
  try {
    await assert.rejects(s.store.put((await import('node:stream')).Readable.from([Buffer.alloc(10)]), { maxBytes: 5 }));
    assert.deepEqual(await readdir(s.store.tmp), []);
    await writeFile(join(s.store.tmp, 'put-crashed'), 'half');
    await s.store.init();
    assert.deepEqual(await readdir(s.store.tmp), []);
  } finally {
    await s.cleanup();
  }
});

test('fs: an adopted file (a finished upload) is moved into place, not copied; stored content leaves it be', async () => {
  const s = await makeFs();
  const { createReadStream } = await import('node:fs');
  const { stat, readFile } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  try {
    const f = join(s.dir, 'upload-1');
    const body = Buffer.from('adopted upload content\n'.repeat(1000));
    await writeFile(f, body);
    const ino = (await stat(f)).ino;
    const r = await s.store.put(createReadStream(f), { file: f, adopt: true });
    assert.deepEqual(r, { sha256: createHash('sha256').update(body).digest('hex'), size: body.length, created: true });
    assert.equal((await stat(s.store.pathOf(r.sha256))).ino, ino, 'the same inode: renamed, not written again');
    assert.equal((await stat(s.store.pathOf(r.sha256))).mode & 0o777, 0o600);
    assert.equal(await stat(f).catch(() => null), null);
    // Same content again: nothing to do, the caller's file is left for the caller to remove.
    await writeFile(f, body);
    assert.equal((await s.store.put(createReadStream(f), { file: f, adopt: true })).created, false);
    assert.ok((await readFile(f)).equals(body));
    // A stream that is not the file: refused, nothing stored under a wrong name.
    const other = join(s.dir, 'upload-2');
    await writeFile(other, 'short');
    await assert.rejects(s.store.put(createReadStream(f), { file: other, adopt: true }), /E_SOURCE_CHANGED|not the content/);
    assert.equal(await stat(s.store.pathOf(createHash('sha256').update(body).digest('hex'))).then(() => true), true);
    assert.deepEqual((await readdir(join(s.store.root, 'sha256'), { recursive: true })).filter((x) => x.length === 70).length, 1);
  } finally {
    await s.cleanup();
  }
});

test('createBlobStore: unset or "fs" is the filesystem store under DATA/blobs; an unknown scheme is E_CONFIG', async () => {
  const { createBlobStore } = await import('../src/storage/create-store.ts');
  const { AppError } = await import('../src/errors.ts');
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-create-store-'));
  try {
    for (const blobs of [undefined, 'fs']) {
      const store = await createBlobStore({ blobs, dataDir: dir, tmpDir: join(dir, 'tmp'), env: {} });
      assert.equal(store.kind, 'fs');
      assert.equal((store as FsBlobStore).root, join(dir, 'blobs'));
    }
    for (const blobs of ['gs://bucket', 's3://', 'azure:container', '/some/dir'])
      await assert.rejects(createBlobStore({ blobs, dataDir: dir, tmpDir: join(dir, 'tmp'), env: {} }),
        (e: unknown) => e instanceof AppError && e.code === 'E_CONFIG' && e.exitCode === 2, blobs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
