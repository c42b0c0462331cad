// GET /search: the search service plus facets (type, collection, language, object label, ingest month)
// over the hits, and filters on those facets (applied to the best 500 hits).
import type { FastifyInstance } from 'fastify';
import { TYPES } from '../../services/search.ts';
import { actorOf, purposeOf, type HttpCtx } from '../context.ts';
import { countFacets } from '../queries.ts';
import { errors, FacetsResponse, obj, purposeQuery, SearchResponse } from '../schemas.ts';

interface Q {
  q: string;
  type?: string;
  collection?: string;
  limit: number;
  language?: string;
  label?: string;
  month?: string;
  facets: boolean;
  purpose?: string;
}

interface Faceted {
  type: string;
  collection: string;
  language?: string | null;
  labels?: string[];
  ingestedAt?: string;
}

function facetCounts(hits: Faceted[]) {
  return {
    type: countFacets(hits, (h) => [h.type]), collection: countFacets(hits, (h) => [h.collection]),
    language: countFacets(hits, (h) => [h.language]), label: countFacets(hits, (h) => h.labels ?? []),
    month: countFacets(hits, (h) => [h.ingestedAt?.slice(0, 7)]),
  };
}

/** The facet filters (language, object label, ingest month) that apply after the index's own filters. */
function facetFilter(q: { language?: string; label?: string; month?: string }) {
  return (h: Faceted) => (!q.language || h.language === q.language) && (!q.label || !!h.labels?.includes(q.label))
    && (!q.month || !!h.ingestedAt?.startsWith(q.month));
}

const facetQuery = {
  language: { type: 'string', maxLength: 10, description: 'facet filter: ISO 639-1 language' },
  label: { type: 'string', maxLength: 100, description: 'facet filter: detected object label' },
  month: { type: 'string', pattern: '^\\d{4}-\\d{2}$', description: 'facet filter: ingest month YYYY-MM' },
};

export function registerSearchRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  // Facets over the best N matches (default 1,000), not just one page: the UI asks for them beside the search.
  app.get('/search/facets', {
    schema: {
      summary: 'Facet counts (type, collection, language, object label, ingest month) over the best-matching assets',
      tags: ['search'],
      querystring: obj({
        q: { type: 'string', minLength: 1, maxLength: 2000 },
        type: { type: 'string', enum: [...TYPES] },
        collection: { type: 'string', maxLength: 200 },
        sample: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000, description: 'how many of the best matches to count' },
        ...facetQuery,
        ...purposeQuery,
      }, ['q']),
      response: { 200: FacetsResponse, ...errors(400, 401, 403) },
    },
  }, async (req) => {
    const t0 = performance.now();
    const q = req.query as Q & { sample: number };
    const rows = (await c.search.facetSample({
      query: q.q, ...(q.type ? { type: q.type } : {}), ...(q.collection ? { collection: q.collection } : {}),
      limit: q.sample, purpose: purposeOf(req),
    }, actorOf(req))).filter(facetFilter(q));
    return { basis: rows.length, facets: facetCounts(rows), tookMs: Math.round((performance.now() - t0) * 10) / 10 };
  });

  app.get('/search', {
    schema: {
      summary: 'Full-text search over every extracted text, with snippets, where each hit matched, and facets',
      tags: ['search'],
      querystring: obj({
        q: { type: 'string', minLength: 1, maxLength: 2000, description: 'words, "phrases", -excluded, prefix*' },
        type: { type: 'string', enum: [...TYPES] },
        collection: { type: 'string', maxLength: 200 },
        limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
        ...facetQuery,
        facets: { type: 'boolean', default: true },
        ...purposeQuery,
      }, ['q']),
      response: { 200: SearchResponse, ...errors(400, 401, 403) },
    },
  }, async (req) => {
    const t0 = performance.now();
    const q = req.query as Q;
    const filtered = !!(q.language || q.label || q.month);
    const r = await c.search.search({
      query: q.q, ...(q.type ? { type: q.type } : {}), ...(q.collection ? { collection: q.collection } : {}),
      limit: filtered ? 500 : q.limit, purpose: purposeOf(req),
    }, actorOf(req), { facets: true });
    const info = r.info;
    let hits = r.hits.map((h) => {
      const i = info.get(h.assetId);
      return { ...h, ...(i ? { name: i.name, language: i.language, ingestedAt: i.ingestedAt, labels: i.labels } : {}) };
    });
    if (filtered) hits = hits.filter(facetFilter(q));
    const facets = q.facets ? facetCounts(hits) : undefined;
    const total = filtered ? hits.length : r.total;
    return { total, hits: hits.slice(0, q.limit), ...(facets ? { facets } : {}), tookMs: Math.round((performance.now() - t0) * 10) / 10 };
  });
}
