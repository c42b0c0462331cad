// Ingest: walk the given paths, stream each file into the blob store (hash while writing), record
// assets in batches, queue their analyses. A file counts as ingested only once its asset row is
// committed; its blob was durable before that, so kill -9 at any moment loses nothing reported.
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { lstat, readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { AnalyserRegistry } from '../analysers/registry.ts';
import type { AssetType } from '../analysers/types.ts';
import { AppError, errorMessage, toAppError } from '../errors.ts';
import type { AnalysesRepo } from '../repositories/analyses.ts';
import type { AssetRow, AssetsRepo, NewAsset } from '../repositories/assets.ts';
import type { SearchEntriesRepo } from '../repositories/search-entries.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { newId } from '../util/ids.ts';
import { sniffBuffer, sniffFile } from '../util/sniff.ts';
import type { AnalysisService } from './analysis.ts';
import type { Actor, AuditService } from './audit.ts';

export interface IngestOptions {
  collection: string;
  purpose?: string | null;
  analysers?: string[] | null;
  ocrLang?: string[] | null;
  actor: Actor;
  onFile?: (done: number, failed: number) => void;
}

export interface IngestedAsset {
  id: string;
  path: string;
  sha256: string;
  type: string;
  duplicate: boolean;
}

export interface IngestResult {
  ingested: number;
  duplicates: number;
  failed: { path: string; error: string; code?: string }[];
  assets: IngestedAsset[];
}

interface Candidate {
  path: string; // as the user gave it (display)
  abs: string | Buffer; // bytes when the name is not UTF-8
}

interface Stored {
  c: Candidate;
  sha256: string;
  size: number;
  type: AssetType;
  mime: string;
  name: string;
  /** The blob was new: no other asset can have this content, so there is no text to copy. */
  created?: boolean;
}

const BATCH = 200;
const PUT_CONCURRENCY = 8;
export const MAX_CHILD_DEPTH = 3;

export interface IngestDeps {
  assets: AssetsRepo;
  analyses: AnalysesRepo;
  entries: SearchEntriesRepo;
  blobs: BlobStore;
  registry: AnalyserRegistry;
  analysis: AnalysisService;
  audit: AuditService;
  maxFileBytes: number;
}

export class IngestService {
  private readonly d: IngestDeps;
  constructor(d: IngestDeps) {
    this.d = d;
  }

  /** For remote stores without conditional writes: the database, not a HEAD request, says "stored already". */
  private readonly knownSha = (sha256: string): Promise<boolean> => this.d.assets.shaKnown(sha256);

  async ingest(paths: string[], o: IngestOptions): Promise<IngestResult> {
    const res: IngestResult = { ingested: 0, duplicates: 0, failed: [], assets: [] };
    await this.d.assets.ensureCollections([o.collection]);
    const coll = await this.d.assets.getCollection(o.collection);
    const allowed = intersect(coll?.analysers ?? null, o.analysers ?? null);
    if (o.analysers) this.d.registry.closure(o.analysers); // unknown ids: a usage error before any work
    const ocrLang = o.ocrLang ?? coll?.ocrLang ?? null;
    let pending: Stored[] = [];
    // One batch is recorded while the pool keeps storing the next files (database and disk overlap);
    // batches are recorded one at a time, in order, and an error surfaces at the next flush.
    let recording: Promise<void> = Promise.resolve();
    const flush = async () => {
      const batch = pending;
      pending = [];
      await recording;
      recording = this.record(batch, o, allowed, ocrLang, res);
      recording.catch(() => {});
    };
    const fail = (path: string, err: unknown) => {
      const e = toAppError(err);
      res.failed.push({ path, error: `${e.code}: ${e.message}`, code: e.code });
      o.onFile?.(res.ingested + res.duplicates, res.failed.length);
    };
    // A small pool stores files concurrently; records are written in batches.
    const inflight = new Set<Promise<void>>();
    for await (const item of walk(paths)) {
      if ('error' in item) {
        fail(item.path, item.error);
        continue;
      }
      const p = this.store(item).then(
        (s) => void pending.push(s),
        (e) => fail(item.path, e),
      ).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= PUT_CONCURRENCY) await Promise.race(inflight);
      if (pending.length >= BATCH) await flush();
    }
    await Promise.all(inflight);
    while (pending.length) await flush();
    await recording;
    return res;
  }

  /**
   * One file arriving as a stream (HTTP upload): stored while hashing, never buffered whole; the first
   * 8 KiB are kept to sniff its type. Then recorded and queued exactly like a file from disk.
   */
  /** `adoptFile`: data is a read stream of this file, which the caller gives up (a finished HTTP upload). */
  async ingestStream(data: Readable, o: IngestOptions & { name: string; path?: string; adoptFile?: string }): Promise<IngestResult> {
    const res: IngestResult = { ingested: 0, duplicates: 0, failed: [], assets: [] };
    await this.d.assets.ensureCollections([o.collection]);
    const coll = await this.d.assets.getCollection(o.collection);
    const allowed = intersect(coll?.analysers ?? null, o.analysers ?? null);
    if (o.analysers) this.d.registry.closure(o.analysers);
    const ocrLang = o.ocrLang ?? coll?.ocrLang ?? null;
    const name = basename(o.name.replace(/\\/g, '/')) || 'upload';
    const head: Buffer[] = [];
    let headBytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        if (headBytes < 8192) {
          head.push(chunk.subarray(0, 8192 - headBytes));
          headBytes += Math.min(chunk.length, 8192 - headBytes);
        }
        cb(null, chunk);
      },
    });
    data.on('error', (e) => tap.destroy(e));
    const put = await this.d.blobs.put(data.pipe(tap), {
      maxBytes: this.d.maxFileBytes, known: this.knownSha, ...(o.adoptFile ? { file: o.adoptFile, adopt: true } : {}),
    });
    if (put.size === 0) {
      if (put.created) await this.d.blobs.delete(put.sha256).catch(() => {});
      throw new AppError('E_EMPTY', 'the upload is empty; nothing to store', 'usage');
    }
    const sniffed = await sniffBuffer(Buffer.concat(head), name);
    const path = o.path ?? name;
    await this.record([{ c: { path, abs: '' }, sha256: put.sha256, size: put.size, type: sniffed.type, mime: sniffed.mime, name, created: put.created }], o, allowed, ocrLang, res);
    return res;
  }

  private async store(c: Candidate): Promise<Stored> {
    const st = await stat(c.abs);
    if (!st.isFile()) throw new AppError('E_NOT_A_FILE', 'not a regular file (device, socket or fifo); skipped', 'failure');
    if (st.size === 0) throw new AppError('E_EMPTY', 'the file is empty; nothing to store', 'failure');
    if (st.size > this.d.maxFileBytes)
      throw new AppError('E_TOO_LARGE', `the file is larger than VITRINE_MAX_FILE_BYTES (${this.d.maxFileBytes})`, 'failure');
    const name = basename(typeof c.abs === 'string' ? c.abs : c.path);
    const sniffed = await sniffFile(c.abs, name);
    // Read buffers sized to the file (a 1 MiB buffer per 20 KiB file is mostly garbage to collect).
    const highWaterMark = Math.max(64 << 10, Math.min(1 << 20, st.size + 1));
    // `file`: a remote store may hash the file first and upload straight to its final name (no server-side copy).
    const put = await this.d.blobs.put(createReadStream(c.abs, { highWaterMark }), { maxBytes: this.d.maxFileBytes, file: c.abs, known: this.knownSha });
    return { c, sha256: put.sha256, size: put.size, type: sniffed.type, mime: sniffed.mime, name, created: put.created };
  }

  private async record(batch: Stored[], o: IngestOptions, allowed: string[] | null, ocrLang: string[] | null, res: IngestResult): Promise<void> {
    if (!batch.length) return;
    const rows: NewAsset[] = batch.map((s) => ({
      id: newId(), sha256: s.sha256, collection: o.collection, path: s.c.path, name: s.name, type: s.type, mime: s.mime,
      size: s.size, parentId: null, ingestedBy: o.actor.name,
      options: allowed || ocrLang ? { ...(allowed ? { analysers: allowed } : {}), ...(ocrLang ? { ocrLang } : {}) } : null,
    }));
    const saved = await this.d.assets.insertMany(rows);
    await this.afterInsert(saved, allowed, ocrLang, new Set(batch.filter((s) => s.created).map((s) => s.sha256)));
    for (let i = 0; i < saved.length; i++) {
      const a = saved[i]!;
      if (a.existed) res.duplicates++;
      else res.ingested++;
      res.assets.push({ id: a.id, path: batch[i]!.c.path, sha256: a.sha256, type: a.type, duplicate: a.existed });
    }
    await this.d.audit.record(saved.map((a, i) => ({
      actor: o.actor.name, action: 'ingest', target: a.id, purpose: o.purpose ?? null, outcome: 'ok',
      detail: { sha256: a.sha256, collection: a.collection, path: batch[i]!.c.path, duplicate: a.existed },
    })));
    o.onFile?.(res.ingested + res.duplicates, res.failed.length);
  }

  /** Queue analyses for new assets, and give a new asset the search text of identical content. */
  private async afterInsert(saved: (AssetRow & { existed: boolean })[], allowed: string[] | null, ocrLang: string[] | null, newBlobs?: Set<string>): Promise<void> {
    const fresh = saved.filter((a) => !a.existed);
    // kill -9 between recording a batch and queueing its analyses leaves assets with no analysis at all;
    // re-running the ingest finds them as duplicates, and queues them now.
    const dup = saved.filter((a) => a.existed);
    const known = dup.length ? await this.d.analyses.shasWithAny(dup.map((a) => a.sha256)) : new Set<string>();
    const freshShas = new Set(fresh.map((a) => a.sha256));
    const lost = dup.filter((a) => !known.has(a.sha256) && !freshShas.has(a.sha256));
    if (!fresh.length && !lost.length) return;
    const specs = [...fresh, ...lost].flatMap((a) => this.d.registry.plan({ sha256: a.sha256, type: a.type as AssetType, mime: a.mime, size: a.size, name: a.name }, allowed)
      .map((an) => ({ sha256: a.sha256, analyser: an.id, version: an.version, options: ocrLang ? { ocrLang } : null })));
    await this.d.analyses.ensure(specs);
    for (const a of fresh) {
      if (newBlobs?.has(a.sha256)) continue;
      const others = (await this.d.assets.bySha(a.sha256)).filter((x) => x.id !== a.id);
      if (others.length) await this.d.entries.copy(others[0]!.id, { assetId: a.id, type: a.type, collection: a.collection });
    }
    await this.d.analysis.scheduleReady([...new Set([...fresh, ...lost].map((a) => a.sha256))]);
  }

  /** Members of a container (zip entries, e-mail attachments) become assets whose parent is the container. */
  async ingestChildren(parents: AssetRow[], children: { name: string; tmpPath: string }[]): Promise<void> {
    for (const parent of parents) {
      const depth = Number((parent.options as { depth?: number } | null)?.depth ?? 0) + 1;
      if (depth > MAX_CHILD_DEPTH) continue;
      const stored: { sha256: string; size: number; type: AssetType; mime: string; name: string }[] = [];
      for (const ch of children) {
        try {
          const st = await stat(ch.tmpPath);
          if (!st.isFile() || st.size === 0) continue;
          const name = ch.name.split(/[\\/]/).pop() || 'member';
          const sn = await sniffFile(ch.tmpPath, name);
          const put = await this.d.blobs.put(createReadStream(ch.tmpPath), { maxBytes: this.d.maxFileBytes, file: ch.tmpPath, known: this.knownSha });
          stored.push({ sha256: put.sha256, size: put.size, type: sn.type, mime: sn.mime, name: ch.name });
        } catch {
          // one unreadable member never loses the others
        }
      }
      const allowed = (parent.options as { analysers?: string[] } | null)?.analysers ?? null;
      const ocrLang = (parent.options as { ocrLang?: string[] } | null)?.ocrLang ?? null;
      const rows: NewAsset[] = stored.map((s) => ({
        id: newId(), sha256: s.sha256, collection: parent.collection, path: `${parent.path} › ${s.name}`,
        name: s.name.split(/[\\/]/).pop() || s.name, type: s.type, mime: s.mime, size: s.size, parentId: parent.id,
        ingestedBy: parent.ingestedBy, options: { depth, ...(allowed ? { analysers: allowed } : {}), ...(ocrLang ? { ocrLang } : {}) },
      }));
      const saved = await this.d.assets.insertMany(rows);
      await this.afterInsert(saved, allowed, ocrLang);
      await this.d.audit.record(saved.filter((a) => !a.existed).map((a) => ({
        actor: 'system', action: 'ingest', target: a.id, purpose: null, outcome: 'ok',
        detail: { sha256: a.sha256, collection: a.collection, path: a.path, parent: parent.id },
      })));
    }
    for (const ch of children) await rm(ch.tmpPath, { force: true });
  }
}

