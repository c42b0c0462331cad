// Unpack zip and tar(.gz) archives into numbered files in a private temp folder, safely:
// - member names are metadata only, never filesystem paths (no zip slip, whatever the name);
// - bytes are counted while inflating (headers are not trusted) and streaming stops the moment a
//   limit is passed: total unpacked bytes, member size, unpacked:packed ratio (per member and overall),
//   member count;
// - encrypted members, symlinks, hard links and device files are skipped with a reason.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import tarStream from 'tar-stream';
import { PermanentError } from '../errors.ts';
import type { SafetyLimits } from './limits.ts';

export interface UnpackedChild {
  /** Name inside the archive, cleaned for display (NUL/control chars replaced, "\" → "/"). */
  name: string;
  tmpPath: string;
  size: number;
}

export interface UnpackResult {
  format: 'zip' | 'tar' | 'tar.gz';
  children: UnpackedChild[];
  skipped: { name: string; reason: string }[];
  /** Unpacked bytes actually produced (including members that were stopped part-way). */
  unpackedBytes: number;
}

export type ArchiveFormat = UnpackResult['format'];

/** Which archive format the content is, from its first bytes (never from the name). */
export async function sniffArchive(path: string): Promise<ArchiveFormat | null> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    const head = b.subarray(0, bytesRead);
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'zip';
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return null;
  } finally {
    await fh.close();
  }
}

/** A member name for display and metadata: never used as a path. */
export function cleanMemberName(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const s = raw.replace(/\\/g, '/').replace(/[\u0000-\u001f\u007f]/g, '\uFFFD').slice(0, 1024);
  return s || '(unnamed)';
}

function safeExt(name: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(name.split('/').pop() ?? '');
  return m ? '.' + m[1]!.toLowerCase() : '';
}

class LimitError extends Error {
  readonly scope: 'entry' | 'archive';
  constructor(scope: 'entry' | 'archive', message: string) {
    super(message);
    this.scope = scope;
  }
}

const mib = (n: number) => (n >= 1024 ** 3 ? `${+(n / 1024 ** 3).toFixed(2)} GiB` : `${+(n / 1024 ** 2).toFixed(1)} MiB`);

/** Byte accounting shared by every member of one archive. */
class Budget {
  total = 0;
  readonly limits: SafetyLimits;
  readonly packedSize: number;
  constructor(limits: SafetyLimits, packedSize: number) {
    this.limits = limits;
    this.packedSize = Math.max(packedSize, 1);
  }
  addTotal(n: number): void {
    this.total += n;
    const L = this.limits;
    if (this.total > L.maxTotalBytes)
      throw new LimitError('archive', `archive unpacks to more than ${mib(L.maxTotalBytes)} (limit)`);
    if (this.total > L.ratioGraceBytes && this.total / this.packedSize > L.maxRatio)
      throw new LimitError('archive', `archive expands more than ${L.maxRatio}:1 (possible zip bomb)`);
  }
  /** Counts a member's bytes as they stream; throws (and so stops the stream) past a limit. */
  counter(opts: { countTotal: boolean; packed?: number }): Transform & { bytes: number } {
    let bytes = 0;
    const budget = this;
    const L = this.limits;
    const t = new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        try {
          bytes += chunk.length;
          (t as unknown as { bytes: number }).bytes = bytes;
          if (opts.countTotal) budget.addTotal(chunk.length);
          if (bytes > L.maxEntryBytes) throw new LimitError('entry', `larger than ${mib(L.maxEntryBytes)} (limit)`);
          if (opts.packed !== undefined && bytes > L.ratioGraceBytes && bytes / Math.max(opts.packed, 1) > L.maxRatio)
            throw new LimitError('entry', `expands more than ${L.maxRatio}:1 (possible zip bomb)`);
          cb(null, chunk);
        } catch (e) {
          cb(e as Error);
        }
      },
    }) as Transform & { bytes: number };
    t.bytes = 0;
    return t;
  }
}

interface Sink {
  dir: string;
  n: number;
  result: UnpackResult;
  budget: Budget;
  limits: SafetyLimits;
  signal?: AbortSignal;
}

function countEntry(s: Sink): void {
  if (s.result.children.length + s.result.skipped.length >= s.limits.maxEntries)
    throw new LimitError('archive', `archive has more than ${s.limits.maxEntries} members (limit)`);
}

