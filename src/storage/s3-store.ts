// S3-compatible blob store (AWS, MinIO, Ceph, s3rver): objects at <prefix>/sha256/ab/cd/<sha256>.
// Content that fits in one part is hashed in memory and PUT straight to its final name. A larger local file
// (PutOptions.file) is hashed first, then sent as a multipart upload straight to its final name, completed
// only if the stream hashed the same again. A larger stream of unknown hash is sent as a multipart upload to
// <prefix>/tmp/<time>-<random>, then server-side copied to its final name and the temp key deleted. Either
// way an object appears under a final name only complete and only with content matching that name.
// Two writers storing the same content: with conditional writes (If-None-Match: *) the second gets 412 and
// reports created=false; servers without them (s3rver) get HEAD-then-write, where the race at worst
// rewrites identical bytes.
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError, TransientError } from '../errors.ts';
import { SHA256_RE, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, type PutResult, type VerifyResult } from './blob-store.ts';
import { fileSize, hashFile, meter, readUpTo, sliceStream, sourceChanged, tempName, uploadInParts, verifyByHash, downloadToTemp } from './stream-util.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix without leading/trailing slash; '' for the bucket root. */
  prefix?: string;
  /** Local directory for localPath() downloads. */
  tmpDir: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  region?: string;
  /** Omitted: the SDK's default chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size (min 5 MiB). Memory per put is about partSize × (queueSize + 1). Max object: 10,000 parts. */
  partSize?: number;
  queueSize?: number;
  /** 'auto' probes the server in init(). */
  conditionalWrites?: boolean | 'auto';
  /** Objects larger than this are copied with UploadPartCopy (CopyObject's limit is 5 GiB). */
  copyPartThreshold?: number;
  /** Keys per ListObjectsV2 page (S3's maximum and default: 1000). */
  listPageSize?: number;
  /** An existing client (tests, benchmarks); endpoint/credentials options are then ignored. */
  client?: S3Client;
}

