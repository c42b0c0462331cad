// The append-only audit log. Appends take a transaction-scoped advisory lock, read the chain head and
// insert the next events, so any number of processes keep one linear hash chain.
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/create-db.ts';
import { nextEvent, rowToEvent, type AuditEvent, type AuditFields } from '../audit/chain.ts';
import { advanceFrontier, nextFrontier, readFrontier, toFrontier, type Frontier } from './audit-tree.ts';

const CHAIN_LOCK = 7_355_609;
/** Events per INSERT statement (10 parameters each, well under PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000;

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

/** INSERT of the events; with a frontier, one statement that also moves audit_tree. */
function insertStatement(events: AuditEvent[], frontier: Frontier | null): CompiledQuery {
  const values: unknown[] = [];
  const tuples = events.map((e) => {
    const n = values.push(e.seq, e.time, e.actor, e.action, e.target, e.purpose, e.outcome,
      e.detail === null ? null : JSON.stringify(e.detail), e.prevHash, e.hash);
    return `(${Array.from({ length: 10 }, (_, j) => `$${n - 9 + j}${j === 7 ? '::jsonb' : ''}`).join(',')})`;
  });
  const insert = `INSERT INTO audit_events (seq, time, actor, action, target, purpose, outcome, detail, prev_hash, hash) VALUES ${tuples.join(',')}`;
  if (!frontier) return CompiledQuery.raw(insert, values);
  const n = values.push(frontier.size, JSON.stringify(frontier.nodes));
  return CompiledQuery.raw(`WITH ins AS (${insert}) UPDATE audit_tree SET size = $${n - 1}, nodes = $${n}::jsonb WHERE id = 1`, values);
}

export class AuditEventsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Embedded mode: every append comes through this object (one process owns the PGlite directory, and
   * AuditService appends one group at a time), so the chain head and Merkle frontier can be remembered and
   * the next append is a single statement. Valid while audit_events' write generation is the one we left.
   */
  private known: { gen: number; prev: AuditEvent | null; frontier: Frontier } | null = null;

  /**
   * Every search and every access appends, so this is on the hot path of the API: one statement when the
   * head is known (embedded), else one transaction holding the chain lock (any number of processes).
   */
  async append(batch: AuditFields[]): Promise<AuditEvent[]> {
    if (!batch.length) return [];
    const gen = this.db.generation('audit_events');
    const known = gen !== null && this.known?.gen === gen && batch.length <= INSERT_CHUNK ? this.known : null;
    this.known = null; // re-set below only when the write is known to have been the only one
    if (known) {
      const { out, frontier } = await this.chain(this.db.k, known.prev, known.frontier, batch);
      // One statement: atomic on its own, so no BEGIN/COMMIT round trips.
      await this.db.k.executeQuery(insertStatement(out, frontier));
      this.remember(gen! + 1, out, frontier);
      return out;
    }
    const { out, frontier } = await this.db.k.transaction().execute(async (tx) => {
      await this.lockChain(tx);
      // Read after the lock is held (its own statement: a statement's snapshot predates its locks).
      const r = await sql<Record<string, any>>`SELECT e.*, t.size AS tree_size, t.nodes AS tree_nodes
        FROM (SELECT 1) one LEFT JOIN audit_tree t ON t.id = 1
        LEFT JOIN LATERAL (SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1) e ON true`.execute(tx);
      const row = r.rows[0]!;
      const prev = row.seq === null || row.seq === undefined ? null : toEvent(row);
      const res = await this.chain(tx, prev, toFrontier({ size: row.tree_size, nodes: row.tree_nodes }), batch);
      for (let i = 0; i < res.out.length; i += INSERT_CHUNK) {
        const chunk = res.out.slice(i, i + INSERT_CHUNK);
        // The Merkle frontier moves with the last insert: it always covers exactly the committed events.
        await tx.executeQuery(insertStatement(chunk, i + INSERT_CHUNK >= res.out.length ? res.frontier : null));
      }
      return res;
    });
    if (gen !== null) this.remember(gen + Math.ceil(out.length / INSERT_CHUNK), out, frontier);
    return out;
  }

  /**
   * Holds the chain lock for the rest of the transaction. PGlite: one process, whose transaction holds the
   * only connection, so the lock would add nothing but a round trip.
   */
  private async lockChain(tx: Transaction<Database>): Promise<void> {
    if (this.db.kind === 'postgres') await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.val(CHAIN_LOCK)]).as('l')).execute();
  }

  /** The events for batch after prev, and the frontier that covers them. */
  private async chain(x: Kysely<Database> | Transaction<Database>, prev: AuditEvent | null, f: Frontier, batch: AuditFields[]) {
    const out: AuditEvent[] = [];
    for (const fields of batch) out.push((prev = nextEvent(prev, fields)));
    const frontier = await nextFrontier(x, f, out[0]!.seq - 1, out.map((e) => e.hash));
    return { out, frontier };
  }

  /** Keeps the new head if the table's generation moved by exactly our own statements. */
  private remember(expectedGen: number, out: AuditEvent[], frontier: Frontier): void {
    if (this.db.generation('audit_events') === expectedGen) this.known = { gen: expectedGen, prev: out[out.length - 1]!, frontier };
  }

  /**
   * Runs `fn` holding the chain lock (no append can interleave) with the current frontier: checkpoints are
   * signed and written in this order by every process, so the checkpoint file only grows.
   */
  async withChainLock<T>(fn: (frontier: Frontier) => Promise<T>): Promise<T> {
    return this.db.k.transaction().execute(async (tx) => {
      await this.lockChain(tx);
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
