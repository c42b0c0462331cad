// Retention: a collection keeps assets for a duration after ingest (`30d`, `6m`, `7y`; `0d` = erase now);
// `retention apply` — and `vitrine work` every hour — erases what has expired, except what is on hold.
import { sql } from 'kysely';
import type { Db } from '../../db/create-db.ts';
import { AppError, usageError } from '../../errors.ts';
import type { AssetsRepo } from '../../repositories/assets.ts';
import type { AccessPolicy } from '../access.ts';
import type { Actor, AuditService } from '../audit.ts';
import type { EraseService } from './erase.ts';

const DURATION = /^(\d{1,4})([dwmy])$/;

/** Checks a duration (`0d`, `30d`, `2w`, `6m`, `7y`); `off`/`none` clear the rule. */
export function parseDuration(s: string): { n: number; unit: 'd' | 'w' | 'm' | 'y' } {
  const m = DURATION.exec(s.trim());
  if (!m) throw usageError(`retention must be a number and a unit — d (days), w (weeks), m (months), y (years) — such as 30d, 6m or 7y, not "${s}"`);
  return { n: Number(m[1]), unit: m[2] as 'd' | 'w' | 'm' | 'y' };
}

/** The ingest time before which assets are expired under `duration`, as of `now`. */
export function expiryCutoff(duration: string, now = new Date()): Date {
  const { n, unit } = parseDuration(duration);
  const d = new Date(now.getTime());
  if (unit === 'd') d.setUTCDate(d.getUTCDate() - n);
  else if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * n);
  else if (unit === 'm') d.setUTCMonth(d.getUTCMonth() - n);
  else d.setUTCFullYear(d.getUTCFullYear() - n);
  return d;
}

export interface RetentionApplyResult {
  erased: string[];
  held: string[];
}

export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', collection: null };

export class RetentionService {
  private readonly d: { db: Db; assets: AssetsRepo; erase: EraseService; access: AccessPolicy; audit: AuditService };
  constructor(d: RetentionService['d']) {
    this.d = d;
  }

  async set(collection: string, duration: string, actor: Actor): Promise<{ collection: string; retention: string | null }> {
    const off = ['off', 'none'].includes(duration.trim().toLowerCase());
    if (!off) parseDuration(duration);
    await this.d.access.check(actor, 'retention', collection, null, `collection:${collection}`);
    const before = (await this.d.assets.getCollection(collection))?.retention ?? null;
    const retention = off ? null : duration.trim();
    await this.d.assets.updateCollection(collection, { retention });
    await this.d.audit.record({
      actor: actor.name, action: 'retention', target: `collection:${collection}`, purpose: null, outcome: 'ok',
      detail: { op: 'set', retention, before },
    });
    return { collection, retention };
  }

  /** Top-level assets past their collection's retention (children go with their parent). */
  async expired(collections?: string[], now = new Date()): Promise<{ id: string; collection: string; retention: string }[]> {
    const out: { id: string; collection: string; retention: string }[] = [];
    for (const c of await this.d.assets.listCollections()) {
      if (!c.retention || (collections && !collections.includes(c.name))) continue;
      const cutoff = expiryCutoff(c.retention, now);
      const r = await sql<{ id: string }>`SELECT id FROM assets WHERE collection = ${c.name} AND parent_id IS NULL AND ingested_at <= ${cutoff}
        ORDER BY ingested_at, id`.execute(this.d.db.k);
      for (const row of r.rows) out.push({ id: row.id, collection: c.name, retention: c.retention });
    }
    return out;
  }

  async apply(actor: Actor, now = new Date()): Promise<RetentionApplyResult> {
    // A curator scoped to one collection applies retention there only.
    await this.d.access.check(actor, 'retention', actor.collection, null, null);
    const scope = actor.collection ? [actor.collection] : undefined;
    const res: RetentionApplyResult = { erased: [], held: [] };
    for (const x of await this.expired(scope, now)) {
      try {
        const r = await this.d.erase.erase(x.id, `retention ${x.retention} (collection ${x.collection})`, actor, { compact: false, via: 'retention' });
        res.erased.push(...r.erased);
      } catch (e) {
        if (e instanceof AppError && e.code === 'E_LEGAL_HOLD') res.held.push(x.id);
        else if (!(e instanceof AppError && e.kind === 'not_found')) throw e; // gone meanwhile: fine
      }
    }
    if (res.erased.length) await this.d.erase.compact();
    await this.d.audit.record({
      actor: actor.name, action: 'retention', target: null, purpose: null, outcome: 'ok',
      detail: { op: 'apply', erased: res.erased.length, held: res.held },
    });
    return res;
  }
}

/**
 * Runs retention for `vitrine work` shortly after start and then every hour, as the system actor. The timer
 * is unref'd: it never keeps a process alive on its own.
 */
export function startRetentionSchedule(retention: RetentionService, log: { warn: (o: object, m: string) => void }, everyMs = 3_600_000): NodeJS.Timeout {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await retention.apply(SYSTEM_ACTOR);
    } catch (e) {
      log.warn({ err: e }, 'scheduled retention failed');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.min(everyMs, 60_000));
  first.unref();
  const t = setInterval(() => void tick(), everyMs);
  t.unref();
  return t;
}
