// Legal hold on an asset or a collection. Erase and retention refuse anything held — an asset is held when
// it, one of its ancestors (the zip or e-mail it came in) or its collection is.
import { notFound, refused, usageError } from '../../errors.ts';
import type { AssetRow, AssetsRepo } from '../../repositories/assets.ts';
import type { HoldKind, HoldRow, HoldsRepo } from '../../repositories/holds.ts';
import type { AccessPolicy } from '../access.ts';
import type { Actor, AuditService } from '../audit.ts';

export type HoldTarget = { asset: string } | { collection: string };

export class HoldService {
  private readonly d: { holds: HoldsRepo; assets: AssetsRepo; access: AccessPolicy; audit: AuditService };
  constructor(d: HoldService['d']) {
    this.d = d;
  }

  private async resolve(t: HoldTarget, actor: Actor, reason: string): Promise<{ kind: HoldKind; target: string; collection: string }> {
    if ('asset' in t) {
      const a = await this.d.assets.get(t.asset);
      if (!a) throw notFound(`asset ${t.asset}`);
      await this.d.access.check(actor, 'hold', a.collection, null, a.id);
      return { kind: 'asset', target: a.id, collection: a.collection };
    }
    const c = await this.d.assets.getCollection(t.collection);
    if (!c) throw notFound(`collection ${t.collection}`);
    await this.d.access.check(actor, 'hold', c.name, null, `collection:${c.name}`);
    void reason;
    return { kind: 'collection', target: c.name, collection: c.name };
  }

  async set(t: HoldTarget, reason: string, actor: Actor): Promise<HoldRow> {
    if (!reason.trim()) throw usageError('a hold needs --reason R (the case or request it is for)');
    const r = await this.resolve(t, actor, reason);
    const h = await this.d.holds.add(r.kind, r.target, reason, actor.name);
    await this.d.audit.record({
      actor: actor.name, action: 'hold', target: r.kind === 'asset' ? r.target : `collection:${r.target}`, purpose: null, outcome: 'ok',
      detail: { op: 'set', hold: h.id, reason },
    });
    return h;
  }

  async release(t: HoldTarget, reason: string, actor: Actor): Promise<HoldRow[]> {
    if (!reason.trim()) throw usageError('releasing a hold needs --reason R');
    const r = await this.resolve(t, actor, reason);
    const released = await this.d.holds.release(r.kind, r.target, reason, actor.name);
    if (!released.length) throw notFound(`active hold on ${r.kind} ${r.target}`);
    await this.d.audit.record({
      actor: actor.name, action: 'hold', target: r.kind === 'asset' ? r.target : `collection:${r.target}`, purpose: null, outcome: 'ok',
      detail: { op: 'release', holds: released.map((h) => h.id), reason },
    });
    return released;
  }

  async list(actor: Actor): Promise<HoldRow[]> {
    const all = await this.d.holds.list({ active: true });
    // Scoped users see the holds of their own collection only.
    if (actor.collection === null) return all;
    const mine: HoldRow[] = [];
    for (const h of all) {
      if (h.kind === 'collection' ? h.target === actor.collection : (await this.d.assets.get(h.target))?.collection === actor.collection) mine.push(h);
    }
    return mine;
  }

  /** Active holds that cover any of `assets` (with their ancestors) or their collections. */
  async holdsCovering(assets: AssetRow[]): Promise<HoldRow[]> {
    const ids = new Set<string>();
    const cols = new Set<string>();
    for (const a of assets) {
      ids.add(a.id);
      cols.add(a.collection);
      let p = a.parentId;
      for (let depth = 0; p && depth < 16 && !ids.has(p); depth++) {
        ids.add(p);
        p = (await this.d.assets.get(p))?.parentId ?? null;
      }
    }
    return this.d.holds.activeOn([...ids], [...cols]);
  }
}

/** The refusal erase and retention give: exit 4, naming each hold and its reason. */
export function heldError(assetId: string, holds: HoldRow[]) {
  const why = holds.map((h) => `${h.kind} ${h.target} is on legal hold since ${h.setAt.slice(0, 10)} by ${h.setBy}: "${h.reason}"`).join('; ');
  return refused('E_LEGAL_HOLD', `asset ${assetId} cannot be erased: ${why}. Release the hold first (vitrine hold release …)`, 423);
}
