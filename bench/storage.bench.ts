// Ingest throughput of the S3 and Azure blob stores vs the same server's reference client uploading the same
// files in the same run (issue 9 target: ≥ 0.8×). Servers: s3rver and azurite started here on 127.0.0.1.
// Store side: put() of a file read stream with PutOptions.file, as `vitrine ingest` does (hash the file, upload
// straight to the final name). For the large file also put() of the bare stream, the HTTP-upload path (temp
// name + server-side copy), for information: it has no local file to hash first.
// Run: node bench/storage.bench.ts  (writes bench/RESULTS-storage.md; ~4-5 min on 2 cores)
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobServiceClient } from '@azure/storage-blob';
import { createDb } from '../src/db/create-db.ts';
import { AssetsRepo } from '../src/repositories/assets.ts';
import type { BlobStore } from '../src/storage/blob-store.ts';
import { AzureBlobStore } from '../src/storage/azure-store.ts';
import { S3BlobStore } from '../src/storage/s3-store.ts';
import { startAzurite } from '../test/helpers/azurite.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';

const MiB = 1 << 20;
const PART = 8 * MiB; // the stores' defaults, used by the reference uploads too
const QUEUE = 4;
const FILE_CONCURRENCY = 4; // files in flight at once, for both sides
const ROUNDS = 3; // odd, so each side has a median run

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

interface Row { backend: string; set: string; reference: number[]; store: number[]; stream: number[] }
const rows: Row[] = [];
const sets: [string, string[]][] = [['200 × 1 MiB', small], ['1 × 256 MiB', [big]]];
// As ingest calls it: the archive's own database answers "stored already?" (a real PGlite query here, on
// an archive that has none of this content), so a server without conditional writes needs no HEAD.
const db = await createDb({ dataDir: join(work, 'db') });
const assets = new AssetsRepo(db);
const known = (sha256: string) => assets.shaKnown(sha256);
const putFiles = (store: BlobStore) => (p: string) => store.put(createReadStream(p, { highWaterMark: MiB }), { file: p, known });
const putStreams = (store: BlobStore) => (p: string) => store.put(createReadStream(p, { highWaterMark: MiB }), { known });

/**
 * Warm-up, then ROUNDS rounds of reference and store (and the bare-stream store for the large set), the order
 * rotated each round so no side always runs first on a fresh (or last on a loaded) server.
 */
async function measure(row: Row, files: string[], ref: (r: number) => Promise<number>, own: (r: number, withFile: boolean) => Promise<number>) {
  const sides: [number[], (r: number) => Promise<number>][] = [[row.reference, ref], [row.store, (r) => own(r, true)]];
  if (files.length === 1) sides.push([row.stream, (r) => own(r, false)]);
  for (const [, run] of sides) await run(-1);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < sides.length; k++) {
      const [out, run] = sides[(k + r) % sides.length]!;
      out.push(await run(r));
    }
  }
  rows.push(row);
  console.log(row);
}

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
    const ref = (r: number) => timed(files, (p, i) =>
      new Upload({ client, params: { Bucket: s3.bucket, Key: `ref-${r}/${set}/${i}`, Body: createReadStream(p, { highWaterMark: MiB }) }, partSize: PART, queueSize: QUEUE }).done());
    const own = async (r: number, withFile: boolean) => {
      const store = await mk(`store-${r}-${withFile}-${set.replace(/\W/g, '')}`);
      return timed(files, withFile ? putFiles(store) : putStreams(store));
    };
    await measure({ backend: 'S3 (s3rver 3.7.1)', set, reference: [], store: [], stream: [] }, files, ref, own);
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
    const ref = (r: number) => timed(files, (p, i) =>
      container.getBlockBlobClient(`ref-${r}/${set}/${i}`).uploadStream(createReadStream(p, { highWaterMark: MiB }), PART, QUEUE));
    const own = async (r: number, withFile: boolean) => {
      const store = new AzureBlobStore({
        connectionString: az.connectionString, container: 'bench', prefix: `store-${r}-${withFile}-${set.replace(/\W/g, '')}`,
        tmpDir: join(work, 'dl'), blockSize: PART, concurrency: QUEUE,
      });
      await store.init();
      return timed(files, withFile ? putFiles(store) : putStreams(store));
    };
    await measure({ backend: 'Azure Blob (azurite 3.35.0)', set, reference: [], store: [], stream: [] }, files, ref, own);
  }
} finally {
  await az.cleanup();
  await db.close();
  await rm(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
/** Each round's store run over the same round's reference run. */
const ratios = (xs: number[], ref: number[]) => xs.map((x, i) => x / ref[i]!);
const fmtRatios = (xs: number[]) => xs.map((x) => `${x.toFixed(2)}×`).join(' / ');
const lines = [
  '# Blob-store ingest throughput (bench/storage.bench.ts)',
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; ` +
    `server and client on the same machine (127.0.0.1), ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `After one uncounted warm-up each, ${ROUNDS} rounds; in each round every side uploads the set once, the order rotated each round. ` +
    `${FILE_CONCURRENCY} files in flight, ${PART / MiB} MiB parts/blocks with ${QUEUE} in flight per file. MB/s of file bytes; ` +
    'ratio = store / reference of the same round, each round and the median.',
  'Reference: `@aws-sdk/lib-storage` Upload (PutObject for one part) / `@azure/storage-blob` uploadStream to plain keys. ' +
    'Store: `put(fileStream, { file })` as `vitrine ingest` calls it — a file larger than one part is hashed first and uploaded ' +
    'straight to its final name, verified again while streaming; one part: hashed in memory, \"stored already?\" asked of the ' +
    'archive\'s database (a PGlite query; s3rver has no conditional writes, so otherwise a HEAD), one write. ' +
    'Bare stream (large file only, for information): `put(stream)` without `file`, the HTTP-upload path — temp name + server-side copy.',
  '',
  '| backend | files | reference MB/s | store MB/s | store / reference per round | median | bare stream MB/s (ratio median) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.backend} | ${r.set} | ${fmt(r.reference)} | ${fmt(r.store)} | ${fmtRatios(ratios(r.store, r.reference))} | ` +
    `**${median(ratios(r.store, r.reference)).toFixed(2)}×** | ${r.stream.length ? `${fmt(r.stream)} (${median(ratios(r.stream, r.reference)).toFixed(2)}×)` : '—'} |`),
  '',
];
await writeFile(new URL('./RESULTS-storage.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
