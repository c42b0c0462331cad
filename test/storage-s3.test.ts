// The S3 store against the shared storage contract on s3rver (started here on 127.0.0.1), plus S3-only
// behaviour: bad credentials and a missing bucket at init, an unreachable or vanishing server, temp-key cleanup.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { AppError } from '../src/errors.ts';
import { createBlobStore } from '../src/storage/create-store.ts';
import { S3BlobStore, type S3StoreOptions } from '../src/storage/s3-store.ts';
import { startS3Server, type S3TestServer } from './helpers/s3-server.ts';
import { blobStoreContract, content } from './storage-contract.ts';

const MiB = 1 << 20;
let srv: S3TestServer;
let tmpRoot: string;
before(async () => {
  srv = await startS3Server();
  tmpRoot = await mkdtemp(join(tmpdir(), 'vitrine-s3-test-'));
});
after(async () => {
  await srv?.cleanup();
  await rm(tmpRoot, { recursive: true, force: true });
});

function options(over: Partial<S3StoreOptions> = {}, server = srv): S3StoreOptions {
  return {
    bucket: server.bucket,
    prefix: `t-${randomBytes(4).toString('hex')}`,
    tmpDir: join(tmpRoot, randomBytes(4).toString('hex')),
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    partSize: 5 * MiB, // the S3 minimum, so the contract's 6-12 MiB contents take the multipart path
    listPageSize: 3, // so the contract's list test pages
    ...over,
  };
}

async function keysUnder(store: S3BlobStore, prefix: string): Promise<string[]> {
  const r = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!);
}

async function makeS3() {
  const store = new S3BlobStore(options());
  await store.init();
  return {
    store,
    corrupt: async (sha: string) => {
      await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: store.keyOf(sha), Body: 'not the original content' }));
    },
    cleanup: async () => {
      const keys = await keysUnder(store, store.base);
      const temps = keys.filter((k) => k.startsWith(`${store.base}tmp/`));
      if (keys.length) await store.client.send(new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
      await store.close();
      assert.deepEqual(temps, [], 'every put, failed or not, removes its temp key');
    },
  };
}

// 256 MiB by default, not 1 GiB: s3rver writes each byte about four times (parts, their assembly, the copy to
// the final name), and 1 GiB took 44 s here, which with the rest would break this file's 60 s budget (RSS
// growth for 1 GiB was 114 MiB). VITRINE_TEST_REMOTE_BIG_MIB=1024 runs the full size.
blobStoreContract('s3 (s3rver)', makeS3, {
  bigBytes: process.env.VITRINE_TEST_QUICK === '1' ? 0 : Number(process.env.VITRINE_TEST_REMOTE_BIG_MIB ?? 256) * MiB,
  checksFileSource: true,
});

test('s3: s3rver has no conditional writes; init detects it and falls back to HEAD-then-write', async () => {
  const store = new S3BlobStore(options());
  await store.init();
  assert.equal(store.conditional, false);
  assert.deepEqual(await keysUnder(store, store.base), [], 'the probe key is removed');
  await store.close();
});

test('s3: wrong access key is E_STORAGE_AUTH at init, not at the first file', async () => {
  const store = new S3BlobStore(options({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } }));
  await assert.rejects(store.init(), (e: unknown) => {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'E_STORAGE_AUTH');
    assert.match(e.message, /AWS_ACCESS_KEY_ID/);
    return true;
  });
  await store.close();
});

test('s3: a missing bucket is a configuration error at init', async () => {
  const store = new S3BlobStore(options({ bucket: 'no-such-bucket' }));
  await assert.rejects(store.init(), (e: unknown) => e instanceof AppError && e.code === 'E_STORAGE_CONFIG' && e.kind === 'usage');
  await store.close();
});

test('s3: an unreachable endpoint is a transient E_STORAGE_UNAVAILABLE saying what to check', async () => {
  const port = await freePort();
  const store = new S3BlobStore(options({ endpoint: `http://127.0.0.1:${port}` }));
  await assert.rejects(store.init(), (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, 'E_STORAGE_UNAVAILABLE');
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /VITRINE_S3_ENDPOINT/);
    return true;
  });
  await store.close();
});

test('s3: server killed in the middle of a put → transient error, no object; the retry after restart stores it', { timeout: 60_000 }, async () => {
  const own = await startS3Server();
  const store = new S3BlobStore(options({}, own));
  try {
    await store.init();
    const total = 40 * MiB;
    let sent = 0;
    const slow = new Readable({
      read() {
        if (sent >= total) return void this.push(null);
        sent += MiB;
        if (sent === 12 * MiB) void own.stop(); // after two parts went up
        setTimeout(() => this.push(content(MiB, sent)), 5);
      },
    });
    await assert.rejects(store.put(slow), (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.code, 'E_STORAGE_UNAVAILABLE');
      assert.equal(e.kind, 'transient');
      return true;
    });
    const again = await startS3Server({ port: own.port, dir: own.dir, bucket: own.bucket });
    try {
      const objects = [];
      for await (const b of store.list()) objects.push(b);
      assert.deepEqual(objects, [], 'no blob from the interrupted put');
      assert.deepEqual(await keysUnder(store, `${store.base}tmp/`), [], 'no temp object either (the multipart upload never completed)');
      const b = content(7 * MiB, 99);
      const r = await store.put(Readable.from([b]));
      assert.equal(r.created, true);
      assert.equal((await store.stat(r.sha256))?.size, b.length);
    } finally {
      await again.cleanup();
    }
  } finally {
    await store.close();
    await own.cleanup();
  }
});

