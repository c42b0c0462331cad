// Picks the blob backend from VITRINE_BLOBS and initialises it, so a wrong setting (bad URL, wrong
// credentials, missing bucket, unreachable server) fails at start and not at the first file.
//   unset or "fs"               → DATA/blobs on the local filesystem (temp files in tmpDir, same filesystem)
//   s3://bucket[/prefix]        → S3-compatible (VITRINE_S3_ENDPOINT, VITRINE_S3_FORCE_PATH_STYLE=1, AWS_*)
//   azure://container[/prefix]  → Azure Blob (AZURE_STORAGE_CONNECTION_STRING)
import { join } from 'node:path';
import { AppError } from '../errors.ts';
import type { BlobStore } from './blob-store.ts';
import { FsBlobStore } from './fs-store.ts';

export interface CreateStoreOptions {
  /** The VITRINE_BLOBS setting. */
  blobs?: string;
  dataDir: string;
  /** DATA/tmp: the fs store's temp files (emptied at start) and remote stores' localPath() downloads. */
  tmpDir: string;
  env: Record<string, string | undefined>;
}

export async function createBlobStore(opts: CreateStoreOptions): Promise<BlobStore> {
  const blobs = opts.blobs?.trim() || 'fs';
  const { env } = opts;
  if (blobs === 'fs') {
    const store = new FsBlobStore(join(opts.dataDir, 'blobs'), opts.tmpDir);
    await store.init();
    return store;
  }
  const m = /^(s3|azure):\/\/([^/]+)\/*(.*)$/.exec(blobs);
  if (!m) throw usage(`VITRINE_BLOBS="${blobs}" is not "fs", "s3://bucket/prefix" or "azure://container/prefix"`);
  const [, scheme, name, prefix] = m as unknown as [string, 's3' | 'azure', string, string];
  if (scheme === 's3') {
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    if (!!id !== !!secret) throw usage('set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or neither, to use the AWS profile or instance role)');
    // Cloud SDKs take ~2 s to import: only load the one in use.
    const { S3BlobStore } = await import('./s3-store.ts');
    const store = new S3BlobStore({
      bucket: name,
      prefix,
      tmpDir: opts.tmpDir,
      endpoint: env.VITRINE_S3_ENDPOINT || undefined,
      forcePathStyle: /^(1|true|yes)$/i.test(env.VITRINE_S3_FORCE_PATH_STYLE ?? ''),
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
      credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined,
    });
    return initOrClose(store);
  }
  const conn = env.AZURE_STORAGE_CONNECTION_STRING;
  if (!conn) throw usage('VITRINE_BLOBS=azure://… needs AZURE_STORAGE_CONNECTION_STRING');
  const { AzureBlobStore } = await import('./azure-store.ts');
  return initOrClose(new AzureBlobStore({ connectionString: conn, container: name, prefix, tmpDir: opts.tmpDir }));
}

async function initOrClose<T extends BlobStore & { init(): Promise<void> }>(store: T): Promise<T> {
  try {
    await store.init();
    return store;
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}

function usage(message: string): AppError {
  return new AppError('E_CONFIG', message, 'usage');
}
