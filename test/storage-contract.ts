// The storage contract: every BlobStore backend (fs, S3, Azure) must pass these tests unchanged.
// A backend's test file calls blobStoreContract() with a factory that returns a fresh, empty store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { AppError } from '../src/errors.ts';
import type { BlobStore } from '../src/storage/blob-store.ts';

export interface ContractStore {
  store: BlobStore;
  cleanup(): Promise<void>;
  /** Overwrite the stored bytes of a blob behind the store's back (for verify). */
  corrupt?(sha256: string): Promise<void>;
}

export interface ContractOptions {
  /** Size of the bounded-memory streaming put; 0 skips it. Default 1 GiB, or skipped when VITRINE_TEST_QUICK=1. */
  bigBytes?: number;
  /**
   * The store reads a PutOptions.file itself before uploading (remote stores), so a stream that differs from
   * the file must be refused with E_SOURCE_CHANGED; the fs store ignores `file` and stores what it streamed.
   */
  checksFileSource: boolean;
}

const MiB = 1 << 20;
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Deterministic pseudo-random bytes (xorshift), different for each seed. */
export function content(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  for (let i = size - (size % 4); i < size; i++) b[i] = i & 0xff;
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Feed a buffer as several chunks, like a file or socket would. */
const streamOf = (b: Buffer, chunk = 256 * 1024) =>
  Readable.from((function* () { for (let i = 0; i < b.length; i += chunk) yield b.subarray(i, i + chunk); })());

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

async function listAll(store: BlobStore) {
  const out: { sha256: string; size: number }[] = [];
  for await (const b of store.list()) out.push(b);
  return out;
}

/** A stream that yields `okBytes` and then fails, as a dropped upload connection would. */
function failingStream(okBytes: number, seed: number): Readable {
  const data = content(okBytes, seed);
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        for (let i = 0; i < data.length; i += MiB) this.push(data.subarray(i, i + MiB));
        return;
      }
      setImmediate(() => this.destroy(new Error('source failed midway')));
    },
  });
}

function isCode(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError ${code}, got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code);
    return true;
  };
}

async function assertEmpty(store: BlobStore, why: string) {
  assert.deepEqual(await listAll(store), [], `nothing may be visible after ${why}`);
}