/** Stream one member into a new numbered file; member-level limit → skipped, archive-level → thrown. */
async function writeMember(s: Sink, name: string, src: Readable, counter: Transform & { bytes: number }): Promise<void> {
  const tmpPath = join(s.dir, String(++s.n).padStart(6, '0') + safeExt(name));
  try {
    await pipeline(src, counter, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
  } catch (e) {
    await unlink(tmpPath).catch(() => {});
    if (e instanceof LimitError && e.scope === 'entry') {
      s.result.skipped.push({ name, reason: e.message });
      return;
    }
    if (e instanceof LimitError) throw e;
    s.result.skipped.push({ name, reason: `unreadable: ${(e as Error).message.slice(0, 200)}` });
    return;
  }
  if (counter.bytes === 0) {
    await unlink(tmpPath).catch(() => {});
    s.result.skipped.push({ name, reason: 'empty' });
    return;
  }
  s.result.children.push({ name, tmpPath, size: counter.bytes });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

type YauzlEntry = yauzl.Entry & { fileNameRaw?: Buffer; fileName: string | Buffer };
const yz = yauzl as unknown as typeof yauzl & {
  getFileNameLowLevel(flag: number, name: Buffer, extra: unknown[], strict: boolean): string;
};

function zipEntryName(e: YauzlEntry): string {
  const raw = Buffer.isBuffer(e.fileName) ? e.fileName : Buffer.from(String(e.fileName), 'utf8');
  return cleanMemberName(yz.getFileNameLowLevel(e.generalPurposeBitFlag, raw, e.extraFields ?? [], false));
}

async function unpackZip(path: string, s: Sink): Promise<void> {
  // decodeStrings:false so hostile names ("../x", "/etc/x") reach us as data instead of aborting the whole archive.
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false },
      (err, z) => (err ? rej(err) : res(z!))));
  try {
    await new Promise<void>((resolve, reject) => {
      let busy = false;
      zip.on('error', (e) => { if (!busy) reject(e); });
      zip.on('end', () => resolve());
      zip.on('entry', (entry: YauzlEntry) => {
        busy = true;
        handleZipEntry(zip, entry, s).then(() => { busy = false; zip.readEntry(); }, (e) => { busy = false; reject(e); });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function handleZipEntry(zip: yauzl.ZipFile, entry: YauzlEntry, s: Sink): Promise<void> {
  s.signal?.throwIfAborted();
  const name = zipEntryName(entry);
  const madeBy = entry.versionMadeBy >> 8;
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const unixType = madeBy === 3 || madeBy === 19 ? mode & S_IFMT : 0;
  if (name.endsWith('/') || unixType === S_IFDIR) return;
  countEntry(s);
  if (unixType === S_IFLNK) return void s.result.skipped.push({ name, reason: 'symlink' });
  if (unixType !== 0 && unixType !== S_IFREG) return void s.result.skipped.push({ name, reason: 'special file' });
  if (entry.isEncrypted()) return void s.result.skipped.push({ name, reason: 'encrypted' });
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    return void s.result.skipped.push({ name, reason: `unsupported compression method ${entry.compressionMethod}` });
  // Cheap early refusal from the headers; the real guard is the byte counter below.
  if (entry.uncompressedSize > s.limits.maxEntryBytes)
    return void s.result.skipped.push({ name, reason: `larger than ${mib(s.limits.maxEntryBytes)} (limit)` });
  let stream: Readable;
  try {
    stream = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (err, st) => (err ? rej(err) : res(st!))));
  } catch (e) {
    return void s.result.skipped.push({ name, reason: `unreadable: ${(e as Error).message.slice(0, 200)}` });
  }
  await writeMember(s, name, stream, s.budget.counter({ countTotal: true, packed: entry.compressedSize }));
}

async function unpackTar(path: string, gz: boolean, s: Sink): Promise<void> {
  const ex = tarStream.extract();
  // For .tar.gz the whole gunzip output is counted (total + overall ratio); for plain tar the members are.
  const feed = gz
    ? pipeline(createReadStream(path), createGunzip(), s.budget.counter({ countTotal: true }), ex)
    : pipeline(createReadStream(path), ex);
  feed.catch(() => {});
  try {
    for await (const entry of ex) {
      s.signal?.throwIfAborted();
      const h = entry.header;
      const name = cleanMemberName(h.name);
      if (h.type === 'directory') { entry.resume(); continue; }
      countEntry(s);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        await writeMember(s, name, entry as unknown as Readable, s.budget.counter({ countTotal: !gz }));
        entry.resume(); // a stopped member must still be drained for the next header
        continue;
      }
      entry.resume();
      const reason = h.type === 'symlink' ? 'symlink' : h.type === 'link' ? 'hard link' : 'special file';
      s.result.skipped.push({ name, reason });
    }
    await feed;
  } catch (e) {
    ex.destroy();
    throw e;
  }
}

/**
 * Unpack an archive into a new folder under tmpDir. Throws PermanentError E_ARCHIVE_LIMIT when an
 * archive-level limit is passed (nothing is kept), E_ENCRYPTED when every member is encrypted,
 * E_NOT_ARCHIVE when the content is not zip/tar.
 */
export async function unpackArchive(path: string, opts: { tmpDir: string; limits: SafetyLimits; signal?: AbortSignal }): Promise<UnpackResult> {
  const format = await sniffArchive(path);
  if (!format) throw new PermanentError('E_NOT_ARCHIVE', 'skipped: not a zip or tar archive (type is read from the content)');
  const size = (await stat(path)).size;
  const dir = await mkdtemp(join(opts.tmpDir, 'unpack-'));
  const result: UnpackResult = { format, children: [], skipped: [], unpackedBytes: 0 };
  const s: Sink = { dir, n: 0, result, budget: new Budget(opts.limits, size), limits: opts.limits, signal: opts.signal };
  try {
    if (format === 'zip') await unpackZip(path, s);
    else await unpackTar(path, format === 'tar.gz', s);
  } catch (e) {
    await Promise.all(result.children.map((c) => unlink(c.tmpPath).catch(() => {})));
    if (e instanceof LimitError) throw new PermanentError('E_ARCHIVE_LIMIT', `skipped: ${e.message}`);
    if (e instanceof PermanentError || (e as Error).name === 'AbortError') throw e;
    throw new PermanentError('E_ARCHIVE_INVALID', `skipped: damaged ${format} archive (${(e as Error).message.slice(0, 200)})`, e);
  }
  result.unpackedBytes = s.budget.total;
  if (!result.children.length && result.skipped.length && result.skipped.every((x) => x.reason === 'encrypted'))
    throw new PermanentError('E_ENCRYPTED', 'skipped: encrypted');
  return result;
}

/**
 * Read every member of a zip (e.g. an office file) without writing anything, enforcing the archive
 * limits on all of them and limits.maxXmlBytes on every .xml/.rels part; return the `wanted` parts.
 */
export async function readZipParts(path: string, wanted: (name: string) => boolean, limits: SafetyLimits): Promise<Map<string, Buffer>> {
  const size = (await stat(path)).size;
  const budget = new Budget(limits, size);
  const parts = new Map<string, Buffer>();
  let count = 0;
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await new Promise<yauzl.ZipFile>((res, rej) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, z) => (err ? rej(err) : res(z!))));
    const z = zip;
    await new Promise<void>((resolve, reject) => {
      const zip = z;
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: YauzlEntry) => {
        (async () => {
          if (++count > limits.maxEntries) throw new LimitError('archive', `more than ${limits.maxEntries} parts (limit)`);
          const name = zipEntryName(entry);
          if (name.endsWith('/') || entry.isEncrypted()) return;
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) return;
          const keep = wanted(name);
          const capped = keep || /\.(xml|rels)$/i.test(name);
          const st = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (err, r) => (err ? rej(err) : res(r!))));
          const chunks: Buffer[] = [];
          let n = 0;
          for await (const c of st as AsyncIterable<Buffer>) {
            budget.addTotal(c.length);
            n += c.length;
            if (capped && n > limits.maxXmlBytes) { st.destroy(); throw new LimitError('archive', `part ${name} is larger than ${mib(limits.maxXmlBytes)} (limit)`); }
            if (keep) chunks.push(c);
          }
          if (keep) parts.set(name, Buffer.concat(chunks));
        })().then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } catch (e) {
    if (e instanceof LimitError) throw new PermanentError('E_ARCHIVE_LIMIT', `skipped: ${e.message}`);
    throw new PermanentError('E_DOC_INVALID', `skipped: damaged document container (${(e as Error).message.slice(0, 200)})`, e);
  } finally {
    zip?.close();
  }
  return parts;
}
