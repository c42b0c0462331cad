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
