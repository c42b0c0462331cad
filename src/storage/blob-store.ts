// The one interface every blob backend implements (filesystem, S3, Azure). Blobs are named by the
// sha256 of their content; a blob is never visible under its name unless its content has that hash.
import type { Readable } from 'node:stream';

export interface PutResult {
  sha256: string;
  size: number;
  /** false when identical content was already stored (dedup). */
  created: boolean;
}

export interface PutOptions {
  /** Reject with E_HASH_MISMATCH (nothing stored) unless the content hashes to this. */
  expectedSha256?: string;
  /** Reject with E_TOO_LARGE (nothing stored) past this many bytes. */
  maxBytes?: number;
  /**
   * The local file that `data` is a fresh read stream of (a CLI ingest). A remote store may then read the
   * file once more first, to learn its hash and so upload straight to the final name instead of to a temp
   * name plus a server-side copy; `data` is still hashed while it streams, and if it differs from what was
   * hashed first (the file changed), nothing is stored and the put rejects with E_SOURCE_CHANGED.
   * The S3 store does this; the fs and Azure stores ignore it (see their put()). A Buffer is a path that
   * is not UTF-8.
   */
  file?: string | Buffer;
  /**
   * Whether the archive already records content with this hash (the caller's database; a local query,
   * where a remote store's existence check is a network request). A store that cannot write conditionally
   * asks this instead of the server: known → nothing is uploaded (created: false); unknown → one plain
   * write, which at worst replaces a stray copy of identical bytes (created: true). Stores that can write
   * conditionally, and the fs store, do not need it.
   */
  known?: (sha256: string) => Promise<boolean>;
  /**
   * With `file`: the caller gives the file up (a finished HTTP upload in the data directory, written by no
   * one else any more). The fs store then moves it into place after hashing `data` (a read stream of it)
   * instead of writing a second copy; other stores copy as usual. The caller removes the file if it is
   * still there afterwards.
   */
  adopt?: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (HTTP Range semantics). Omitted: to the end. */
  end?: number;
}

export interface BlobInfo {
  sha256: string;
  size: number;
}

export interface VerifyResult {
  sha256: string;
  ok: boolean;
  actual?: string;
  error?: string;
}

export interface BlobStore {
  readonly kind: 'fs' | 's3' | 'azure';
  /** Stream content in; hashes while writing; atomic: either the whole blob appears or nothing. */
  put(data: Readable, opts?: PutOptions): Promise<PutResult>;
  get(sha256: string, range?: ByteRange): Promise<Readable>;
  /** Size of the blob, or null when absent. */
  stat(sha256: string): Promise<BlobInfo | null>;
  exists(sha256: string): Promise<boolean>;
  /** Returns true when something was removed. */
  delete(sha256: string): Promise<boolean>;
  list(): AsyncIterable<BlobInfo>;
  /** Re-hash the stored content and compare with its name. */
  verify(sha256: string): Promise<VerifyResult>;
  /**
   * A local file path with the blob's content, for tools that need a path (ffmpeg, pdftotext).
   * The fs store returns the blob itself (read-only use!); remote stores download to a temp file.
   * Call release() when done.
   */
  localPath(sha256: string): Promise<{ path: string; release: () => Promise<void> }>;
  close(): Promise<void>;
}

export const SHA256_RE = /^[0-9a-f]{64}$/;
