// Who may read what, for which purpose. Collection policies can require a purpose (optionally from an
// allowed list); a refusal is itself audited and exits 4 / HTTP 403.
import { refused } from '../errors.ts';
import type { AssetsRepo } from '../repositories/assets.ts';
import type { Actor, AuditService } from './audit.ts';

export type Action = 'search' | 'show' | 'export' | 'ingest' | 'erase' | 'hold' | 'retention' | 'audit' | 'admin';

const ROLE_ACTIONS: Record<string, Action[]> = {
  admin: ['search', 'show', 'export', 'ingest', 'erase', 'hold', 'retention', 'audit', 'admin'],
  curator: ['search', 'show', 'export', 'ingest', 'erase', 'hold', 'retention'],
  analyst: ['search', 'show', 'export'],
  viewer: ['search', 'show'],
  auditor: ['audit'],
};

export const ROLES = Object.keys(ROLE_ACTIONS);

export class AccessPolicy {
  private readonly assets: AssetsRepo;
  private readonly audit: AuditService;

  constructor(assets: AssetsRepo, audit: AuditService) {
    this.assets = assets;
    this.audit = audit;
  }

  can(actor: Actor, action: Action, collection: string | null): boolean {
    if (!(ROLE_ACTIONS[actor.role] ?? []).includes(action)) return false;
    return actor.collection === null || collection === null || actor.collection === collection;
  }

  /** Throws (and audits the refusal) unless the actor may do `action` in `collection` with `purpose`. */
  async check(actor: Actor, action: Action, collection: string | null, purpose: string | null, target: string | null): Promise<void> {
    if (!this.can(actor, action, collection)) {
      await this.deny(actor, action, target, purpose, `role ${actor.role}${actor.collection ? ` (collection ${actor.collection})` : ''} may not ${action}${collection ? ` in collection ${collection}` : ''}`);
      throw refused('E_FORBIDDEN', `${actor.name} may not ${action}${collection ? ` in collection "${collection}"` : ''}; ask an admin for a role that allows it`);
    }
    if (collection && ['search', 'show', 'export'].includes(action)) await this.checkPurpose(actor, action, collection, purpose, target);
  }

  private async checkPurpose(actor: Actor, action: Action, collection: string, purpose: string | null, target: string | null): Promise<void> {
    const c = await this.assets.getCollection(collection);
    if (!c) return;
    if (c.requirePurpose && !purpose) {
      await this.deny(actor, action, target, purpose, `collection ${collection} requires a purpose`);
      throw refused('E_PURPOSE_REQUIRED', `collection "${collection}" requires a purpose: add --purpose P${c.purposes.length ? ` (one of: ${c.purposes.join(', ')})` : ''}`);
    }
    if (purpose && c.purposes.length && !c.purposes.includes(purpose)) {
      await this.deny(actor, action, target, purpose, `purpose not allowed in collection ${collection}`);
      throw refused('E_PURPOSE_NOT_ALLOWED', `purpose "${purpose}" is not allowed in collection "${collection}"; allowed: ${c.purposes.join(', ')}`);
    }
  }

  /**
   * Collections a search may look in: the one asked for (checked), or every collection the actor can read
   * whose purpose rule is satisfied. null = no restriction at all.
   */
  async readableCollections(actor: Actor, action: Action, collection: string | null, purpose: string | null, query: string): Promise<string[] | null> {
    if (collection) {
      await this.check(actor, action, collection, purpose, null);
      return [collection];
    }
    if (!this.can(actor, action, null)) {
      await this.deny(actor, action, null, purpose, `role ${actor.role} may not ${action}`);
      throw refused('E_FORBIDDEN', `${actor.name} may not ${action}; ask an admin for a role that allows it`);
    }
    const all = await this.assets.collectionPolicies();
    const ok = all.filter((c) => (actor.collection === null || actor.collection === c.name)
      && (!c.requirePurpose || purpose) && (!purpose || !c.purposes.length || c.purposes.includes(purpose)));
    if (!ok.length && !purpose && all.some((c) => (actor.collection === null || actor.collection === c.name) && c.requirePurpose)) {
      // Everything this actor could search needs a purpose: say so (and log it) instead of finding nothing.
      await this.deny(actor, action, null, purpose, 'every readable collection requires a purpose');
      throw refused('E_PURPOSE_REQUIRED', 'the collections you can search require a purpose: add --purpose P');
    }
    if (ok.length === all.length && actor.collection === null) return null;
    void query;
    return ok.map((c) => c.name);
  }

  private async deny(actor: Actor, action: Action, target: string | null, purpose: string | null, reason: string): Promise<void> {
    await this.audit.record({ actor: actor.name, action, target, purpose, outcome: 'refused', detail: { reason } });
  }
}
