// PostgreSQL full-text search over search_entries.tsv. GIN (default): ranking is capped to a candidate
// set so a very common word does not rank every row; rum (VITRINE_PG_RUM=1): exact ranking of every
// match from the index. bench/scale-search.bench.ts measures both at a million documents.
import type { SearchEntriesRepo } from '../repositories/search-entries.ts';
import { toTsquery, type ParsedQuery } from './query.ts';
import type { IndexFilters, IndexHit, SearchIndex } from './search-index.ts';

export class PgIndex implements SearchIndex {
  readonly kind = 'postgres' as const;
  private readonly entries: SearchEntriesRepo;
  private readonly candidateCap: number;
  private readonly rum: boolean | undefined;

  /** `rum` forces one path (tests, benches); by default the database's `rum` flag decides. */
  constructor(entries: SearchEntriesRepo, candidateCap = 10_000, rum?: boolean) {
    this.entries = entries;
    this.candidateCap = candidateCap;
    this.rum = rum;
  }

  async sync(): Promise<void> {}
  async removeAssets(): Promise<void> {}
  async compact(): Promise<void> {}
  async close(): Promise<void> {}

  async topAssets(q: ParsedQuery, f: IndexFilters): Promise<string[]> {
    if (f.collections && !f.collections.length) return [];
    return this.entries.pgTopAssets(toTsquery(q), {
      ...(f.types ? { types: f.types } : {}),
      ...(f.collections ? { collections: f.collections } : {}),
      limit: f.limit,
      candidateCap: this.candidateCap,
    });
  }

  async query(q: ParsedQuery, f: IndexFilters): Promise<{ total: number; hits: IndexHit[] }> {
    if (f.collections && !f.collections.length) return { total: 0, hits: [] };
    const r = await this.entries.pgMatch(toTsquery(q), {
      ...(f.types ? { types: f.types } : {}),
      ...(f.collections ? { collections: f.collections } : {}),
      limit: f.limit * 4 + 20,
      candidateCap: this.candidateCap,
      ...(this.rum !== undefined ? { rum: this.rum } : {}),
    });
    const hits = new Map<string, IndexHit>();
    for (const e of r.rows) {
      const h = hits.get(e.assetId);
      if (h) h.entries.push(e);
      else if (hits.size < f.limit) hits.set(e.assetId, { assetId: e.assetId, score: e.score, entries: [e] });
    }
    return { total: r.total, hits: [...hits.values()] };
  }
}
