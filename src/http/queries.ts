// Helpers only the HTTP layer needs: facet counts over a page of search hits, and the content hashes of
// one collection.
import type { Container } from '../container.ts';

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
