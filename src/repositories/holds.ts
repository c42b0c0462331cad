// Legal holds on an asset or a whole collection. A hold is never deleted: release stamps who, when and why,
// so the report can show the history.
import type { Db } from '../db/create-db.ts';

export type HoldKind = 'asset' | 'collection';

export interface HoldRow {
  id: number;
  kind: HoldKind;
  target: string;
  reason: string;
  setBy: string;
  setAt: string;
  releasedBy: string | null;
  releasedAt: string | null;
  releaseReason: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function toHold(r: Record<string, any>): HoldRow {
  return {
    id: Number(r.id), kind: r.target_kind, target: r.target, reason: r.reason, setBy: r.set_by, setAt: iso(r.set_at)!,
    releasedBy: r.released_by ?? null, releasedAt: iso(r.released_at ?? null), releaseReason: r.release_reason ?? null,
  };
}

export class HoldsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async add(kind: HoldKind, target: string, reason: string, by: string): Promise<HoldRow> {
    const r = await this.db.k.insertInto('holds').values({ target_kind: kind, target, reason, set_by: by, set_at: new Date() } as never)
      .returningAll().executeTakeFirstOrThrow();
    return toHold(r);
  }

  /** Releases every active hold on the target; returns them. */
  async release(kind: HoldKind, target: string, reason: string, by: string): Promise<HoldRow[]> {
    const rows = await this.db.k.updateTable('holds').set({ released_by: by, released_at: new Date(), release_reason: reason })
      .where('target_kind', '=', kind).where('target', '=', target).where('released_at', 'is', null).returningAll().execute();
    return rows.map(toHold);
  }

  /** Active holds on any of these assets or collections. */
  async activeOn(assetIds: string[], collections: string[]): Promise<HoldRow[]> {
    if (!assetIds.length && !collections.length) return [];
    const rows = await this.db.k.selectFrom('holds').selectAll().where('released_at', 'is', null)
      .where((eb) => eb.or([
        ...(assetIds.length ? [eb.and([eb('target_kind', '=', 'asset'), eb('target', 'in', assetIds)])] : []),
        ...(collections.length ? [eb.and([eb('target_kind', '=', 'collection'), eb('target', 'in', collections)])] : []),
      ])).orderBy('id').execute();
    return rows.map(toHold);
  }

  async list(opts: { active?: boolean } = {}): Promise<HoldRow[]> {
    let q = this.db.k.selectFrom('holds').selectAll();
    if (opts.active) q = q.where('released_at', 'is', null);
    return (await q.orderBy('id').execute()).map(toHold);
  }
}