function intersect(a: string[] | null, b: string[] | null): string[] | null {
  if (!a) return b;
  if (!b) return a;
  return a.filter((x) => b.includes(x));
}

type WalkItem = Candidate | { path: string; error: unknown };

/**
 * Files under the given paths, depth first. Symlinks are followed only while they stay inside the root
 * the user named; each directory is visited once (no loops).
 */
export async function* walk(paths: string[]): AsyncGenerator<WalkItem> {
  for (const given of paths) {
    const abs = resolve(given);
    let st;
    try {
      st = await lstat(abs);
    } catch (e) {
      yield { path: given, error: e };
      continue;
    }
    let root: string;
    try {
      root = await realpath(abs);
    } catch (e) {
      yield { path: given, error: e };
      continue;
    }
    if (st.isSymbolicLink()) {
      const target = await stat(abs).catch(() => null);
      if (!target) {
        yield { path: given, error: new AppError('E_BROKEN_LINK', 'symbolic link to nothing', 'failure') };
        continue;
      }
      st = target;
    }
    if (st.isDirectory()) yield* walkDir(root, given, root, new Set([Buffer.from(root).toString('hex')]));
    else yield { path: given, abs: root };
  }
}

const SEP = Buffer.from(sep);

/** A path the filesystem calls accept: a string when the bytes are UTF-8, the raw bytes otherwise. */
function fsPath(b: Buffer): string | Buffer {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : b;
}

