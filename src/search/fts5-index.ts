// Embedded full-text index: SQLite FTS5 (node:sqlite) in DATA/db/search.sqlite. PostgreSQL's ranked
// search has to rank every match (650 ms for a common word at 100k documents in PGlite); FTS5's bm25
// over its own inverted index is what the benchmark holds us to. search_entries in PGlite stays the
// source of truth: this file is rebuilt from it when missing, corrupt or out of step.
import { rmSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SearchEntriesRepo, EntryRow } from '../repositories/search-entries.ts';
import { toFts5, type ParsedQuery } from './query.ts';
import type { IndexFilters, IndexHit, SearchIndex } from './search-index.ts';

// 2: a narrow side table (rowid → asset, type, collection) for filters and `total` (see query()).
// 3: rowids clustered by asset (ROWID_BITS), so `total` counts distinct assets without a join.
const SCHEMA_VERSION = '3';
/**
 * An FTS5 rowid is asset ordinal × 2^24 + the entry's number within its asset: the distinct assets among a
 * query's matches are then count(DISTINCT rowid >> 24), read from FTS5's own doclists, instead of a side
 * table lookup per match (3 ms for a common word at 20,000 documents, as long as the ranking itself).
 */
const ROWID_BITS = 24;
const PER_ASSET = 2 ** ROWID_BITS;

export class Fts5Index implements SearchIndex {
  readonly kind = 'fts5' as const;
  private readonly db: DatabaseSync;
  private readonly entries: SearchEntriesRepo;
  private readonly insert: StatementSync;
  private readonly insertSide: StatementSync;
  private readonly getOrd: StatementSync;
  private readonly putOrd: StatementSync;
  private maxOrd = 0;
  private readonly stmts = new Map<string, StatementSync>();
  private watermark = 0;
  /** search_entries' write generation at the last sync that found nothing new. */
  private syncedGen: number | null = null;

  private constructor(db: DatabaseSync, entries: SearchEntriesRepo) {
    this.db = db;
    this.entries = entries;
    this.insert = db.prepare('INSERT INTO fts (rowid, text, entry_id, asset_id, analyser, type, collection, page, start_s, end_s, box) VALUES (?,?,?,?,?,?,?,?,?,?,?)');
    this.insertSide = db.prepare('INSERT INTO side (rowid, entry_id, asset_id, type, collection) VALUES (?,?,?,?,?)');
    this.getOrd = db.prepare('SELECT ord, next_local FROM ords WHERE asset_id = ?');
    this.putOrd = db.prepare('INSERT OR REPLACE INTO ords (asset_id, ord, next_local) VALUES (?,?,?)');
    this.maxOrd = this.storedMaxOrd();
  }

  private storedMaxOrd(): number {
    return Number((this.db.prepare('SELECT coalesce(max(ord), 0) AS m FROM ords').get() as { m: number }).m);
  }

  private stmt(sql: string): StatementSync {
    let st = this.stmts.get(sql);
    if (!st) {
      if (this.stmts.size > 200) this.stmts.clear(); // one per filter shape; bounded all the same
      this.stmts.set(sql, (st = this.db.prepare(sql)));
    }
    return st;
  }

  static async open(file: string, entries: SearchEntriesRepo): Promise<Fts5Index> {
    const { DatabaseSync } = await import('node:sqlite');
    let db: DatabaseSync | null = null;
    try {
      db = new DatabaseSync(file);
      db = Fts5Index.init(db);
    } catch {
      // A corrupt, foreign or older file: the index is derived data, so start it again.
      try {
        db?.close();
      } catch { /* already unusable */ }
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
      db = Fts5Index.init(new DatabaseSync(file));
    }
    const idx = new Fts5Index(db, entries);
    await idx.reconcile();
    return idx;
  }

  private static init(db: DatabaseSync): DatabaseSync {
    db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
    `);
    const v = db.prepare("SELECT v FROM meta WHERE k = 'schema'").get() as { v: string } | undefined;
    if (v && v.v !== SCHEMA_VERSION) throw new Error('index schema changed');
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, entry_id UNINDEXED, asset_id UNINDEXED, analyser UNINDEXED,
        type UNINDEXED, collection UNINDEXED, page UNINDEXED, start_s UNINDEXED, end_s UNINDEXED, box UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2');
      -- rowid = the FTS5 rowid; entry_id = search_entries.id (the mirror's watermark).
      CREATE TABLE IF NOT EXISTS side (rowid INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL UNIQUE, asset_id TEXT NOT NULL,
        type TEXT, collection TEXT);
      CREATE INDEX IF NOT EXISTS side_asset ON side (asset_id);
      CREATE TABLE IF NOT EXISTS ords (asset_id TEXT PRIMARY KEY, ord INTEGER NOT NULL UNIQUE, next_local INTEGER NOT NULL);`);
    db.prepare("INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    return db;
  }

