// The transparency report: what the archive holds, what was extracted from it, who looked at it and why,
// what was exported, erased, held and kept for how long, and whether the audit log is intact.
import { sql } from 'kysely';
import type { Db } from '../../db/create-db.ts';
import type { AssetsRepo } from '../../repositories/assets.ts';
import type { HoldRow, HoldsRepo } from '../../repositories/holds.ts';
import type { AccessPolicy } from '../access.ts';
import type { Actor, AuditService } from '../audit.ts';
import type { AuditAdmin } from './audit-admin.ts';
import type { RetentionService } from './retention.ts';

export interface CountBytes {
  count: number;
  bytes: number;
}

export interface Report {
  generatedAt: string;
  held: { count: number; bytes: number; byType: Record<string, CountBytes>; byCollection: Record<string, CountBytes>; byMonth: Record<string, CountBytes> };
  analyses: Record<string, number>;
  accesses: { month: string; actor: string; action: string; purpose: string | null; count: number }[];
  refusals: { count: number; byMonth: Record<string, number> };
  exports: { count: number; byMonth: Record<string, number>; byPurpose: Record<string, number> };
  erasures: { count: number; byMonth: Record<string, number>; recent: { time: string; id: string; sha256: string | null; reason: string | null; actor: string }[] };
  holds: { active: number; items: HoldRow[] };
  retention: { collection: string; retention: string | null; assets: number; due: number }[];
  audit: { ok: boolean; events: number; checkpoints: number; firstBroken?: { seq: number | null; reason: string }; lastCheckpoint: { treeSize: number; rootHash: string; time: string; publicKey: string } | null };
}

type Row = Record<string, any>;

export class ReportService {
  private readonly d: { db: Db; assets: AssetsRepo; holds: HoldsRepo; retention: RetentionService; auditAdmin: AuditAdmin; access: AccessPolicy; audit: AuditService };
  constructor(d: ReportService['d']) {
    this.d = d;
  }

  private async rows(q: ReturnType<typeof sql>): Promise<Row[]> {
    return (await q.execute(this.d.db.k)).rows as Row[];
  }

  async build(actor: Actor): Promise<Report> {
    await this.d.access.check(actor, 'audit', null, null, null);
    const cb = (rs: Row[], key: string): Record<string, CountBytes> =>
      Object.fromEntries(rs.map((r) => [String(r[key]), { count: Number(r.n), bytes: Number(r.b) }]));
    const [tot] = await this.rows(sql`SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM assets`);
    const byType = cb(await this.rows(sql`SELECT type, count(*) AS n, coalesce(sum(size), 0) AS b FROM assets GROUP BY type ORDER BY 3 DESC`), 'type');
    const byCollection = cb(await this.rows(sql`SELECT collection, count(*) AS n, coalesce(sum(size), 0) AS b FROM assets GROUP BY collection ORDER BY 3 DESC`), 'collection');
    const byMonth = cb(await this.rows(sql`SELECT to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM') AS m, count(*) AS n, coalesce(sum(size), 0) AS b
      FROM assets GROUP BY 1 ORDER BY 1`), 'm');
    const analyses = Object.fromEntries((await this.rows(sql`SELECT analyser, count(*) AS n FROM analyses WHERE status = 'done' GROUP BY analyser ORDER BY analyser`))
      .map((r) => [r.analyser, Number(r.n)]));
    const accesses = (await this.rows(sql`SELECT substr(time, 1, 7) AS month, actor, action, purpose, count(*) AS n FROM audit_events
      WHERE outcome <> 'refused' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`))
      .map((r) => ({ month: r.month, actor: r.actor, action: r.action, purpose: r.purpose ?? null, count: Number(r.n) }));
    const perMonth = async (where: ReturnType<typeof sql>) => Object.fromEntries((await this.rows(sql`SELECT substr(time, 1, 7) AS m, count(*) AS n FROM audit_events
      WHERE ${where} GROUP BY 1 ORDER BY 1`)).map((r) => [r.m, Number(r.n)]));
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    const refusalsByMonth = await perMonth(sql`outcome = 'refused'`);
    const exportsByMonth = await perMonth(sql`action = 'export' AND outcome = 'ok'`);
    const exportsByPurpose = Object.fromEntries((await this.rows(sql`SELECT coalesce(purpose, '(none)') AS p, count(*) AS n FROM audit_events
      WHERE action = 'export' AND outcome = 'ok' GROUP BY 1 ORDER BY 2 DESC`)).map((r) => [r.p, Number(r.n)]));
    const erasedByMonth = await perMonth(sql`action = 'erase' AND outcome = 'ok'`);
    const recent = (await this.rows(sql`SELECT time, target, actor, detail FROM audit_events WHERE action = 'erase' AND outcome = 'ok' ORDER BY seq DESC LIMIT 50`))
      .map((r) => {
        const det = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) ?? {};
        return { time: r.time, id: r.target, sha256: det.sha256 ?? null, reason: det.reason ?? null, actor: r.actor };
      });
    const holds = await this.d.holds.list({ active: true });
    const due = new Map<string, number>();
    for (const x of await this.d.retention.expired()) due.set(x.collection, (due.get(x.collection) ?? 0) + 1);
    const retention = (await this.d.assets.listCollections()).map((c) => ({ collection: c.name, retention: c.retention, assets: c.assets, due: due.get(c.name) ?? 0 }));
    const v = await this.d.auditAdmin.verify(actor);
    const last = this.d.auditAdmin.lastCheckpoint();
    const report: Report = {
      generatedAt: new Date().toISOString(),
      held: { count: Number(tot?.n ?? 0), bytes: Number(tot?.b ?? 0), byType, byCollection, byMonth },
      analyses,
      accesses,
      refusals: { count: sum(refusalsByMonth), byMonth: refusalsByMonth },
      exports: { count: sum(exportsByMonth), byMonth: exportsByMonth, byPurpose: exportsByPurpose },
      erasures: { count: sum(erasedByMonth), byMonth: erasedByMonth, recent },
      holds: { active: holds.length, items: holds },
      retention,
      audit: {
        ok: v.ok, events: v.events, checkpoints: v.checkpoints, ...(v.firstBroken ? { firstBroken: v.firstBroken } : {}),
        lastCheckpoint: last ? { treeSize: last.treeSize, rootHash: last.rootHash, time: last.time, publicKey: last.publicKey } : null,
      },
    };
    await this.d.audit.record({ actor: actor.name, action: 'report', target: null, purpose: null, outcome: 'ok', detail: null });
    return report;
  }
}