const MiB = 1 << 20;
const GiB = 1 << 30;

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly base: string;
  readonly tmpDir: string;
  readonly client: S3Client;
  readonly endpoint: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly copyPartThreshold: number;
  readonly listPageSize: number;
  conditional: boolean | 'auto';

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.base = prefix ? `${prefix}/` : '';
    this.tmpDir = opts.tmpDir;
    this.endpoint = opts.endpoint ?? 'AWS S3';
    this.partSize = Math.max(opts.partSize ?? 8 * MiB, 5 * MiB);
    this.queueSize = opts.queueSize ?? 4;
    this.copyPartThreshold = opts.copyPartThreshold ?? 5 * GiB;
    this.conditional = opts.conditionalWrites ?? 'auto';
    this.listPageSize = opts.listPageSize ?? 1000;
    this.client =
      opts.client ??
      new S3Client({
        endpoint: opts.endpoint,
        forcePathStyle: opts.forcePathStyle,
        region: opts.region ?? 'us-east-1',
        credentials: opts.credentials,
        // Newer SDKs add CRC32 trailers (aws-chunked bodies) that many S3-compatible servers store verbatim.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
      });
  }

  keyOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new AppError('E_BAD_HASH', `not a sha256: ${sha256.slice(0, 80)}`, 'usage');
    return `${this.base}sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }

  /**
   * Check bucket and credentials with one cheap authenticated call, so a bad setting fails at start and
   * not at the first file; probe conditional-write support; remove day-old temp keys of crashed uploads.
   */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      if (status(e) === 404)
        throw new AppError('E_STORAGE_CONFIG', `S3 bucket "${this.bucket}" does not exist at ${this.endpoint}; create it or fix VITRINE_BLOBS`, 'usage', { cause: e });
      throw this.fail(e, `checking bucket "${this.bucket}"`);
    }
    if (this.conditional === 'auto') this.conditional = await this.probeConditionalWrites();
    await this.cleanupTemp(24 * 3600_000);
  }

  /** Write a probe key twice with If-None-Match: *; a server that honours it refuses the second write. */
  private async probeConditionalWrites(): Promise<boolean> {
    const Key = `${this.base}tmp/${tempName('probe')}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: 'x', IfNoneMatch: '*' }));
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: 'x', IfNoneMatch: '*' }));
        return false;
      } catch (e) {
        if (status(e) === 412 || status(e) === 409) return true;
        throw e;
      }
    } catch (e) {
      throw this.fail(e, 'probing conditional writes');
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => {});
    }
  }

  /** Delete temp keys and abort multipart uploads older than olderThanMs. Returns how many were removed. */
  async cleanupTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const Prefix = `${this.base}tmp/`;
    let removed = 0;
    try {
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key && o.LastModified && o.LastModified.getTime() < cutoff) {
            await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key }));
            removed++;
          }
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.fail(e, 'cleaning temp keys');
    }
    try {
      // uploads of local files go straight to their final key (sha256/…), the others to tmp/
      const ups = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.base || undefined }));
      const ours = (key: string) => key.startsWith(Prefix) || key.startsWith(`${this.base}sha256/`);
      for (const u of ups.Uploads ?? []) {
        if (u.Key && ours(u.Key) && u.UploadId && u.Initiated && u.Initiated.getTime() < cutoff) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed++;
        }
      }
    } catch (e) {
      // s3rver and some gateways do not implement ListMultipartUploads; a bucket lifecycle rule
      // (AbortIncompleteMultipartUpload) covers those.
      if (status(e) !== 501) throw this.fail(e, 'listing multipart uploads');
    }
    return removed;
  }

  async put(data: Readable, opts: PutOptions = {}): Promise<PutResult> {
    if (opts.file !== undefined && (await fileSize(opts.file, data)) > this.partSize) return this.putFile(data, opts.file, opts);
    const m = meter(data, opts.maxBytes);
    const head = await readUpTo(m.chunks, this.partSize);
    if (head.done) {
      const body = Buffer.concat(head.chunks);
      const sha256 = m.digest();
      checkExpected(sha256, opts.expectedSha256);
      return { sha256, size: body.length, created: await this.putSmall(sha256, body, opts.known) };
    }
    const tmpKey = `${this.base}tmp/${tempName('put')}`;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmpKey, Body: Readable.from(head.rest()) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false, // abort the multipart upload: no parts left behind
    });
    try {
      await upload.done();
    } catch (e) {
      // an error of the source stream (or the size limit) is the caller's; the rest is storage trouble
      throw m.failed() ?? this.fail(e, 'uploading');
    }
    try {
      const sha256 = m.digest();
      checkExpected(sha256, opts.expectedSha256);
      const created = await this.promote(tmpKey, sha256, m.size());
      return { sha256, size: m.size(), created };
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => {});
    }
  }

  /**
   * A local file larger than one part: hash it first, then a multipart upload straight to its final key
   * (parts are invisible until completed), hashing the stream again as it goes; completed only if the
   * stream hashed the same, else aborted (E_SOURCE_CHANGED). Content already stored is not uploaded again.
   */
  private async putFile(data: Readable, file: string | Buffer, opts: PutOptions): Promise<PutResult> {
    let known: { sha256: string; size: number };
    try {
      known = await hashFile(file, opts.maxBytes);
      checkExpected(known.sha256, opts.expectedSha256);
      if ((await this.stat(known.sha256))?.size === known.size) {
        data.destroy();
        return { ...known, created: false };
      }
    } catch (e) {
      data.destroy();
      throw e;
    }
    const Key = this.keyOf(known.sha256);
    let UploadId: string | undefined;
    const m = meter(data, opts.maxBytes);
    try {
      ({ UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key })));
      const parts: { PartNumber: number; ETag?: string }[] = [];
      await uploadInParts(m.chunks, this.partSize, this.queueSize, async (i, Body) => {
        const r = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: i + 1, Body }));
        parts[i] = { PartNumber: i + 1, ETag: r.ETag };
      });
      const read = { sha256: m.digest(), size: m.size() };
      if (read.sha256 !== known.sha256 || read.size !== known.size) throw sourceChanged(file, known, read);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts },
          IfNoneMatch: this.conditional === true ? '*' : undefined,
        }),
      );
      return { ...known, created: true };
    } catch (e) {
      if (!m.failed()) data.destroy(); // the stream may have been left half read
      if (UploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {});
      if (isAlreadyThere(e)) return { ...known, created: false };
      if (m.failed() || e instanceof AppError) throw m.failed() ?? e;
      // As in promote(): a concurrent writer of the same content may have completed first (s3rver can then
      // fail ours with a 500); an object of this size under this content's name is that content.
      if ((await this.stat(known.sha256).catch(() => null))?.size === known.size) return { ...known, created: false };
      throw this.fail(e, 'uploading');
    }
  }

  private async putSmall(sha256: string, body: Buffer, known?: (sha256: string) => Promise<boolean>): Promise<boolean> {
    const Key = this.keyOf(sha256);
    try {
      // Without conditional writes, "already there?" is the caller's database (local) when it can say,
      // else a HEAD (a round trip to the server, as long as the PUT itself for a 1 MiB object here).
      if (this.conditional !== true && (known ? await known(sha256) : (await this.stat(sha256))?.size === body.length)) return false;
      const put = new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, IfNoneMatch: this.conditional === true ? '*' : undefined });
      // The signature's payload hash is the content's sha256, which we have: the SDK need not hash the body a
      // second time, and S3 rejects the request if the bytes it received hash differently (XAmzContentSHA256Mismatch).
      put.middlewareStack.add(
        (next) => (args) => {
          (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = sha256;
          return next(args);
        },
        { step: 'build', name: 'vitrineKnownPayloadHash' },
      );
      await this.client.send(put);
      return true;
    } catch (e) {
      if (isAlreadyThere(e)) return false;
      throw this.fail(e, 'writing');
    }
  }

  /** Copy the complete temp object to its final name (conditionally when the server can). */
  private async promote(tmpKey: string, sha256: string, size: number): Promise<boolean> {
    const Key = this.keyOf(sha256);
    try {
      if (this.conditional !== true && (await this.stat(sha256))?.size === size) return false;
      const IfNoneMatch = this.conditional === true ? '*' : undefined;
      if (size > this.copyPartThreshold) {
        await this.copyInParts(tmpKey, Key, size, IfNoneMatch);
      } else {
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource: this.copySource(tmpKey), IfNoneMatch }),
        );
      }
      return true;
    } catch (e) {
      if (isAlreadyThere(e)) return false;
      // A concurrent writer of the same content may have won (s3rver even fails concurrent copies to one
      // key with a 500): an object of the same size under this content's name is that content.
      if ((await this.stat(sha256).catch(() => null))?.size === size) return false;
      throw this.fail(e, 'copying to the final name');
    }
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /**
   * CopyObject stops at 5 GiB; larger objects are copied range by range with UploadPartCopy into a multipart
   * upload of the final key, completed conditionally. (s3rver lacks UploadPartCopy: this path was not run here.)
   */
  private async copyInParts(tmpKey: string, Key: string, size: number, IfNoneMatch: string | undefined): Promise<void> {
    const part = Math.max(GiB, Math.ceil(size / 10_000));
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    try {
      const parts: { PartNumber: number; ETag?: string }[] = [];
      for (let start = 0, n = 1; start < size; start += part, n++) {
        const end = Math.min(start + part, size) - 1;
        const r = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket, Key, UploadId, PartNumber: n,
            CopySource: this.copySource(tmpKey), CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: n, ETag: r.CopyPartResult?.ETag });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts }, IfNoneMatch }),
      );
    } catch (e) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {});
      throw e;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const Key = this.keyOf(sha256);
    if (range) checkRange(range);
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket, Key,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
      const body = r.Body as Readable;
      return range ? this.exactRange(body, range, r.ContentRange, r.ContentLength) : body;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (status(e) === 404) throw missing(sha256);
      if (status(e) === 416) throw rangeError(range!);
      throw this.fail(e, 'reading');
    }
  }

  /**
   * Hold the server to the range asked for. Servers differ: s3rver reads "bytes=0-0" as "from 0 to the end"
   * and answers a range on an empty object with a 1-byte Content-Range; a server ignoring Range sends 200
   * and the whole object. Cut out exactly the requested bytes, and refuse a start past the end.
   */
  private exactRange(body: Readable, range: ByteRange, contentRange: string | undefined, length: number | undefined): Readable {
    const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '');
    const gotStart = cr ? Number(cr[1]) : 0;
    const gotEnd = cr ? Number(cr[2]) : (length ?? 0) - 1;
    const total = cr ? (cr[3] === '*' ? undefined : Number(cr[3])) : length;
    if (total !== undefined && range.start >= total) {
      body.destroy();
      throw rangeError(range);
    }
    const end = Math.min(range.end ?? Infinity, (total ?? Infinity) - 1);
    if (gotStart === range.start && gotEnd === end) return body;
    return sliceStream(body, range.start - gotStart, end - range.start + 1);
  }

  async stat(sha256: string): Promise<BlobInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) }));
      return { sha256, size: r.ContentLength ?? 0 };
    } catch (e) {
      if (status(e) === 404) return null;
      throw this.fail(e, 'checking');
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  /** S3 DELETE succeeds whether or not the key exists, hence the HEAD to answer "was something removed". */
  async delete(sha256: string): Promise<boolean> {
    if (!(await this.stat(sha256))) return false;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) }));
      return true;
    } catch (e) {
      throw this.fail(e, 'deleting');
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const Prefix = `${this.base}sha256/`;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token, MaxKeys: this.listPageSize }),
        );
      } catch (e) {
        throw this.fail(e, 'listing');
      }
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(Prefix.length).split('/') ?? [];
        const sha = name[2];
        if (name.length === 3 && sha && SHA256_RE.test(sha) && name[0] === sha.slice(0, 2) && name[1] === sha.slice(2, 4))
          yield { sha256: sha, size: o.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async verify(sha256: string): Promise<VerifyResult> {
    return verifyByHash(sha256, () => this.get(sha256));
  }


  async localPath(sha256: string): Promise<{ path: string; release: () => Promise<void> }> {
    return downloadToTemp(this.tmpDir, () => this.get(sha256));
  }


  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Turn an SDK error into an AppError that says what to check. */
  private fail(e: unknown, doing: string): AppError {
    if (e instanceof AppError) return e;
    const code = status(e);
    const name = (e as Error)?.name ?? '';
    const msg = `${(e as Error)?.message || name || 'error'}`;
    if (code === 401 || code === 403 || /CredentialsProviderError|InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(name))
      return new AppError(
        'E_STORAGE_AUTH',
        `S3 at ${this.endpoint} refused the credentials while ${doing} (${code ?? name}: ${msg}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket policy`,
        'failure',
        { cause: e },
      );
    if (code === undefined || code >= 500 || code === 429 || code === 408)
      return new TransientError(
        'E_STORAGE_UNAVAILABLE',
        `S3 at ${this.endpoint} is unavailable while ${doing} (${msg}); check that the server is running and reachable (VITRINE_S3_ENDPOINT, network, TLS)`,
        e,
      );
    return new AppError('E_STORAGE', `S3 error while ${doing} (${code} ${name}: ${msg})`, 'failure', { cause: e });
  }
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** 412: If-None-Match refused because the key exists; 409: a concurrent conditional write of the same key. */
function isAlreadyThere(e: unknown): boolean {
  const s = status(e);
  return s === 412 || (s === 409 && /ConditionalRequestConflict/.test((e as Error).name));
}

export function checkExpected(sha256: string, expected: string | undefined): void {
  if (expected && expected !== sha256)
    throw new AppError('E_HASH_MISMATCH', `content hash ${sha256} differs from the expected ${expected}`, 'failure', { httpStatus: 422 });
}

export function checkRange(range: ByteRange): void {
  const ok = Number.isSafeInteger(range.start) && range.start >= 0 &&
    (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!ok) throw rangeError(range);
}

export function rangeError(range: ByteRange): AppError {
  return new AppError('E_RANGE', `range ${range.start}-${range.end ?? ''} is outside the blob`, 'usage', { httpStatus: 416 });
}

export function missing(sha256: string): AppError {
  return new AppError('E_BLOB_MISSING', `blob ${sha256} is not in the store; run "vitrine fsck"`, 'not_found');
}

