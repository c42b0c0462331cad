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

blobStoreContract('fs', makeFs);

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
