// Two read-only queries only the HTTP layer needs (they could move to a repository if anything else
// wants them): facet data for a page of search hits, and the content hashes of one collection.
import type { Container } from '../container.ts';

export interface HitInfo {
  name: string;
  ingestedAt: string;
  language: string | null;
  labels: string[];
}

export async function hitInfo(c: Container, ids: string[]): Promise<Map<string, HitInfo>> {
  const out = new Map<string, HitInfo>();
  if (!ids.length) return out;
  const r = await c.db.executeSql(
    `SELECT a.id, a.name, a.ingested_at, l.result->>'language' AS language,
            (SELECT coalesce(jsonb_agg(DISTINCT x->>'label'), '[]'::jsonb)
               FROM jsonb_array_elements(coalesce(o.result->'objects', '[]'::jsonb)) x) AS labels
       FROM assets a
       LEFT JOIN analyses l ON l.sha256 = a.sha256 AND l.analyser = 'language' AND l.status = 'done'
       LEFT JOIN analyses o ON o.sha256 = a.sha256 AND o.analyser = 'objects' AND o.status = 'done'
      WHERE a.id = ANY($1::text[])`, [ids]);
  for (const row of r.rows) {
    const labels = typeof row.labels === 'string' ? JSON.parse(row.labels) : row.labels;
    out.set(row.id, {
      name: row.name, ingestedAt: new Date(row.ingested_at).toISOString(), language: row.language ?? null,
      labels: (labels ?? []).filter((x: unknown) => typeof x === 'string'),
    });
  }
  return out;
}

export function countFacets<T>(items: T[], keys: (t: T) => (string | null | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) for (const k of new Set(keys(it))) if (k) out[k] = (out[k] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]).slice(0, 30));
}

/** Content hashes in a collection: ingest status of a user limited to that collection. */
export async function collectionShas(c: Container, collection: string): Promise<string[]> {
  const r = await c.db.executeSql('SELECT DISTINCT sha256 FROM assets WHERE collection = $1', [collection]);
  return r.rows.map((x) => x.sha256 as string);
}
