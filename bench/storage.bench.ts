// Ingest throughput of the S3 and Azure blob stores vs the same server's reference client uploading the same
// files in the same run (issue 9 target: ≥ 0.8×). Servers: s3rver and azurite started here on 127.0.0.1.
// Run: node bench/storage.bench.ts  (writes bench/RESULTS-storage.md; ~2-3 min on 2 cores)
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobServiceClient } from '@azure/storage-blob';
import type { BlobStore } from '../src/storage/blob-store.ts';
import { AzureBlobStore } from '../src/storage/azure-store.ts';
import { S3BlobStore } from '../src/storage/s3-store.ts';
import { startAzurite } from '../test/helpers/azurite.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';

const MiB = 1 << 20;
const PART = 8 * MiB; // the stores' defaults, used by the reference uploads too
const QUEUE = 4;
const FILE_CONCURRENCY = 4; // files in flight at once, for both sides
const ROUNDS = 2;

const work = await mkdtemp(join(tmpdir(), 'vitrine-bench-storage-'));
const small: string[] = [];
for (let i = 0; i < 200; i++) {
  const p = join(work, `small-${i}`);
  await writeFile(p, randomBytes(MiB));
  small.push(p);
}
const big = join(work, 'big');
await writeFile(big, Buffer.alloc(0));
{
  const { open } = await import('node:fs/promises');
  const fh = await open(big, 'w');
  for (let i = 0; i < 256; i++) await fh.write(randomBytes(MiB));
  await fh.close();
}

/** Run fn over the files with FILE_CONCURRENCY in flight; returns MB/s. */
async function timed(files: string[], fn: (path: string, i: number) => Promise<unknown>): Promise<number> {
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FILE_CONCURRENCY, files.length) }, async () => {
      while (next < files.length) {
        const i = next++;
        await fn(files[i]!, i);
      }
    }),
  );
  return bytes / MiB / ((performance.now() - t0) / 1000);
}

interface Row { backend: string; set: string; reference: number[]; store: number[] }
const rows: Row[] = [];
const sets: [string, string[]][] = [['200 × 1 MiB', small], ['1 × 256 MiB', [big]]];
const putAll = (store: BlobStore) => (p: string) => store.put(createReadStream(p, { highWaterMark: MiB }));

// --- S3 (s3rver) ---
const s3 = await startS3Server();
try {
  const mk = async (prefix: string) => {
    const st = new S3BlobStore({
      bucket: s3.bucket, prefix, tmpDir: join(work, 'dl'), endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1',
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, partSize: PART, queueSize: QUEUE,
    });
    await st.init();
    return st;
  };
  const client = (await mk('probe')).client;
  for (const [set, files] of sets) {
    const row: Row = { backend: 'S3 (s3rver 3.7.1)', set, reference: [], store: [] };
    const ref = (r: number) => timed(files, (p, i) =>
      new Upload({ client, params: { Bucket: s3.bucket, Key: `ref-${r}/${set}/${i}`, Body: createReadStream(p, { highWaterMark: MiB }) }, partSize: PART, queueSize: QUEUE }).done());
    const own = async (r: number) => timed(files, putAll(await mk(`store-${r}-${set.replace(/\W/g, '')}`)));
    await ref(-1); // warm-up (JIT, connections, server caches), not counted
    await own(-1);
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which side goes first, so neither always runs on a warmer (or more loaded) server
      if (r % 2) { row.store.push(await own(r)); row.reference.push(await ref(r)); }
      else { row.reference.push(await ref(r)); row.store.push(await own(r)); }
    }
    rows.push(row);
    console.log(row);
  }
} finally {
  await s3.cleanup();
}

// --- Azure (azurite) ---
const az = await startAzurite();
try {
  const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('bench');
  await container.create();
  for (const [set, files] of sets) {
    const row: Row = { backend: 'Azure Blob (azurite 3.35.0)', set, reference: [], store: [] };
    const ref = (r: number) => timed(files, (p, i) =>
      container.getBlockBlobClient(`ref-${r}/${set}/${i}`).uploadStream(createReadStream(p, { highWaterMark: MiB }), PART, QUEUE));
    const own = async (r: number) => {
      const store = new AzureBlobStore({ connectionString: az.connectionString, container: 'bench', prefix: `store-${r}-${set.replace(/\W/g, '')}`, tmpDir: join(work, 'dl'), blockSize: PART, concurrency: QUEUE });
      await store.init();
      return timed(files, putAll(store));
    };
    await ref(-1);
    await own(-1);
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2) { row.store.push(await own(r)); row.reference.push(await ref(r)); }
      else { row.reference.push(await ref(r)); row.store.push(await own(r)); }
    }
    rows.push(row);
    console.log(row);
  }
} finally {
  await az.cleanup();
  await rm(work, { recursive: true, force: true });
}

const best = (xs: number[]) => Math.max(...xs);
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
const lines = [
  '# Blob-store ingest throughput (bench/storage.bench.ts)',
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; ` +
    `server and client on the same machine (127.0.0.1), ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `After one uncounted warm-up each, every set is uploaded ${ROUNDS} times by the reference client and by the store (alternating which goes first), ${FILE_CONCURRENCY} files in flight, ` +
    `${PART / MiB} MiB parts/blocks with ${QUEUE} in flight per file. MB/s of file bytes; ratio = best store / best reference.`,
  'Reference: `@aws-sdk/lib-storage` Upload (PutObject for one part) / `@azure/storage-blob` uploadStream to plain keys. ' +
    'Store: `put()` from a file stream — hashing, temp name + server-side copy for multi-part content, dedup check.',
  '',
  '| backend | files | reference MB/s (runs) | store MB/s (runs) | ratio |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.backend} | ${r.set} | ${fmt(r.reference)} | ${fmt(r.store)} | ${(best(r.store) / best(r.reference)).toFixed(2)}× |`),
  '',
];
await writeFile(new URL('./RESULTS-storage.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