  /** Same row count and highest id as the source of truth, or rebuild. */
  private async reconcile(): Promise<void> {
    const src = await this.entries.stats();
    const mine = this.db.prepare('SELECT count(*) AS n, coalesce(max(entry_id), 0) AS m FROM side').get() as { n: number; m: number };
    if (mine.m > src.maxId || (mine.m === src.maxId && mine.n !== src.count) || mine.n > src.count) {
      this.clear();
    } else {
      this.watermark = mine.m;
    }
    await this.sync();
    const after = this.db.prepare('SELECT count(*) AS n FROM side').get() as { n: number };
    if (after.n !== src.count) {
      // Rows were deleted below the watermark while we were not looking (erasure in another process).
      this.clear();
      await this.sync();
    }
  }

  private clear(): void {
    this.db.exec("DELETE FROM fts; DELETE FROM side; DELETE FROM ords; INSERT INTO fts(fts) VALUES ('optimize');");
    this.watermark = 0;
    this.maxOrd = 0;
    this.syncedGen = null;
  }

  async sync(): Promise<void> {
    // Unchanged since the last look: skip the database round trip (a third of a millisecond per search).
    // The generation is read before the query, and the query queues behind any open transaction, so a
    // write this look cannot see moves the generation and the next search looks again.
    const gen = this.entries.generation();
    if (gen !== null && gen === this.syncedGen) return;
    for (;;) {
      const rows = await this.entries.since(this.watermark, 5000);
      if (!rows.length) {
        this.syncedGen = gen;
        return;
      }
      const ords = new Map<string, { ord: number; next: number }>();
      this.db.exec('BEGIN');
      try {
        for (const r of rows) {
          let o = ords.get(r.assetId);
          if (!o) {
            const got = this.getOrd.get(r.assetId) as { ord: number; next_local: number } | undefined;
            o = got ? { ord: Number(got.ord), next: Number(got.next_local) } : { ord: ++this.maxOrd, next: 0 };
          }
          // 16 M entries for one asset: continue under a new ordinal (its matches may then count twice in `total`).
          if (o.next >= PER_ASSET) o = { ord: ++this.maxOrd, next: 0 };
          ords.set(r.assetId, o);
          const rowid = o.ord * PER_ASSET + o.next++;
          this.insert.run(rowid, r.text, r.id, r.assetId, r.analyser, r.type, r.collection, r.page, r.start, r.end, r.box ? JSON.stringify(r.box) : null);
          this.insertSide.run(rowid, r.id, r.assetId, r.type, r.collection);
        }
        for (const [assetId, o] of ords) this.putOrd.run(assetId, o.ord, o.next);
        this.db.exec('COMMIT');
      } catch (e) {
        this.db.exec('ROLLBACK');
        this.maxOrd = this.storedMaxOrd(); // the rolled-back batch's ordinals are free again
        throw e;
      }
      this.watermark = rows[rows.length - 1]!.id;
    }
  }

