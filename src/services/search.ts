// Search over every extracted text. Results are assets; each hit says where it matched (analyser,
// page, time range, box) with a snippet. Every search is audited with its query, filters and count.
import { usageError } from '../errors.ts';
import type { AssetRow, AssetsRepo, HitFacets } from '../repositories/assets.ts';
import type { EntryRow } from '../repositories/search-entries.ts';
import { parseQuery, type ParsedQuery } from '../search/query.ts';
import type { IndexFilters, SearchIndex } from '../search/search-index.ts';
import { findMatches, makeSnippet, type Highlight } from '../search/snippet.ts';
import type { Actor, AuditService } from './audit.ts';
import type { AccessPolicy } from './access.ts';

export const TYPES = ['image', 'video', 'audio', 'document', 'archive', 'email', 'other'] as const;

export interface SearchParams {
  query: string;
  type?: string;
  collection?: string;
  limit?: number;
  purpose?: string | null;
}

export interface SearchMatch {
  analyser: string;
  text: string;
  start?: number;
  end?: number;
  page?: number;
  box?: number[];
}

export interface SearchHit {
  assetId: string;
  path: string;
  type: string;
  collection: string;
  score: number;
  snippet: string;
  matches: SearchMatch[];
}

export interface SearchResponse {
  total: number;
  hits: SearchHit[];
}

/** What a caller that shows facets also gets (SearchOptions.facets): per hit, by asset id. */
export interface HitInfo extends HitFacets {
  name: string;
  ingestedAt: string;
}

const SHORT = 240;

function toMatch(e: EntryRow, hl: Highlight[]): SearchMatch {
  const m: SearchMatch = { analyser: e.analyser, text: e.text.length > SHORT ? makeSnippet(e.text, hl) : e.text };
  if (e.start !== null) m.start = e.start;
  if (e.end !== null) m.end = e.end;
  if (e.start === null && hl.length) {
    // Text sources: UTF-16 offsets of the first match within this entry's text.
    m.start = hl[0]!.start;
    m.end = hl[0]!.end;
  }
  if (e.page !== null) m.page = e.page;
  if (e.box) m.box = e.box;
  return m;
}

export class SearchService {
  private readonly index: SearchIndex;
  private readonly assets: AssetsRepo;
  private readonly audit: AuditService;
  private readonly access: AccessPolicy;

  constructor(index: SearchIndex, assets: AssetsRepo, audit: AuditService, access: AccessPolicy) {
    this.index = index;
    this.assets = assets;
    this.audit = audit;
    this.access = access;
  }

  /** The parsed query and the index filters this actor may use (access and purpose rules applied). */
  private async prepare(p: SearchParams, actor: Actor, limit: number): Promise<{ q: ParsedQuery; filters: IndexFilters }> {
    if (p.type && !(TYPES as readonly string[]).includes(p.type)) throw usageError(`--type must be one of ${TYPES.join(', ')}`);
    const q = parseQuery(p.query);
    const collections = await this.access.readableCollections(actor, 'search', p.collection ?? null, p.purpose ?? null, p.query);
    return { q, filters: { ...(p.type ? { types: [p.type] } : {}), collections, limit } };
  }

  search(p: SearchParams, actor: Actor): Promise<SearchResponse>;
  search(p: SearchParams, actor: Actor, opts: { facets: true }): Promise<SearchResponse & { info: Map<string, HitInfo> }>;
  async search(p: SearchParams, actor: Actor, opts?: { facets: true }): Promise<SearchResponse & { info?: Map<string, HitInfo> }> {
    const limit = p.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usageError('--limit must be a whole number from 1 to 1000');
    const { q, filters } = await this.prepare(p, actor, limit);
    const r = await this.index.query(q, filters);
    const ids = r.hits.map((h) => h.assetId);
    const rows: (AssetRow & Partial<HitFacets>)[] = opts?.facets ? await this.assets.getManyWithFacets(ids) : await this.assets.getMany(ids);
    const assets = new Map(rows.map((a) => [a.id, a]));
    const hits: SearchHit[] = [];
    const info = new Map<string, HitInfo>();
    for (const h of r.hits) {
      const a = assets.get(h.assetId);
      if (!a) continue;
      // Highlights once per entry: the best entry's also make the hit's snippet.
      const matches = h.entries.slice(0, 20).map((e) => ({ e, hl: findMatches(e.text, q) }));
      const best = matches[0]!;
      hits.push({
        assetId: a.id, path: a.path, type: a.type, collection: a.collection, score: Math.round(h.score * 1e4) / 1e4,
        snippet: makeSnippet(best.e.text, best.hl),
        matches: matches.map((m) => toMatch(m.e, m.hl.slice(0, 20))),
      });
      if (opts?.facets) info.set(a.id, { name: a.name, ingestedAt: a.ingestedAt, language: a.language ?? null, labels: a.labels ?? [] });
    }
    await this.audit.record({
      actor: actor.name, action: 'search', target: null, purpose: p.purpose ?? null, outcome: 'ok',
      detail: { query: p.query, type: p.type ?? null, collection: p.collection ?? null, total: r.total, returned: hits.length },
    });
    return opts?.facets ? { total: r.total, hits, info } : { total: r.total, hits };
  }

  /**
   * The best `limit` matching assets (default 1,000) with the values facets count — not just the page of
   * hits a search returns. Same access rules; audited as a search (it reveals counts).
   */
  async facetSample(p: SearchParams, actor: Actor): Promise<(AssetRow & HitFacets)[]> {
    const limit = p.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usageError('the facet sample is 1 to 10,000 assets');
    const { q, filters } = await this.prepare(p, actor, limit);
    const ids = await this.index.topAssets(q, filters);
    const rows = await this.assets.getManyWithFacets(ids);
    await this.audit.record({
      actor: actor.name, action: 'search', target: null, purpose: p.purpose ?? null, outcome: 'ok',
      detail: { query: p.query, type: p.type ?? null, collection: p.collection ?? null, facets: true, assets: rows.length },
    });
    return rows;
  }
}
