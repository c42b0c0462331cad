// Helpers shared by the remote stores (S3, Azure): hash and count a stream while it passes through, and read
// its first part to decide between a one-request upload and a streamed multipart/block upload.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { VerifyResult } from './blob-store.ts';
import { Readable } from 'node:stream';
import { AppError } from '../errors.ts';

export interface Metered {
  chunks: AsyncGenerator<Buffer>;
  /** Hex sha256 of everything read; call once, after the end. */
  digest(): string;
  size(): number;
  /** The error of the source stream or of the size limit, if that is what stopped the stream. */
  failed(): Error | undefined;
}

export function meter(data: Readable, maxBytes = Infinity): Metered {
  const hash = createHash('sha256');
  let size = 0;
  let failure: Error | undefined;
  async function* gen(): AsyncGenerator<Buffer> {
    try {
      for await (const c of data) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(maxBytes);
        hash.update(chunk);
        yield chunk;
      }
    } catch (e) {
      failure = e as Error;
      throw e;
    }
  }
  return { chunks: gen(), digest: () => hash.digest('hex'), size: () => size, failed: () => failure };
}

export interface Head {
  /** true: the stream ended within the limit and `chunks` is all of it. */
  done: boolean;
  chunks: Buffer[];
  /** The head chunks followed by the rest of the stream. */
  rest(): AsyncGenerator<Buffer>;
}

/** Read until more than `limit` bytes arrived or the stream ended. */
export async function readUpTo(it: AsyncIterator<Buffer>, limit: number): Promise<Head> {
  const chunks: Buffer[] = [];
  let n = 0;
  let done = false;
  while (n <= limit) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    n += r.value.length;
  }
  return {
    done,
    chunks,
    async *rest() {
      yield* chunks;
      chunks.length = 0; // let the head be collected while the rest streams
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
}

/** Size of the file `data` streams (PutOptions.file); if it cannot be read, `data` is closed too. */
export async function fileSize(path: string | Buffer, data: Readable): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    data.destroy();
    throw e;
  }
}

/** sha256 and size of a local file, read once (for a file just written or about to be read, from the page cache). */
export async function hashFile(path: string | Buffer, maxBytes = Infinity): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
    size += (c as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    hash.update(c as Buffer);
  }
  return { sha256: hash.digest('hex'), size };
}

/** The stream read from a file did not match what the file held when it was hashed a moment earlier. */
export function sourceChanged(path: string | Buffer, hashed: { sha256: string; size: number }, read: { sha256: string; size: number }): AppError {
  return new AppError(
    'E_SOURCE_CHANGED',
    `${String(path)} changed while it was being stored (${hashed.size} bytes with sha256 ${hashed.sha256} when hashed, ` +
      `${read.size} bytes with sha256 ${read.sha256} when uploaded); nothing was stored — ingest it again once nothing writes to it`,
    'failure',
  );
}

/**
 * Cut a stream into parts of exactly partSize bytes (the last one shorter; none for an empty stream) and hand each to send() with at most `concurrency` in flight. Returns the number of parts.
 * On any failure it waits for the parts in flight to settle before rethrowing, so an abort that follows
 * is not overtaken by a late part.
 */
export async function uploadInParts(
  chunks: AsyncIterable<Buffer>,
  partSize: number,
  concurrency: number,
  send: (index: number, part: Buffer) => Promise<unknown>,
): Promise<number> {
  const inflight = new Set<Promise<void>>();
  let failure: { e: unknown } | undefined;
  let n = 0;
  const start = (part: Buffer) => {
    const p: Promise<void> = send(n++, part).then(
      () => void inflight.delete(p),
      (e) => { failure ??= { e }; inflight.delete(p); },
    );
    inflight.add(p);
  };
  try {
    let pending: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of chunks) {
      pending.push(chunk);
      bytes += chunk.length;
      while (bytes >= partSize) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        start(all.subarray(0, partSize));
        pending = bytes > partSize ? [all.subarray(partSize)] : [];
        bytes -= partSize;
        while (inflight.size >= concurrency) await Promise.race(inflight);
        if (failure) throw failure.e;
      }
    }
    if (bytes) start(Buffer.concat(pending));
    await Promise.all(inflight);
    if (failure) throw failure.e;
    return n;
  } catch (e) {
    await Promise.allSettled(inflight);
    throw e;
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('E_TOO_LARGE', `content exceeds the limit of ${maxBytes} bytes`, 'failure', { httpStatus: 413 });
}

export function tempName(kind: string): string {
  return `${kind}-${Date.now()}-${process.pid}-${randomBytes(8).toString('hex')}`;
}

/** Bytes [skip, skip + limit) of a stream; stops reading the source once it has them. */
export function sliceStream(src: Readable, skip: number, limit: number): Readable {
  return Readable.from(
    (async function* () {
      let toSkip = skip;
      let left = limit;
      for await (const c of src) {
        let chunk = c as Buffer;
        if (toSkip >= chunk.length) {
          toSkip -= chunk.length;
          continue;
        }
        chunk = chunk.subarray(toSkip, toSkip + left);
        toSkip = 0;
        left -= chunk.length;
        yield chunk;
        if (left <= 0) break;
      }
    })(),
  );
}

/** Re-hash a blob's content and compare it with its name (every backend's verify()). */
export async function verifyByHash(sha256: string, open: () => Promise<Readable>): Promise<VerifyResult> {
  try {
    const hash = createHash('sha256');
    await pipeline(await open(), hash);
    const actual = hash.digest('hex');
    return actual === sha256 ? { sha256, ok: true } : { sha256, ok: false, actual };
  } catch (e) {
    return { sha256, ok: false, error: (e as Error).message };
  }
}

/** A remote blob downloaded to a private temp file, for tools that need a path; release() deletes it. */
export async function downloadToTemp(tmpDir: string, open: () => Promise<Readable>): Promise<{ path: string; release: () => Promise<void> }> {
  const path = join(tmpDir, tempName('blob'));
  try {
    await pipeline(await open(), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    await unlink(path).catch(() => {});
    throw e;
  }
  return { path, release: () => unlink(path).catch(() => {}) };
}
