// The append-only audit log. Appends take a transaction-scoped advisory lock, read the chain head and
// insert the next events, so any number of processes keep one linear hash chain.
import type { Db } from '../db/create-db.ts';
import { nextEvent, rowToEvent, type AuditEvent, type AuditFields } from '../audit/chain.ts';
import { advanceFrontier, readFrontier, type Frontier } from './audit-tree.ts';

const CHAIN_LOCK = 7_355_609;

function toEvent(r: Record<string, any>): AuditEvent {
  return {
    seq: Number(r.seq), time: r.time, actor: r.actor, action: r.action, target: r.target ?? null, purpose: r.purpose ?? null,
    outcome: r.outcome, detail: r.detail ?? null, prevHash: r.prev_hash, hash: r.hash,
  };
}

export interface AuditFilter {
  since?: string;
  actor?: string;
  action?: string;
  target?: string;
  limit?: number;
  afterSeq?: number;
}

export class AuditEventsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async append(batch: AuditFields[]): Promise<AuditEvent[]> {
    if (!batch.length) return [];
    return this.db.k.transaction().execute(async (tx) => {
      await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.val(CHAIN_LOCK)]).as('l')).execute();
      const head = await tx.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
      let prev = head ? toEvent(head) : null;
      const out: AuditEvent[] = [];
      for (const f of batch) {
        const e = nextEvent(prev, f);
        out.push(e);
        prev = e;
      }
      await tx.insertInto('audit_events').values(out.map((e) => ({
        seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, purpose: e.purpose, outcome: e.outcome,
        detail: e.detail === null ? null : JSON.stringify(e.detail), prev_hash: e.prevHash, hash: e.hash,
      }))).execute();
      // The Merkle frontier moves in the same transaction: it always covers exactly the committed events.
      await advanceFrontier(tx, head ? Number(head.seq) : 0, out.map((e) => e.hash));
      return out;
    });
  }

  /**
   * Runs `fn` holding the chain lock (no append can interleave) with the current frontier: checkpoints are
   * signed and written in this order by every process, so the checkpoint file only grows.
   */
  async withChainLock<T>(fn: (frontier: Frontier) => Promise<T>): Promise<T> {
    return this.db.k.transaction().execute(async (tx) => {
      await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.val(CHAIN_LOCK)]).as('l')).execute();
      const head = await tx.selectFrom('audit_events').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      // Catch the frontier up if the log predates it (no new hashes).
      const f = await readFrontier(tx);
      const frontier = f.size === Number(head?.seq ?? 0) ? f : await advanceFrontier(tx, Number(head?.seq ?? 0), []);
      return fn(frontier);
    });
  }

  /** Events in seq order, one array per page: the fast shape for verifyAudit / proveEvent. */
  async *pages(pageSize = 5000): AsyncGenerator<AuditEvent[]> {
    let after = 0;
    for (;;) {
      const rows = await this.db.k.selectFrom('audit_events').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
      if (rows.length) yield rows.map((r) => rowToEvent(r));
      if (rows.length < pageSize) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  async list(f: AuditFilter = {}): Promise<AuditEvent[]> {
    let q = this.db.k.selectFrom('audit_events').selectAll();
    if (f.since) q = q.where('time', '>=', f.since);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.target) q = q.where('target', '=', f.target);
    if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
    return (await q.orderBy('seq').limit(f.limit ?? 100_000).execute()).map(toEvent);
  }

  /** Every event in seq order, a page at a time (constant memory for a million events). */
  async *all(pageSize = 20_000): AsyncIterable<AuditEvent> {
    let after = 0;
    for (;;) {
      const rows = await this.db.k.selectFrom('audit_events').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
      for (const r of rows) yield toEvent(r);
      if (rows.length < pageSize) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  async head(): Promise<AuditEvent | null> {
    const r = await this.db.k.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r ? toEvent(r) : null;
  }

  async hashesUpTo(treeSize: number): Promise<string[]> {
    const rows = await this.db.k.selectFrom('audit_events').select(['hash']).where('seq', '<=', treeSize).orderBy('seq').execute();
    return rows.map((r) => r.hash);
  }

  async count(): Promise<number> {
    const r = await this.db.executeSql('SELECT count(*)::bigint AS n FROM audit_events');
    return Number(r.rows[0].n);
  }
}