  async removeAssets(assetIds: string[]): Promise<void> {
    if (!assetIds.length) return;
    this.syncedGen = null;
    // The side table finds an asset's rows by index; FTS5 would scan every row for an UNINDEXED column.
    const rowids = this.db.prepare('SELECT rowid FROM side WHERE asset_id = ?');
    const del = this.db.prepare('DELETE FROM fts WHERE rowid = ?');
    const delSide = this.db.prepare('DELETE FROM side WHERE asset_id = ?');
    const delOrd = this.db.prepare('DELETE FROM ords WHERE asset_id = ?');
    this.db.exec('BEGIN');
    try {
      for (const id of assetIds) {
        for (const r of rowids.all(id) as { rowid: number }[]) del.run(r.rowid);
        delSide.run(id);
        delOrd.run(id);
      }
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /**
   * FROM and WHERE for a match with filters. Filters read the narrow side table: reading asset_id/type/
   * collection from the FTS5 content table loads each matching row whole (its text too), which for a common
   * word is most of the corpus. null: the filters exclude everything.
   */
  private matchClause(q: ParsedQuery, f: IndexFilters): { from: string; w: string; params: (string | number)[]; filtered: boolean } | null {
    const where = ['fts MATCH ?'];
    const params: (string | number)[] = [toFts5(q)];
    if (f.types?.length) {
      where.push(`s.type IN (${f.types.map(() => '?').join(',')})`);
      params.push(...f.types);
    }
    if (f.collections) {
      if (!f.collections.length) return null;
      where.push(`s.collection IN (${f.collections.map(() => '?').join(',')})`);
      params.push(...f.collections);
    }
    // CROSS JOIN keeps SQLite's join order: FTS5 drives, the side table is looked up by rowid.
    const filtered = where.length > 1;
    return { from: filtered ? 'fts CROSS JOIN side s ON s.rowid = fts.rowid' : 'fts', w: where.join(' AND '), params, filtered };
  }

  async topAssets(q: ParsedQuery, f: IndexFilters): Promise<string[]> {
    await this.sync();
    const m = this.matchClause(q, f);
    if (!m) return [];
    // An asset's rank is its best entry's; its ordinal is the rowid's high bits. MATERIALIZED: bm25() may
    // not be used inside an aggregate, and SQLite would otherwise flatten the subquery into one.
    const rows = this.stmt(
      `WITH m AS MATERIALIZED (SELECT fts.rowid >> ${ROWID_BITS} AS ord, bm25(fts) AS score FROM ${m.from} WHERE ${m.w})
       SELECT o.asset_id FROM (SELECT ord, min(score) AS score FROM m GROUP BY ord ORDER BY score LIMIT ?) b
       JOIN ords o ON o.ord = b.ord ORDER BY b.score, b.ord`).all(...m.params, f.limit) as { asset_id: string }[];
    return rows.map((r) => r.asset_id);
  }

  async query(q: ParsedQuery, f: IndexFilters): Promise<{ total: number; hits: IndexHit[] }> {
    await this.sync();
    const m = this.matchClause(q, f);
    if (!m) return { total: 0, hits: [] };
    const { from, w, params } = m;
    // Ranking selects rowids and scores only. An entry's asset is its rowid's high bits, so the best
    // `limit` assets are chosen before any column is read, and text is read for their entries alone.
    // Over-fetch so that `limit` distinct assets come back; an asset's score is its best entry's.
    const want = f.limit * 4 + 20;
    const ranked = (this.stmt(`SELECT fts.rowid AS id, bm25(fts) AS score FROM ${from} WHERE ${w} ORDER BY score LIMIT ?`)
      .all(...params, want) as { id: number; score: number }[]).sort((a, b) => a.score - b.score || a.id - b.id);
    const chosen = new Map<number, { score: number; ids: number[] }>();
    for (const r of ranked) {
      const ord = Math.floor(r.id / PER_ASSET);
      const c = chosen.get(ord);
      if (c) c.ids.push(r.id);
      else if (chosen.size < f.limit) chosen.set(ord, { score: r.score, ids: [r.id] });
    }
    const ids = [...chosen.values()].flatMap((c) => c.ids);
    const byId = new Map((this.stmt(
      `SELECT rowid AS id, entry_id, asset_id, analyser, type, collection, text, page, start_s, end_s, box FROM fts
        WHERE rowid IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as Record<string, any>[]).map((r) => [Number(r.id), r]));
    const hits = new Map<string, IndexHit>();
    for (const c of chosen.values()) {
      const entries: EntryRow[] = [];
      for (const id of c.ids) {
        const r = byId.get(id);
        if (!r) continue;
        entries.push({
          id: Number(r.entry_id), assetId: r.asset_id, analyser: r.analyser, type: r.type, collection: r.collection, text: r.text,
          page: r.page ?? null, start: r.start_s ?? null, end: r.end_s ?? null, box: r.box ? JSON.parse(r.box) : null,
        });
      }
      if (entries.length) hits.set(entries[0]!.assetId, { assetId: entries[0]!.assetId, score: -c.score, entries });
    }
    const total = ranked.length < want && hits.size < f.limit
      ? hits.size
      : !m.filtered
        ? Number((this.stmt(`SELECT count(DISTINCT fts.rowid >> ${ROWID_BITS}) AS n FROM fts WHERE ${w}`).get(...params) as { n: number }).n)
        : Number((this.stmt(`SELECT count(DISTINCT s.asset_id) AS n FROM fts CROSS JOIN side s ON s.rowid = fts.rowid WHERE ${w}`).get(...params) as { n: number }).n);
    return { total, hits: [...hits.values()] };
  }

  async compact(): Promise<void> {
    this.db.exec("INSERT INTO fts(fts) VALUES ('optimize'); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
