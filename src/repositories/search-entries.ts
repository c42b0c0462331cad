// The searchable text units (a page, a transcript segment, an OCR line, a label), one row each, with
// where they came from. PostgreSQL's tsvector column indexes them; the embedded FTS5 index mirrors them.
import type { Db } from '../db/create-db.ts';
import type { TextEntry } from '../analysers/types.ts';

export interface EntryRow {
  id: number;
  assetId: string;
  analyser: string;
  type: string;
  collection: string;
  text: string;
  page: number | null;
  start: number | null;
  end: number | null;
  box: number[] | null;
}

export interface EntryTarget {
  assetId: string;
  type: string;
  collection: string;
}

function toEntry(r: Record<string, any>): EntryRow {
  return {
    id: Number(r.id), assetId: r.asset_id, analyser: r.analyser, type: r.type, collection: r.collection, text: r.text,
    page: r.page ?? null, start: r.start_s ?? null, end: r.end_s ?? null, box: r.box ?? null,
  };
}

/** PostgreSQL text columns cannot hold NUL. */
const clean = (s: string) => s.replace(/\u0000/g, ' ');

export class SearchEntriesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Replaces the entries of (asset, analyser) for every target asset. */
  async replace(targets: EntryTarget[], analyser: string, entries: TextEntry[]): Promise<void> {
    if (!targets.length) return;
    await this.db.k.deleteFrom('search_entries').where('asset_id', 'in', targets.map((t) => t.assetId)).where('analyser', '=', analyser).execute();
    const rows = targets.flatMap((t) => entries.filter((e) => e.text && e.text.trim()).map((e) => ({
      asset_id: t.assetId, analyser, type: t.type, collection: t.collection, text: clean(e.text),
      page: e.page ?? null, start_s: e.start ?? null, end_s: e.end ?? null, box: e.box ? JSON.stringify(e.box) : null,
    })));
    for (let i = 0; i < rows.length; i += 500) await this.db.k.insertInto('search_entries').values(rows.slice(i, i + 500)).execute();
  }

  /** Gives a new asset the entries already extracted for another asset with the same content. */
  async copy(fromAssetId: string, to: EntryTarget): Promise<void> {
    await this.db.executeSql(
      `INSERT INTO search_entries (asset_id, analyser, type, collection, text, page, start_s, end_s, box)
       SELECT $2, analyser, $3, $4, text, page, start_s, end_s, box FROM search_entries WHERE asset_id = $1 ORDER BY id`,
      [fromAssetId, to.assetId, to.type, to.collection]);
  }

  async deleteForAssets(assetIds: string[]): Promise<void> {
    if (!assetIds.length) return;
    await this.db.k.deleteFrom('search_entries').where('asset_id', 'in', assetIds).execute();
  }

  async since(afterId: number, limit: number): Promise<EntryRow[]> {
    const rows = await this.db.k.selectFrom('search_entries')
      .select(['id', 'asset_id', 'analyser', 'type', 'collection', 'text', 'page', 'start_s', 'end_s', 'box'])
      .where('id', '>', String(afterId) as never).orderBy('id').limit(limit).execute();
    return rows.map(toEntry);
  }

  /** Writes this process made to the table (null when other processes may write: PostgreSQL). */
  generation(): number | null {
    return this.db.generation('search_entries');
  }

  async stats(): Promise<{ count: number; maxId: number }> {
    const r = await this.db.executeSql('SELECT count(*)::int AS n, coalesce(max(id), 0)::bigint AS m FROM search_entries');
    return { count: Number(r.rows[0].n), maxId: Number(r.rows[0].m) };
  }

  async forAssets(assetIds: string[], analyser?: string): Promise<EntryRow[]> {
    if (!assetIds.length) return [];
    let q = this.db.k.selectFrom('search_entries')
      .select(['id', 'asset_id', 'analyser', 'type', 'collection', 'text', 'page', 'start_s', 'end_s', 'box'])
      .where('asset_id', 'in', assetIds);
    if (analyser) q = q.where('analyser', '=', analyser);
    return (await q.orderBy('id').execute()).map(toEntry);
  }

  /**
   * Entries matching a tsquery, best first, and the number of matching assets.
   * GIN path (default): the first `candidateCap` entries matching a relaxed query (phrases as plain AND,
   * which GIN answers without reading positions) are checked against the real query and ranked with
   * ts_rank_cd — one statement, bounded work however common the words (bench/RESULTS-scale.md).
   * rum path (`rum`, VITRINE_PG_RUM=1): `ORDER BY tsv <=> q` ranks every match from the index — exact
   * ranking, but measured 0.6–1 s for a word in most of 1 M documents, so it is opt-in.
   * Scores are in [0, 1) on both paths (rank / (rank + 1)). `total` counts assets among the candidates.
   */
  /** Asset ids by best entry rank, over the first candidateCap matching rows (as pgMatch's GIN path). */
  async pgTopAssets(tsquery: string, f: { types?: string[]; collections?: string[]; limit: number; candidateCap: number }): Promise<string[]> {
    const params: unknown[] = [tsquery.includes('!') ? tsquery : tsquery.replace(/ <(?:-|\d+)> /g, ' & ')];
    let filters = '';
    if (f.types?.length) filters += ` AND type = ANY($${params.push(f.types)})`;
    if (f.collections) filters += ` AND collection = ANY($${params.push(f.collections)})`;
    const cap = params.push(f.candidateCap);
    const exact = params.push(tsquery);
    const limit = params.push(f.limit);
    const r = await this.db.executeSql(
      `WITH cand AS MATERIALIZED (SELECT asset_id, tsv FROM search_entries WHERE tsv @@ to_tsquery('vitrine_simple', $1)${filters} LIMIT $${cap})
       SELECT asset_id FROM cand, to_tsquery('vitrine_simple', $${exact}) q WHERE tsv @@ q
        GROUP BY asset_id ORDER BY max(ts_rank_cd(tsv, q, 1|32)) DESC, asset_id LIMIT $${limit}`, params);
    return r.rows.map((x) => x.asset_id as string);
  }

  async pgMatch(tsquery: string, f: { types?: string[]; collections?: string[]; limit: number; candidateCap: number; rum?: boolean }): Promise<{ rows: (EntryRow & { score: number })[]; total: number }> {
    const params: unknown[] = [tsquery];
    const where: string[] = [];
    if (f.types?.length) {
      params.push(f.types);
      where.push(`type = ANY($${params.length})`);
    }
    if (f.collections) {
      params.push(f.collections);
      where.push(`collection = ANY($${params.length})`);
    }
    const n = params.length;
    const filters = where.map((w) => ` AND ${w}`).join('');
    const cols = 'id, asset_id, analyser, type, collection, text, page, start_s, end_s, box';
    const toRows = (rows: any[]) => rows.map((x) => ({ ...toEntry(x), score: Number(x.score) }));
    if (f.rum ?? this.db.rum) {
      // The query inline (not a joined function) so the planner sees a constant and orders by the index.
      const r = await this.db.executeSql(
        `SELECT ${cols}, 1 / (1 + (tsv <=> to_tsquery('vitrine_simple', $1))) AS score FROM search_entries
          WHERE tsv @@ to_tsquery('vitrine_simple', $1)${filters} ORDER BY tsv <=> to_tsquery('vitrine_simple', $1) LIMIT $${n + 1}`, [...params, f.limit]);
      const t = await this.db.executeSql(
        `SELECT count(DISTINCT asset_id)::int AS n FROM (SELECT asset_id FROM search_entries
          WHERE tsv @@ to_tsquery('vitrine_simple', $1)${filters} LIMIT $${n + 1}) s`, [...params, f.candidateCap]);
      return { rows: toRows(r.rows), total: Number(t.rows[0]?.n ?? 0) };
    }
    // A phrase needs positions, which GIN does not store: every candidate row would be re-read and
    // re-checked until the cap fills. The relaxed query (a <-> b as a & b) is exact in GIN; the phrase is
    // checked on the capped candidates only. Negated phrases are kept as they are (relaxing them is wrong).
    const relaxed = tsquery.includes('!') ? tsquery : tsquery.replace(/ <(?:-|\d+)> /g, ' & ');
    params.push(relaxed, f.candidateCap, f.limit);
    const r = await this.db.executeSql(
      `WITH cand AS MATERIALIZED (
         SELECT ${cols}, tsv FROM search_entries WHERE tsv @@ to_tsquery('vitrine_simple', $${n + 1})${filters} LIMIT $${n + 2}),
       m AS (SELECT ${cols}, ts_rank_cd(tsv, q, 1|32) AS score FROM cand, to_tsquery('vitrine_simple', $1) q WHERE tsv @@ q)
       SELECT *, (SELECT count(DISTINCT asset_id) FROM m)::int AS total FROM m ORDER BY score DESC, id LIMIT $${n + 3}`, params);
    return { rows: toRows(r.rows), total: Number(r.rows[0]?.total ?? 0) };
  }
}
