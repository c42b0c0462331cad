// Erasure: an asset and everything made from it — children (recursively), its blob and derived files when
// no other asset has the same content, analysis results, search entries in the table and in the FTS5
// index — then a compaction so the text does not linger in table or index files. The audit log keeps that
// it existed ({id, sha256, reason}), not what it said.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../db/create-db.ts';
import { notFound, usageError } from '../../errors.ts';
import type { AnalysesRepo } from '../../repositories/analyses.ts';
import type { AssetRow, AssetsRepo } from '../../repositories/assets.ts';
import type { DerivedRepo } from '../../repositories/derived.ts';
import type { SearchEntriesRepo } from '../../repositories/search-entries.ts';
import type { SearchIndex } from '../../search/search-index.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { AccessPolicy } from '../access.ts';
import type { Actor, AuditService } from '../audit.ts';
import { heldError, type HoldService } from './holds.ts';

export interface EraseResult {
  erased: string[];
  /** Whether the asset's own blob was deleted (false: another asset has the same content). */
  blobRemoved: boolean;
}

export interface EraseDeps {
  db: Db;
  assets: AssetsRepo;
  analyses: AnalysesRepo;
  entries: SearchEntriesRepo;
  derived: DerivedRepo;
  index: SearchIndex;
  blobs: BlobStore;
  holds: HoldService;
  access: AccessPolicy;
  audit: AuditService;
  dataDir: string;
}

/** Tables whose rows carry extracted text or results; rewritten after an erasure. */
export const COMPACT_TABLES = ['search_entries', 'analyses', 'assets', 'derived'];

export class EraseService {
  private readonly d: EraseDeps;
  constructor(d: EraseDeps) {
    this.d = d;
  }

  /** The asset and its descendants, parents before children. */
  async tree(root: AssetRow): Promise<AssetRow[]> {
    const out = [root];
    const seen = new Set([root.id]);
    for (let i = 0; i < out.length; i++) {
      for (const ch of await this.d.assets.children(out[i]!.id)) {
        if (!seen.has(ch.id)) {
          seen.add(ch.id);
          out.push(ch);
        }
      }
    }
    return out;
  }

  async erase(id: string, reason: string, actor: Actor, opts: { compact?: boolean; via?: string } = {}): Promise<EraseResult> {
    if (!reason.trim()) throw usageError('erase needs --reason R (the request or rule it fulfils)');
    const root = await this.d.assets.get(id);
    if (!root) {
      await this.d.audit.record({ actor: actor.name, action: 'erase', target: id, purpose: null, outcome: 'not_found', detail: { reason } });
      throw notFound(`asset ${id}`);
    }
    await this.d.access.check(actor, 'erase', root.collection, null, root.id);
    const all = await this.tree(root);
    const holds = await this.d.holds.holdsCovering(all);
    if (holds.length) {
      await this.d.audit.record({
        actor: actor.name, action: 'erase', target: root.id, purpose: null, outcome: 'refused',
        detail: { reason, refused: 'legal hold', holds: holds.map((h) => h.id) },
      });
      throw heldError(root.id, holds);
    }
    const ids = all.map((a) => a.id);
    await this.d.entries.deleteForAssets(ids);
    await this.d.index.removeAssets(ids);
    await this.d.assets.delete(ids);
    const removed = new Map<string, boolean>();
    for (const sha of new Set(all.map((a) => a.sha256))) removed.set(sha, await this.forgetContentIfUnshared(sha));
    await this.d.audit.record(all.map((a) => ({
      actor: actor.name, action: 'erase', target: a.id, purpose: null, outcome: 'ok',
      detail: {
        sha256: a.sha256, reason, blobRemoved: removed.get(a.sha256)!,
        ...(a.id !== root.id ? { within: root.id } : {}), ...(opts.via ? { via: opts.via } : {}),
      },
    })));
    if (opts.compact !== false) await this.compact();
    return { erased: ids, blobRemoved: removed.get(root.sha256)! };
  }

  /** Blob, analyses, derived rows and files of a content hash no asset refers to any more. */
  private async forgetContentIfUnshared(sha256: string): Promise<boolean> {
    if ((await this.d.assets.countBySha(sha256)) > 0) return false;
    const derived = await this.d.derived.forSha(sha256);
    await this.d.analyses.deleteForSha(sha256);
    await this.d.derived.deleteForSha(sha256);
    const base = join(this.d.dataDir, 'derived');
    for (const r of derived) await rm(join(base, r.path), { force: true });
    await rm(join(base, sha256.slice(0, 2), sha256), { recursive: true, force: true });
    await this.d.blobs.delete(sha256);
    return true;
  }

  /** Rewrites the tables and the index so deleted text is not left in free space of their files. */
  async compact(): Promise<void> {
    await this.d.db.compact(COMPACT_TABLES);
    await this.d.index.compact();
    if (this.d.db.kind === 'pglite') await scrubPgliteWal(this.d.db, join(this.d.dataDir, 'db', 'pg_wal'));
  }
}

/**
 * PostgreSQL's write-ahead log still holds the erased rows (inserts, and full-page images written by the
 * delete) after VACUUM FULL, and it RECYCLES old segments by renaming them to future names, content intact.
 * So, on the embedded database: stop recycling for this session, delete the not-yet-used (recycled) future
 * segments, switch to a freshly created, zero-filled segment, and checkpoint — every older segment is then
 * unlinked rather than recycled. (A PostgreSQL server manages its own WAL, archives and replicas: see README.)
 */
export async function scrubPgliteWal(db: Db, walDir: string): Promise<void> {
  await db.executeSql('SET wal_recycle = off');
  try {
    await db.executeSql('CHECKPOINT');
    const cur = String((await db.executeSql('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0].f);
    for (const f of await readdir(walDir).catch(() => [] as string[])) {
      // Same timeline, later segment: a recycled file no WAL has been written to yet.
      if (/^[0-9A-F]{24}$/.test(f) && f.slice(0, 8) === cur.slice(0, 8) && f > cur) await rm(join(walDir, f), { force: true });
    }
    await db.executeSql('SELECT pg_switch_wal()');
    await db.executeSql('CHECKPOINT');
  } finally {
    await db.executeSql('RESET wal_recycle');
  }
}