function under(real: Buffer, root: Buffer): boolean {
  return real.equals(root) || (real.length > root.length && real.subarray(0, root.length).equals(root) && real.subarray(root.length, root.length + SEP.length).equals(SEP));
}

/**
 * Walks one directory by bytes, so names that are not UTF-8 (old archives, other systems) are stored
 * too; their displayed path shows U+FFFD for the undecodable bytes.
 */
async function* walkDir(dirIn: string | Buffer, display: string, rootIn: string, seen: Set<string>): AsyncGenerator<WalkItem> {
  const dir = Buffer.isBuffer(dirIn) ? dirIn : Buffer.from(dirIn);
  const root = Buffer.from(rootIn);
  let list;
  try {
    list = await readdir(fsPath(dir) as string, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    yield { path: display, error: e };
    return;
  }
  const entries = list.map((ent) => ({
    name: ent.name as unknown as Buffer,
    kind: ent.isFile() ? 'file' : ent.isDirectory() ? 'dir' : ent.isSymbolicLink() ? 'link' : 'other',
  })).sort((a, b) => Buffer.compare(a.name, b.name));
  for (const ent of entries) {
    const absBuf = Buffer.concat([dir, SEP, ent.name]);
    const abs = fsPath(absBuf);
    const shown = join(display, ent.name.toString('utf8'));
    const key = absBuf.toString('hex');
    if (ent.kind === 'file') yield { path: shown, abs };
    else if (ent.kind === 'dir') {
      if (!seen.has(key)) {
        seen.add(key);
        yield* walkDir(absBuf, shown, rootIn, seen);
      }
    } else if (ent.kind === 'link') {
      let real: Buffer;
      try {
        real = await realpath(abs as string, { encoding: 'buffer' }) as unknown as Buffer;
      } catch (e) {
        // A loop (a -> b -> a) is not "a link to nothing": say which it is.
        yield { path: shown, error: (e as NodeJS.ErrnoException).code === 'ELOOP'
          ? new AppError('E_LINK_LOOP', 'symbolic link loop; not followed', 'failure')
          : new AppError('E_BROKEN_LINK', 'symbolic link to nothing', 'failure') };
        continue;
      }
      if (!under(real, root)) {
        yield { path: shown, error: new AppError('E_LINK_OUTSIDE', `symbolic link points outside ${rootIn}; not followed`, 'failure') };
        continue;
      }
      const st = await stat(fsPath(real)).catch(() => null);
      if (st?.isDirectory()) {
        const rkey = real.toString('hex');
        if (!seen.has(rkey)) {
          seen.add(rkey);
          yield* walkDir(real, shown, rootIn, seen);
        }
      } else if (st?.isFile()) yield { path: shown, abs: fsPath(real) };
    } else {
      yield { path: shown, error: new AppError('E_NOT_A_FILE', 'not a regular file (device, socket or fifo); skipped', 'failure') };
    }
  }
}

export { errorMessage };