/** The names of the S3 commands the store sends, in order. */
function recordCommands(store: S3BlobStore): string[] {
  const sent: string[] = [];
  store.client.middlewareStack.add((next, ctx) => (args) => {
    sent.push(ctx.commandName as string);
    return next(args);
  }, { step: 'initialize', name: 'recordCommands' });
  return sent;
}

test('s3: a local file larger than one part goes straight to its final key (no copy); stored again, nothing is uploaded', async () => {
  const store = new S3BlobStore(options());
  await store.init();
  const sent = recordCommands(store);
  const path = join(tmpRoot, `file-${randomBytes(4).toString('hex')}`);
  const b = content(11 * MiB, 77);
  await writeFile(path, b);
  try {
    const r = await store.put(createReadStream(path), { file: path });
    assert.equal(r.created, true);
    assert.deepEqual(sent, ['HeadObjectCommand', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand',
      'UploadPartCommand', 'CompleteMultipartUploadCommand'], 'one multipart upload to the final key, no temp key and no copy');
    sent.length = 0;
    assert.equal((await store.put(createReadStream(path), { file: path })).created, false);
    assert.deepEqual(sent, ['HeadObjectCommand'], 'content already stored: nothing uploaded');
    assert.deepEqual(await keysUnder(store, store.base), [store.keyOf(r.sha256)]);
  } finally {
    await rm(path, { force: true });
    await store.close();
  }
});

test('s3 without conditional writes: the caller\'s database replaces the HEAD before a small PUT', async () => {
  const store = new S3BlobStore(options());
  await store.init();
  const sent = recordCommands(store);
  try {
    const b = content(64 * 1024, 78);
    const r = await store.put(Readable.from([b]), { known: async () => false });
    assert.equal(r.created, true);
    assert.deepEqual(sent, ['PutObjectCommand'], 'one request, as a plain client would send');
    sent.length = 0;
    assert.equal((await store.put(Readable.from([b]), { known: async () => true })).created, false);
    assert.deepEqual(sent, [], 'known content: nothing sent at all');
    sent.length = 0;
    assert.equal((await store.put(Readable.from([b]))).created, false);
    assert.deepEqual(sent, ['HeadObjectCommand'], 'no hint: the server is asked');
  } finally {
    await store.close();
  }
});

test('s3: cleanupTemp removes temp keys left by a crash, and only old ones', async () => {
  const store = new S3BlobStore(options());
  await store.init();
  const Key = `${store.base}tmp/put-crashed`;
  await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key, Body: 'half' }));
  assert.equal(await store.cleanupTemp(3600_000), 0, 'a fresh temp key may belong to a running upload');
  await new Promise((r) => setTimeout(r, 1100)); // S3 timestamps have one-second resolution
  assert.equal(await store.cleanupTemp(500), 1);
  assert.deepEqual(await keysUnder(store, `${store.base}tmp/`), []);
  await store.close();
});

test('s3: createBlobStore picks S3 from VITRINE_BLOBS and the standard AWS variables', async () => {
  const dataDir = await mkdtemp(join(tmpRoot, 'data-'));
  const env = {
    VITRINE_BLOBS: `s3://${srv.bucket}/via-env/`,
    VITRINE_S3_ENDPOINT: srv.endpoint,
    VITRINE_S3_FORCE_PATH_STYLE: '1',
    AWS_ACCESS_KEY_ID: srv.accessKeyId,
    AWS_SECRET_ACCESS_KEY: srv.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  const store = await createBlobStore({ blobs: env.VITRINE_BLOBS, dataDir, tmpDir: join(dataDir, 'tmp'), env });
  assert.equal(store.kind, 's3');
  const r = await store.put(Readable.from([Buffer.from('hello')]));
  assert.equal((store as S3BlobStore).keyOf(r.sha256), `via-env/sha256/2c/f2/${r.sha256}`);
  await store.delete(r.sha256);
  await store.close();
  await assert.rejects(
    createBlobStore({ blobs: env.VITRINE_BLOBS, dataDir, tmpDir: join(dataDir, 'tmp'), env: { ...env, AWS_ACCESS_KEY_ID: 'WRONG' } }),
    (e: unknown) => e instanceof AppError && e.code === 'E_STORAGE_AUTH',
  );
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
