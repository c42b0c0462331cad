// fsck (re-hash every blob, report mismatches and assets whose blob is gone) and reanalyse.
import type { AnalysesRepo } from '../repositories/analyses.ts';
import type { AssetsRepo } from '../repositories/assets.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { AnalyserRegistry } from '../analysers/registry.ts';
import type { AnalysisService } from './analysis.ts';
import type { Db } from '../db/create-db.ts';

export interface FsckResult {
  ok: boolean;
  blobs: number;
  bytes: number;
  mismatches: { sha256: string; actual?: string; error?: string }[];
  missing: { sha256: string; assets: string[] }[];
  orphans: number;
}

export class Maintenance {
  private readonly d: { db: Db; blobs: BlobStore; assets: AssetsRepo; analyses: AnalysesRepo; analysis: AnalysisService; registry: AnalyserRegistry };
  constructor(d: Maintenance['d']) {
    this.d = d;
  }

  async fsck(onProgress?: (n: number) => void): Promise<FsckResult> {
    const res: FsckResult = { ok: true, blobs: 0, bytes: 0, mismatches: [], missing: [], orphans: 0 };
    const seen = new Set<string>();
    for await (const b of this.d.blobs.list()) {
      res.blobs++;
      res.bytes += b.size;
      seen.add(b.sha256);
      const v = await this.d.blobs.verify(b.sha256);
      if (!v.ok) res.mismatches.push({ sha256: b.sha256, ...(v.actual ? { actual: v.actual } : {}), ...(v.error ? { error: v.error } : {}) });
      onProgress?.(res.blobs);
    }
    const r = await this.d.db.executeSql('SELECT sha256, array_agg(id) AS ids FROM assets GROUP BY sha256');
    for (const row of r.rows) if (!seen.has(row.sha256)) res.missing.push({ sha256: row.sha256, assets: row.ids });
    const known = new Set(r.rows.map((x) => x.sha256 as string));
    for (const s of seen) if (!known.has(s)) res.orphans++;
    res.ok = !res.mismatches.length && !res.missing.length;
    return res;
  }

  /**
   * Without arguments: bring every asset up to date — analysers whose version changed re-run, analysers
   * added since ingest run, everything else stays. `analyser`: force that one again everywhere. `all`: force all.
   */
  async reanalyse(opts: { analyser?: string; all?: boolean } = {}): Promise<{ queued: number }> {
    if (opts.analyser) this.d.registry.closure([opts.analyser]);
    const shas = opts.analyser || opts.all ? await this.d.analyses.reset(opts.analyser) : [];
    const r = await this.d.db.executeSql('SELECT DISTINCT ON (sha256) sha256, type, mime, size, name, options FROM assets ORDER BY sha256, ingested_at');
    const specs = r.rows.flatMap((a) => this.d.registry.plan({ sha256: a.sha256, type: a.type, mime: a.mime, size: Number(a.size), name: a.name }, a.options?.analysers ?? null)
      .map((an) => ({ sha256: a.sha256 as string, analyser: an.id, version: an.version, options: a.options?.ocrLang ? { ocrLang: a.options.ocrLang } : null })));
    await this.d.analyses.ensure(specs);
    for (const a of r.rows) shas.push(a.sha256);
    const unique = [...new Set(shas)];
    const jobs = await this.d.analysis.scheduleReady(unique);
    return { queued: jobs };
  }
}
