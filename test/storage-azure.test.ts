// The Azure Blob store against the shared storage contract on azurite (started here on 127.0.0.1), plus
// Azure-only behaviour: wrong account key and missing container at init, an unreachable or vanishing service.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { AppError } from '../src/errors.ts';
import { AzureBlobStore, type AzureStoreOptions } from '../src/storage/azure-store.ts';
import { createBlobStore } from '../src/storage/create-store.ts';
import { connectionString, startAzurite, type AzuriteServer } from './helpers/azurite.ts';
import { blobStoreContract, content } from './storage-contract.ts';

const MiB = 1 << 20;
const CONTAINER = 'vitrine-test';
let srv: AzuriteServer;
let tmpRoot: string;
before(async () => {
  srv = await startAzurite();
  tmpRoot = await mkdtemp(join(tmpdir(), 'vitrine-azure-test-'));
  await BlobServiceClient.fromConnectionString(srv.connectionString).getContainerClient(CONTAINER).create();
});
after(async () => {
  await srv?.cleanup();
  await rm(tmpRoot, { recursive: true, force: true });
});

function options(over: Partial<AzureStoreOptions> = {}, conn = srv.connectionString): AzureStoreOptions {
  return {
    connectionString: conn,
    container: CONTAINER,
    prefix: `t-${randomBytes(4).toString('hex')}`,
    tmpDir: join(tmpRoot, randomBytes(4).toString('hex')),
    blockSize: 4 * MiB, // so the contract's 6-12 MiB contents take the staged-block path
    listPageSize: 3, // so the contract's list test pages
    ...over,
  };
}

async function namesUnder(store: AzureBlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.container.listBlobsFlat({ prefix })) out.push(b.name);
  return out;
}

async function makeAzure() {
  const store = new AzureBlobStore(options());
  await store.init();
  return {
    store,
    corrupt: async (sha: string) => {
      await store.container.getBlockBlobClient(store.nameOf(sha)).upload('not the original content', 23);
    },
    cleanup: async () => {
      const names = await namesUnder(store, store.base);
      for (const n of names) await store.container.deleteBlob(n);
      await store.close();
      assert.deepEqual(names.filter((n) => n.startsWith(`${store.base}tmp/`)), [], 'every put removes its temp blob');
    },
  };
}

// 256 MiB by default: 1 GiB passes too (15-30 s on azurite here, RSS growth 47-81 MiB) but took this file to
// 53 s on the shared 2-core machine, too near its 60 s budget. VITRINE_TEST_REMOTE_BIG_MIB=1024 runs it.
blobStoreContract('azure (azurite)', makeAzure, {
  bigBytes: process.env.VITRINE_TEST_QUICK === '1' ? 0 : Number(process.env.VITRINE_TEST_REMOTE_BIG_MIB ?? 256) * MiB,
  checksFileSource: false, // see AzureBlobStore.put: it streams a local file like any other stream
});

test('azure: a wrong account key is E_STORAGE_AUTH at init', async () => {
  const store = new AzureBlobStore(options({}, srv.badConnectionString));
  await assert.rejects(store.init(), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'E_STORAGE_AUTH');
    assert.match(e.message, /AZURE_STORAGE_CONNECTION_STRING/);
    return true;
  });
});

test('azure: a missing container is a configuration error at init', async () => {
  const store = new AzureBlobStore(options({ container: 'no-such-container' }));
  await assert.rejects(store.init(), (e: unknown) => e instanceof AppError && e.code === 'E_STORAGE_CONFIG' && e.kind === 'usage');
});

test('azure: an unreachable service is a transient E_STORAGE_UNAVAILABLE', async () => {
  const store = new AzureBlobStore(options({}, connectionString(1)));
  await assert.rejects(store.init(), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'E_STORAGE_UNAVAILABLE');
    assert.equal(e.kind, 'transient');
    return true;
  });
});

test('azure: service killed in the middle of a put → transient error, no blob; the retry after restart stores it', { timeout: 60_000 }, async () => {
  const own = await startAzurite();
  const store = new AzureBlobStore(options({}, own.connectionString));
  try {
    await store.container.create();
    await store.init();
    const total = 40 * MiB;
    let sent = 0;
    const slow = new Readable({
      read() {
        if (sent >= total) return void this.push(null);
        sent += MiB;
        if (sent === 12 * MiB) void own.stop();
        setTimeout(() => this.push(content(MiB, sent)), 5);
      },
    });
    await assert.rejects(store.put(slow), (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.code, 'E_STORAGE_UNAVAILABLE');
      assert.equal(e.kind, 'transient');
      return true;
    });
    const again = await startAzurite({ port: own.port, dir: own.dir });
    try {
      assert.deepEqual(await namesUnder(store, store.base), [], 'neither a blob nor a committed temp blob');
      const b = content(9 * MiB, 98);
      const r = await store.put(Readable.from([b]));
      assert.equal(r.created, true);
      assert.equal((await store.stat(r.sha256))?.size, b.length);
    } finally {
      await again.cleanup();
    }
  } finally {
    await own.cleanup();
  }
});

test('azure: createBlobStore picks Azure from VITRINE_BLOBS and AZURE_STORAGE_CONNECTION_STRING', async () => {
  const dataDir = await mkdtemp(join(tmpRoot, 'data-'));
  const env = { VITRINE_BLOBS: `azure://${CONTAINER}/via-env`, AZURE_STORAGE_CONNECTION_STRING: srv.connectionString };
  const store = await createBlobStore({ blobs: env.VITRINE_BLOBS, dataDir, tmpDir: join(dataDir, 'tmp'), env });
  assert.equal(store.kind, 'azure');
  const r = await store.put(Readable.from([Buffer.from('hello')]));
  assert.equal((store as AzureBlobStore).nameOf(r.sha256), `via-env/sha256/2c/f2/${r.sha256}`);
  assert.equal(await store.delete(r.sha256), true);
  await assert.rejects(
    createBlobStore({ blobs: env.VITRINE_BLOBS, dataDir, tmpDir: join(dataDir, 'tmp'), env: {} }),
    (e: unknown) => e instanceof AppError && e.code === 'E_CONFIG',
  );
});
