// show, status and similar: read-only views of what is known.
import { notFound } from '../errors.ts';
import type { AnalysesRepo, AnalysisStatus } from '../repositories/analyses.ts';
import type { AssetsRepo } from '../repositories/assets.ts';
import type { DerivedRepo } from '../repositories/derived.ts';
import type { Db } from '../db/create-db.ts';
import type { AnalyserRegistry } from '../analysers/registry.ts';
import type { AccessPolicy } from './access.ts';
import type { Actor, AuditService } from './audit.ts';

export interface ShowResult {
  id: string;
  sha256: string;
  path: string;
  name: string;
  type: string;
  mime: string;
  size: number;
  collection: string;
  parent?: string;
  children: string[];
  ingestedAt: string;
  ingestedBy: string;
  metadata: unknown;
  analyses: Record<string, { version: number; status: AnalysisStatus; error?: string; result: unknown; ms: number | null }>;
  derived: { kind: string; path: string; time?: number; page?: number }[];
}

export interface StatusResult {
  analysers: Record<string, Record<AnalysisStatus, number>>;
  failures: { assetId: string; path: string; analyser: string; error: string }[];
  etaSeconds: number;
}

const EMPTY = (): Record<AnalysisStatus, number> => ({ queued: 0, running: 0, done: 0, skipped: 0, failed: 0 });

export class AssetsView {
  private readonly d: { db: Db; assets: AssetsRepo; analyses: AnalysesRepo; derived: DerivedRepo; audit: AuditService; access: AccessPolicy; registry: AnalyserRegistry; concurrency: number };
  constructor(d: AssetsView['d']) {
    this.d = d;
  }

  async show(id: string, actor: Actor, purpose: string | null, audit = true): Promise<ShowResult> {
    const a = await this.d.assets.get(id);
    if (!a) {
      if (audit) await this.d.audit.record({ actor: actor.name, action: 'show', target: id, purpose, outcome: 'not_found', detail: null });
      throw notFound(`asset ${id}`);
    }
    await this.d.access.check(actor, 'show', a.collection, purpose, a.id);
    const [rows, children, derived] = await Promise.all([
      this.d.analyses.forSha(a.sha256), this.d.assets.children(a.id), this.d.derived.forSha(a.sha256),
    ]);
    const analyses: ShowResult['analyses'] = {};
    for (const r of rows) {
      const v: ShowResult['analyses'][string] = { version: r.version, status: r.status, result: r.result, ms: r.ms };
      if (r.error) v.error = r.error;
      analyses[r.analyser] = v;
    }
    const out: ShowResult = {
      id: a.id, sha256: a.sha256, path: a.path, name: a.name, type: a.type, mime: a.mime, size: a.size, collection: a.collection,
      children: children.map((c) => c.id), ingestedAt: a.ingestedAt, ingestedBy: a.ingestedBy,
      metadata: analyses.metadata?.result ?? null, analyses,
      derived: derived.map((d) => ({ kind: d.kind, path: d.path, ...(d.time !== null ? { time: d.time } : {}), ...(d.page !== null ? { page: d.page } : {}) })),
    };
    if (a.parentId) out.parent = a.parentId;
    if (audit) await this.d.audit.record({ actor: actor.name, action: 'show', target: a.id, purpose, outcome: 'ok', detail: { collection: a.collection } });
    return out;
  }

  async status(shas?: string[]): Promise<StatusResult> {
    const counts = await this.d.analyses.counts(shas);
    const analysers: StatusResult['analysers'] = {};
    for (const c of counts) (analysers[c.analyser] ??= EMPTY())[c.status] += c.n;
    const fails = await this.d.analyses.failures(100, shas);
    const failures: StatusResult['failures'] = [];
    for (const f of fails) {
      const a = (await this.d.assets.bySha(f.sha256))[0];
      failures.push({ assetId: a?.id ?? '', path: a?.path ?? '', analyser: f.analyser, error: f.error });
    }
    const mean = await this.d.analyses.meanMs();
    let workMs = 0;
    for (const [id, c] of Object.entries(analysers)) {
      const per = mean[id] ?? 1000;
      const heavy = this.d.registry.get(id)?.heavy;
      workMs += (c.queued + c.running / 2) * per / (heavy ? 1 : this.d.concurrency);
    }
    return { analysers, failures, etaSeconds: Math.round(workMs / 100) / 10 };
  }
}
