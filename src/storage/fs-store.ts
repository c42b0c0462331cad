// Filesystem content-addressed store: DATA/blobs/sha256/ab/cd/<sha256>. Writes stream into DATA/tmp
// (same filesystem) while hashing, fsync, then rename to the final name and fsync the directory, so a
// blob under its final name always has the content its name says (cacache/restic style).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.ts';
import { processAlive } from '../util/process-alive.ts';
import { verifyByHash } from './stream-util.ts';
import { SHA256_RE, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, type PutResult, type VerifyResult } from './blob-store.ts';

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  readonly root: string;
  readonly tmp: string;

  constructor(root: string, tmp: string) {
    this.root = root;
    this.tmp = tmp;
  }

  /** Create directories and remove temp files left by a crash. */
  async init(): Promise<void> {
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    await cleanTmp(this.tmp);
  }

  pathOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new AppError('E_BAD_HASH', `not a sha256: ${sha256.slice(0, 80)}`, 'usage');
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(data: Readable, opts: PutOptions = {}): Promise<PutResult> {
    if (opts.adopt && typeof opts.file === 'string') return this.adopt(data, opts.file, opts);
    const tmpPath = join(this.tmp, `put-${process.pid}-${randomBytes(8).toString('hex')}`);
    const m = meter(opts.maxBytes);
    const fh = await open(tmpPath, 'wx', 0o600);
    try {
      await pipeline(data, m.transform, createWriteStream('', { fd: fh.fd, autoClose: false, highWaterMark: 1 << 20 }));
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(tmpPath).catch(() => {});
      throw e;
    }
    await fh.close();
    return this.place(tmpPath, m.digest(), m.size(), opts);
  }

  /**
   * A file the caller gives up (a finished upload under DATA): hashed from `data`, then fsynced and renamed
   * into place — one write of the content instead of two. Another filesystem (EXDEV): copied as usual.
   */
  private async adopt(data: Readable, file: string, opts: PutOptions): Promise<PutResult> {
    const m = meter(opts.maxBytes);
    await pipeline(data, m.transform, new Writable({ write: (_c, _e, cb) => cb() }));
    const size = m.size();
    const fh = await open(file, 'r+');
    try {
      // `data` was a read stream of this file; a different length means it was not (or it changed).
      if ((await fh.stat()).size !== size) throw new AppError('E_SOURCE_CHANGED', `${file} is not the content that was streamed; nothing stored`, 'failure');
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      return await this.place(file, m.digest(), size, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      return this.put(createReadStream(file, { highWaterMark: 1 << 20 }), { ...opts, adopt: false });
    }
  }

  /** Renames a complete, fsynced file to its content's name (or drops it when that content is stored). */
  private async place(tmpPath: string, sha256: string, size: number, opts: PutOptions): Promise<PutResult> {
    if (opts.expectedSha256 && opts.expectedSha256 !== sha256) {
      if (!opts.adopt) await unlink(tmpPath).catch(() => {});
      throw new AppError('E_HASH_MISMATCH', `content hash ${sha256} differs from the expected ${opts.expectedSha256}`, 'failure', { httpStatus: 422 });
    }
    const final = this.pathOf(sha256);
    const existing = await stat(final).catch(() => null);
    if (existing && existing.size === size) {
      if (!opts.adopt) await unlink(tmpPath).catch(() => {});
      return { sha256, size, created: false };
    }
    const dir = join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4));
    await mkdir(dir, { recursive: true });
    await rename(tmpPath, final);
    await fsyncDir(dir);
    return { sha256, size, created: !existing };
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const p = this.pathOf(sha256);
    const st = await stat(p).catch(() => null);
    if (!st) throw new AppError('E_BLOB_MISSING', `blob ${sha256} is not in the store; run "vitrine fsck"`, 'not_found');
    if (range) {
      // No byte of an empty blob exists, so every range on it is unsatisfiable (HTTP 416), as on S3/Azure.
      if (!Number.isSafeInteger(range.start) || range.start < 0 || range.start >= st.size ||
        (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)))
        throw new AppError('E_RANGE', `range ${range.start}-${range.end ?? ''} is outside 0-${st.size - 1}`, 'usage', { httpStatus: 416 });
      return createReadStream(p, { start: range.start, end: Math.min(range.end ?? st.size - 1, st.size - 1) });
    }
    return createReadStream(p, { highWaterMark: 1 << 20 });
  }

  async stat(sha256: string): Promise<BlobInfo | null> {
    const st = await stat(this.pathOf(sha256)).catch(() => null);
    return st ? { sha256, size: st.size } : null;
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, 'sha256');
    for (const a of (await readdir(base).catch(() => [])).sort()) {
      for (const b of (await readdir(join(base, a)).catch(() => [])).sort()) {
        for (const name of (await readdir(join(base, a, b)).catch(() => [])).sort()) {
          if (!SHA256_RE.test(name)) continue;
          const st = await stat(join(base, a, b, name)).catch(() => null);
          if (st?.isFile()) yield { sha256: name, size: st.size };
        }
      }
    }
  }

  async verify(sha256: string): Promise<VerifyResult> {
    return verifyByHash(sha256, () => this.get(sha256));
  }


  async localPath(sha256: string): Promise<{ path: string; release: () => Promise<void> }> {
    const p = this.pathOf(sha256);
    if (!(await stat(p).catch(() => null)))
      throw new AppError('E_BLOB_MISSING', `blob ${sha256} is not in the store; run "vitrine fsck"`, 'not_found');
    return { path: p, release: async () => {} };
  }

  async close(): Promise<void> {}
}

/**
 * Removes what crashed processes left in DATA/tmp. Names carry the writer's pid ("put-<pid>-…",
 * "run-<pid>-…"): entries of live processes stay (several processes may share a data directory),
 * entries of dead ones, and anything older than a day, go.
 */
export async function cleanTmp(tmp: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    const st = await stat(join(tmp, name)).catch(() => null);
    if (!st) continue;
    const alive = pid > 0 && pid !== process.pid && processAlive(pid);
    if (alive && st.mtimeMs > dayAgo) continue;
    await rm(join(tmp, name), { recursive: true, force: true }).catch(() => {});
  }
}


/** Counts and hashes what streams through; past maxBytes it fails with E_TOO_LARGE. */
function meter(maxBytes: number | undefined) {
  const hash = createHash('sha256');
  let size = 0;
  const max = maxBytes ?? Infinity;
  const transform = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > max) return cb(new AppError('E_TOO_LARGE', `content exceeds the limit of ${max} bytes`, 'failure', { httpStatus: 413 }));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { transform, size: () => size, digest: () => hash.digest('hex') };
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