export function blobStoreContract(
  name: string,
  make: () => Promise<ContractStore>,
  opts: ContractOptions,
): void {
  const bigBytes = opts.bigBytes ?? (process.env.VITRINE_TEST_QUICK === '1' ? 0 : 1024 * MiB);

  const withStore = (title: string, fn: (s: ContractStore) => Promise<void>, timeout = 60_000) =>
    test(title, { timeout }, async () => {
      const s = await make();
      try {
        await fn(s);
      } catch (e) {
        await s.cleanup().catch(() => {}); // the test's own failure is the one to report
        throw e;
      }
      await s.cleanup();
    });

  /** Run fn with a scratch directory for local source files. */
  const withFiles = (title: string, fn: (s: ContractStore, dir: string) => Promise<void>) =>
    withStore(title, async (s) => {
      const dir = await mkdtemp(join(tmpdir(), 'vitrine-contract-files-'));
      try {
        await fn(s, dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  const putFile = (store: BlobStore, path: string, o: { expectedSha256?: string; maxBytes?: number } = {}) =>
    store.put(createReadStream(path, { highWaterMark: MiB }), { ...o, file: path });

  describe(`BlobStore contract: ${name}`, () => {
    withStore('a `known` hint (the caller\'s database) never changes what is stored', async ({ store }) => {
      const b = content(3000, 91);
      const fresh = await store.put(streamOf(b), { known: async () => false });
      assert.deepEqual(fresh, { sha256: sha(b), size: b.length, created: true });
      const again = await store.put(streamOf(b), { known: async () => true });
      assert.deepEqual([again.sha256, again.size, again.created], [sha(b), b.length, false]);
      // The database forgot it, the store did not: written again at most, identical, still one blob.
      const forgot = await store.put(streamOf(b), { known: async () => false });
      assert.deepEqual([forgot.sha256, forgot.size], [sha(b), b.length]);
      assert.ok((await readAll(await store.get(fresh.sha256))).equals(b));
      const listed: string[] = [];
      for await (const x of store.list()) listed.push(x.sha256);
      assert.deepEqual(listed.filter((x) => x === fresh.sha256), [fresh.sha256]);
    });

    withStore('put/get round trip with correct sha256 and size (one part and many parts)', async ({ store }) => {
      for (const [size, seed] of [[1000, 1], [12 * MiB + 7, 2]] as const) {
        const b = content(size, seed);
        const r = await store.put(streamOf(b));
        assert.deepEqual(r, { sha256: sha(b), size, created: true });
        assert.ok((await readAll(await store.get(r.sha256))).equals(b), 'content read back differs');
        assert.deepEqual(await store.stat(r.sha256), { sha256: r.sha256, size });
      }
    });

    withStore('identical content is stored once (created false the second time)', async ({ store }) => {
      const b = content(300_000, 3);
      const first = await store.put(streamOf(b));
      const second = await store.put(streamOf(b, 4096));
      assert.equal(first.created, true);
      assert.deepEqual(second, { sha256: first.sha256, size: b.length, created: false });
      assert.deepEqual(await listAll(store), [{ sha256: first.sha256, size: b.length }]);
    });

    withStore('empty content', async ({ store }) => {
      const r = await store.put(Readable.from([]));
      assert.deepEqual(r, { sha256: EMPTY_SHA, size: 0, created: true });
      assert.equal((await readAll(await store.get(EMPTY_SHA))).length, 0);
      assert.deepEqual(await store.stat(EMPTY_SHA), { sha256: EMPTY_SHA, size: 0 });
      assert.deepEqual(await store.verify(EMPTY_SHA), { sha256: EMPTY_SHA, ok: true });
      await assert.rejects(store.get(EMPTY_SHA, { start: 0 }), isCode('E_RANGE'), 'no byte of an empty blob exists');
    });

    withStore('range reads', async ({ store }) => {
      const b = content(100_000, 4);
      const { sha256 } = await store.put(streamOf(b));
      const range = async (start: number, end?: number) => readAll(await store.get(sha256, { start, end }));
      assert.ok((await range(99_000)).equals(b.subarray(99_000)), 'start only');
      assert.ok((await range(10, 19)).equals(b.subarray(10, 20)), 'start-end, end inclusive');
      assert.ok((await range(0, 0)).equals(b.subarray(0, 1)), 'first byte');
      assert.ok((await range(99_999, 99_999)).equals(b.subarray(99_999)), 'last byte');
      assert.ok((await range(99_990, 200_000)).equals(b.subarray(99_990)), 'end past the blob is cut at its end');
      await assert.rejects(store.get(sha256, { start: 100_000 }), isCode('E_RANGE'));
      await assert.rejects(store.get(sha256, { start: 200_000, end: 200_010 }), isCode('E_RANGE'));
      await assert.rejects(store.get(sha256, { start: 20, end: 10 }), isCode('E_RANGE'));
      await assert.rejects(store.get(sha256, { start: -1 }), isCode('E_RANGE'));
    });

    withStore('stat, exists and delete', async ({ store }) => {
      const b = content(5000, 5);
      const absent = sha(content(5000, 6));
      assert.equal(await store.stat(absent), null);
      assert.equal(await store.exists(absent), false);
      assert.equal(await store.delete(absent), false, 'delete of an absent blob returns false');
      await assert.rejects(store.get(absent), isCode('E_BLOB_MISSING'));
      const { sha256 } = await store.put(streamOf(b));
      assert.equal(await store.exists(sha256), true);
      assert.equal(await store.delete(sha256), true);
      assert.equal(await store.exists(sha256), false);
      assert.equal(await store.delete(sha256), false);
      await assert.rejects(store.get(sha256), isCode('E_BLOB_MISSING'));
      await assert.rejects(store.stat('../../etc/passwd'), isCode('E_BAD_HASH'));
    });

    withStore('list yields every blob exactly once', async ({ store }) => {
      const expected = new Map<string, number>();
      for (let i = 0; i < 7; i++) {
        const b = content(1000 + i * 100, 100 + i);
        const r = await store.put(streamOf(b));
        expected.set(r.sha256, b.length);
      }
      await store.put(streamOf(content(1000, 100))); // a duplicate must not be listed twice
      const listed = await listAll(store);
      assert.equal(listed.length, expected.size, 'each blob once');
      assert.deepEqual(new Map(listed.map((x) => [x.sha256, x.size])), expected);
    });

    withStore('verify: ok, and a corrupted blob is detected', async (s) => {
      const b = content(70_000, 7);
      const { sha256 } = await s.store.put(streamOf(b));
      assert.deepEqual(await s.store.verify(sha256), { sha256, ok: true });
      assert.ok(s.corrupt, 'the backend factory must provide corrupt()');
      await s.corrupt(sha256);
      const v = await s.store.verify(sha256);
      assert.equal(v.ok, false);
      assert.match(v.actual ?? '', /^[0-9a-f]{64}$/);
      assert.notEqual(v.actual, sha256);
      const gone = await s.store.verify(sha(content(10, 8)));
      assert.equal(gone.ok, false);
      assert.ok(gone.error, 'a missing blob fails verify with a reason');
    });

    withStore('expectedSha256 mismatch rejects and leaves nothing visible', async ({ store }) => {
      for (const size of [2000, 7 * MiB]) {
        const b = content(size, 9);
        await assert.rejects(store.put(streamOf(b), { expectedSha256: sha(content(10, 10)) }), isCode('E_HASH_MISMATCH'));
        assert.equal(await store.exists(sha(b)), false);
        await assertEmpty(store, `a ${size}-byte hash mismatch`);
      }
      const ok = content(2000, 11);
      assert.equal((await store.put(streamOf(ok), { expectedSha256: sha(ok) })).sha256, sha(ok));
    });

    withStore('maxBytes exceeded rejects and leaves nothing visible', async ({ store }) => {
      for (const [size, max] of [[5000, 4999], [9 * MiB, 6 * MiB]] as const) {
        const b = content(size, 12);
        await assert.rejects(store.put(streamOf(b), { maxBytes: max }), isCode('E_TOO_LARGE'));
        assert.equal(await store.exists(sha(b)), false);
        await assertEmpty(store, 'exceeding maxBytes');
      }
      const exact = content(5000, 13);
      assert.equal((await store.put(streamOf(exact), { maxBytes: 5000 })).size, 5000, 'exactly maxBytes is allowed');
    });

    withStore('a source stream that fails midway leaves no visible blob', async ({ store }) => {
      for (const okBytes of [1000, 7 * MiB]) {
        await assert.rejects(store.put(failingStream(okBytes, 14)), /source failed midway/);
        await assertEmpty(store, 'a failed source stream');
      }
    });

    withStore('10 concurrent puts of the same content all succeed with one blob', async ({ store }) => {
      for (const size of [200_000, 6 * MiB]) {
        const b = content(size, 15 + size);
        const results = await Promise.all(Array.from({ length: 10 }, () => store.put(streamOf(b))));
        for (const r of results) assert.deepEqual({ sha256: r.sha256, size: r.size }, { sha256: sha(b), size });
        assert.ok(results.some((r) => r.created), 'at least one put created the blob');
        assert.ok((await readAll(await store.get(sha(b)))).equals(b));
      }
      assert.equal((await listAll(store)).length, 2);
    });

    withFiles('put of a local file (file option): round trip, and created false the second time', async ({ store }, dir) => {
      for (const [size, seed] of [[1000, 40], [12 * MiB + 7, 41]] as const) {
        const b = content(size, seed);
        const path = join(dir, `f-${seed}`);
        await writeFile(path, b);
        assert.deepEqual(await putFile(store, path), { sha256: sha(b), size, created: true });
        assert.ok((await readAll(await store.get(sha(b)))).equals(b), 'content read back differs');
        assert.deepEqual(await putFile(store, path), { sha256: sha(b), size, created: false });
      }
      assert.equal((await listAll(store)).length, 2);
    });

    withFiles('a local file whose stream differs from the file: refused (E_SOURCE_CHANGED) or stored under the streamed hash', async ({ store }, dir) => {
      // The file as hashed first vs what the stream then delivers: as when the file is rewritten mid-put.
      const path = join(dir, 'changing');
      await writeFile(path, content(12 * MiB, 42));
      const streamed = content(12 * MiB, 43);
      const put = store.put(streamOf(streamed, MiB), { file: path });
      if (opts.checksFileSource) {
        await assert.rejects(put, isCode('E_SOURCE_CHANGED'));
        await assertEmpty(store, 'a changed source file');
      } else {
        assert.deepEqual(await put, { sha256: sha(streamed), size: streamed.length, created: true });
        assert.ok((await readAll(await store.get(sha(streamed)))).equals(streamed));
      }
    });

    withFiles('a local file over maxBytes or with another hash than expected: rejected, nothing visible', async ({ store }, dir) => {
      const b = content(9 * MiB, 44);
      const path = join(dir, 'big');
      await writeFile(path, b);
      await assert.rejects(putFile(store, path, { maxBytes: 6 * MiB }), isCode('E_TOO_LARGE'));
      await assert.rejects(putFile(store, path, { expectedSha256: sha(content(10, 45)) }), isCode('E_HASH_MISMATCH'));
      await assertEmpty(store, 'rejected local files');
      assert.equal((await putFile(store, path, { expectedSha256: sha(b), maxBytes: b.length })).sha256, sha(b));
    });

    withFiles('10 concurrent puts of the same local file all succeed with one blob', async ({ store }, dir) => {
      const b = content(6 * MiB + 3, 46);
      const path = join(dir, 'same');
      await writeFile(path, b);
      const results = await Promise.all(Array.from({ length: 10 }, () => putFile(store, path)));
      for (const r of results) assert.deepEqual({ sha256: r.sha256, size: r.size }, { sha256: sha(b), size: b.length });
      assert.ok(results.some((r) => r.created), 'at least one put created the blob');
      assert.ok((await readAll(await store.get(sha(b)))).equals(b));
      assert.deepEqual(await listAll(store), [{ sha256: sha(b), size: b.length }]);
      assert.deepEqual(await store.verify(sha(b)), { sha256: sha(b), ok: true });
    });

    withStore('localPath gives a readable file with the content; release keeps the blob', async ({ store }) => {
      const b = content(123_456, 16);
      const { sha256 } = await store.put(streamOf(b));
      const lp = await store.localPath(sha256);
      assert.ok((await readFile(lp.path)).equals(b));
      await lp.release();
      assert.equal(await store.exists(sha256), true);
      await assert.rejects(store.localPath(sha(content(10, 17))), isCode('E_BLOB_MISSING'));
    });

    const bigTitle = `streaming put of ${bigBytes / MiB} MiB with bounded memory (RSS growth < 200 MB)`;
    if (!bigBytes) test.skip(`${bigTitle} (VITRINE_TEST_QUICK=1)`);
    else
      withStore(bigTitle, async ({ store }) => {
        const hash = createHash('sha256');
        const template = content(MiB, 18);
        let sent = 0;
        // Generated on the fly: the whole content never exists in memory at once.
        const source = new Readable({
          highWaterMark: MiB,
          read() {
            if (sent >= bigBytes) return void this.push(null);
            const chunk = Buffer.allocUnsafe(MiB);
            template.copy(chunk);
            chunk.writeUInt32LE(sent / MiB, 0);
            hash.update(chunk);
            sent += MiB;
            this.push(chunk);
          },
        });
        (globalThis as { gc?: () => void }).gc?.();
        const base = process.memoryUsage.rss();
        let peak = base;
        const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
        try {
          const r = await store.put(source);
          peak = Math.max(peak, process.memoryUsage.rss());
          assert.deepEqual(r, { sha256: hash.digest('hex'), size: bigBytes, created: true });
        } finally {
          clearInterval(timer);
        }
        const growth = (peak - base) / MiB;
        console.log(`# ${name}: ${bigBytes / MiB} MiB put, RSS growth ${growth.toFixed(0)} MiB`);
        assert.ok(growth < 200, `RSS grew by ${growth.toFixed(0)} MiB during the put`);
        const head = await readAll(await store.get((await listAll(store))[0]!.sha256, { start: 0, end: MiB - 1 }));
        assert.equal(head.readUInt32LE(0), 0);
        assert.ok(head.subarray(4).equals(template.subarray(4)));
      }, 300_000);
  });
}
