// Azure Blob store: blobs at <container>/<prefix>/sha256/ab/cd/<sha256>.
// Uncommitted blocks belong to one blob name, and the name (the hash) is known only after the last byte. So
// content larger than one block is staged block by block (hashing as it goes) on <prefix>/tmp/<random>,
// committed there, then copied server-side to its final name with If-None-Match: * and the temp blob
// deleted; content that fits in one block is hashed in memory and uploaded straight to its final name,
// also with If-None-Match: *. An interrupted upload leaves only uncommitted blocks, which no listing shows
// and Azure discards after 7 days. A 409/412 on the final name means the same content is already there.
import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { AppError, TransientError } from '../errors.ts';
import { SHA256_RE, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, type PutResult, type VerifyResult } from './blob-store.ts';
import { checkExpected, checkRange, missing, rangeError } from './s3-store.ts';
import { meter, readUpTo, tempName, uploadInParts, verifyByHash, downloadToTemp } from './stream-util.ts';

export interface AzureStoreOptions {
  connectionString: string;
  container: string;
  /** Name prefix without leading/trailing slash; '' for the container root. */
  prefix?: string;
  /** Local directory for localPath() downloads. */
  tmpDir: string;
  /** Block size; memory per put is about blockSize × (concurrency + 1). Max blob: 50,000 blocks. */
  blockSize?: number;
  concurrency?: number;
  /** Blobs per list page (Azure's default and maximum: 5000). */
  listPageSize?: number;
}

const MiB = 1 << 20;

export class AzureBlobStore implements BlobStore {
  readonly kind = 'azure' as const;
  readonly container: ContainerClient;
  readonly base: string;
  readonly tmpDir: string;
  readonly blockSize: number;
  readonly concurrency: number;
  readonly listPageSize: number;
  readonly where: string;

  constructor(opts: AzureStoreOptions) {
    let service: BlobServiceClient;
    try {
      service = BlobServiceClient.fromConnectionString(opts.connectionString, {
        // the SDK's default (4 tries from 4 s, exponential) makes an unreachable server take a minute to report
        retryOptions: { maxTries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 3_000 },
      });
    } catch (e) {
      throw new AppError('E_CONFIG', `AZURE_STORAGE_CONNECTION_STRING is not valid: ${(e as Error).message}`, 'usage', { cause: e });
    }
    this.container = service.getContainerClient(opts.container);
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.base = prefix ? `${prefix}/` : '';
    this.tmpDir = opts.tmpDir;
    this.blockSize = opts.blockSize ?? 8 * MiB;
    this.concurrency = opts.concurrency ?? 4;
    this.listPageSize = opts.listPageSize ?? 5000;
    this.where = `Azure Blob container "${opts.container}" at ${service.url}`;
  }

  nameOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new AppError('E_BAD_HASH', `not a sha256: ${sha256.slice(0, 80)}`, 'usage');
    return `${this.base}sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }

  /** One cheap authenticated call so a wrong key or container fails at start; remove day-old temp blobs. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    try {
      await this.container.getProperties();
    } catch (e) {
      if (status(e) === 404)
        throw new AppError('E_STORAGE_CONFIG', `${this.where} does not exist; create it or fix VITRINE_BLOBS`, 'usage', { cause: e });
      throw this.fail(e, 'checking the container');
    }
    await this.cleanupTemp(24 * 3600_000);
  }

  /** Delete committed temp blobs older than olderThanMs (left by a crash between commit and copy). */
  async cleanupTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: `${this.base}tmp/` })) {
        if (b.properties.lastModified.getTime() < cutoff) {
          await this.container.deleteBlob(b.name).catch(() => {});
          removed++;
        }
      }
    } catch (e) {
      throw this.fail(e, 'cleaning temp blobs');
    }
    return removed;
  }

  /**
   * PutOptions.file is ignored: hashing a local file first to stage its blocks straight on the final name
   * costs a second hash pass before the first byte goes out, while the temp blob's copy to the final name
   * only shares the stored blocks on azurite and stays inside the service on Azure (tried on azurite: client
   * CPU 955 vs 679 ms per 128 MiB; see docs/STORAGE.md).
   */
  async put(data: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const m = meter(data, opts.maxBytes);
    const head = await readUpTo(m.chunks, this.blockSize);
    if (head.done) {
      const body = Buffer.concat(head.chunks);
      const sha256 = m.digest();
      checkExpected(sha256, opts.expectedSha256);
      const created = await this.ifAbsent(
        () => this.container.getBlockBlobClient(this.nameOf(sha256)).upload(body, body.length, { conditions: { ifNoneMatch: '*' } }),
        'writing',
      );
      return { sha256, size: body.length, created };
    }
    const tmp = this.container.getBlockBlobClient(`${this.base}tmp/${tempName('put')}`);
    const id = (i: number) => Buffer.from(String(i).padStart(8, '0')).toString('base64');
    let count: number;
    try {
      count = await uploadInParts(head.rest(), this.blockSize, this.concurrency, (i, buf) => tmp.stageBlock(id(i), buf, buf.length));
    } catch (e) {
      // the caller's stream error or size limit, else storage trouble; staged blocks stay uncommitted
      throw m.failed() ?? this.fail(e, 'uploading blocks');
    }
    const sha256 = m.digest();
    checkExpected(sha256, opts.expectedSha256);
    try {
      await tmp.commitBlockList(Array.from({ length: count }, (_, i) => id(i))).catch((e) => { throw this.fail(e, 'committing blocks'); });
      const created = await this.ifAbsent(async () => {
        const poller = await this.container
          .getBlockBlobClient(this.nameOf(sha256))
          .beginCopyFromURL(tmp.url, { conditions: { ifNoneMatch: '*' } });
        await poller.pollUntilDone();
      }, 'copying to the final name');
      return { sha256, size: m.size(), created };
    } finally {
      await tmp.deleteIfExists().catch(() => {});
    }
  }

  /** Run a write conditioned on If-None-Match: *; false when the blob was already there. */
  private async ifAbsent(write: () => Promise<unknown>, doing: string): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (status(e) === 409 || status(e) === 412) return false;
      throw this.fail(e, doing);
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const blob = this.container.getBlobClient(this.nameOf(sha256));
    if (range) checkRange(range);
    try {
      const r = range
        ? await blob.download(range.start, range.end === undefined ? undefined : range.end - range.start + 1, { maxRetryRequests: 3 })
        : await blob.download(0, undefined, { maxRetryRequests: 3 });
      const body = r.readableStreamBody as Readable;
      // offset 0 without a count sends no Range header: an empty blob then answers 200 with nothing
      if (range && r.contentLength === 0) {
        body.destroy();
        throw rangeError(range);
      }
      return body;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (status(e) === 404) throw missing(sha256);
      if (status(e) === 416) throw rangeError(range!);
      throw this.fail(e, 'reading');
    }
  }

  async stat(sha256: string): Promise<BlobInfo | null> {
    try {
      const p = await this.container.getBlobClient(this.nameOf(sha256)).getProperties();
      return { sha256, size: p.contentLength ?? 0 };
    } catch (e) {
      if (status(e) === 404) return null;
      throw this.fail(e, 'checking');
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      return (await this.container.getBlobClient(this.nameOf(sha256)).deleteIfExists()).succeeded;
    } catch (e) {
      throw this.fail(e, 'deleting');
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const prefix = `${this.base}sha256/`;
    const pages = this.container.listBlobsFlat({ prefix }).byPage({ maxPageSize: this.listPageSize });
    for (;;) {
      let page;
      try {
        page = await pages.next();
      } catch (e) {
        throw this.fail(e, 'listing');
      }
      if (page.done) return;
      for (const b of page.value.segment.blobItems) {
        const parts = b.name.slice(prefix.length).split('/');
        const sha = parts[2];
        if (parts.length === 3 && sha && SHA256_RE.test(sha) && parts[0] === sha.slice(0, 2) && parts[1] === sha.slice(2, 4))
          yield { sha256: sha, size: b.properties.contentLength ?? 0 };
      }
    }
  }

  async verify(sha256: string): Promise<VerifyResult> {
    return verifyByHash(sha256, () => this.get(sha256));
  }


  async localPath(sha256: string): Promise<{ path: string; release: () => Promise<void> }> {
    return downloadToTemp(this.tmpDir, () => this.get(sha256));
  }


  async close(): Promise<void> {}

  private fail(e: unknown, doing: string): AppError {
    if (e instanceof AppError) return e;
    const code = status(e);
    const msg = ((e as Error)?.message || String(e)).split('\n')[0];
    if (code === 401 || code === 403)
      return new AppError(
        'E_STORAGE_AUTH',
        `${this.where} refused the credentials while ${doing} (${code}: ${msg}); check the AccountKey or SAS in AZURE_STORAGE_CONNECTION_STRING`,
        'failure',
        { cause: e },
      );
    if (code === undefined || code >= 500 || code === 429 || code === 408)
      return new TransientError(
        'E_STORAGE_UNAVAILABLE',
        `${this.where} is unavailable while ${doing} (${msg}); check that the service is running and reachable (BlobEndpoint in AZURE_STORAGE_CONNECTION_STRING, network, TLS)`,
        e,
      );
    return new AppError('E_STORAGE', `Azure Blob error while ${doing} (${code}: ${msg})`, 'failure', { cause: e });
  }
}

function status(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}
