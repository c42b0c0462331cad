// The near-duplicate index (table phash_index, migration 003): 64-bit pHashes split into four 16-bit
// chunks with a b-tree index each. Rows follow `analyses` through triggers; the methods that write here
// are for bulk loads (benchmarks) and for callers that want to be explicit.
import type { Db } from '../db/create-db.ts';

/** Chunk distance up to which the index is used; beyond it the candidate lists get long and a scan wins. */
export const MAX_INDEXED_CHUNK_RADIUS = 3;

export interface SimilarRow {
  assetId: string;
  sha256: string;
  path: string;
  collection: string;
  distance: number;
}

/** The 64 bits as the signed bigint Postgres stores, in decimal text (exact in any driver). */
export function hashToBigintText(hex: string): string {
  if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`not a 64-bit hex hash: ${hex}`);
  return BigInt.asIntN(64, BigInt('0x' + hex)).toString();
}

export function chunksOf(hex: string): [number, number, number, number] {
  return [0, 4, 8, 12].map((i) => parseInt(hex.slice(i, i + 4), 16)) as [number, number, number, number];
}

/** Every 16-bit value within `radius` bits of `v` (1 + 16 + 120 + 560 values for radius 0..3). */
export function chunkNeighbours(v: number, radius: number): number[] {
  const out = [v];
  const walk = (cur: number, from: number, left: number) => {
    for (let b = from; b < 16; b++) {
      const n = cur ^ (1 << b);
      out.push(n);
      if (left > 1) walk(n, b + 1, left - 1);
    }
  };
  if (radius > 0) walk(v, 0, Math.min(radius, 16));
  return out;
}

const intArray = (xs: number[]) => `{${xs.join(',')}}`;
const textArray = (xs: string[]) => `{${xs.map((x) => `"${x.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

export class PhashIndexRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async get(sha256: string): Promise<string | null> {
    const r = await this.db.executeSql('SELECT hash::text AS hash FROM phash_index WHERE sha256 = $1', [sha256]);
    const v = r.rows[0]?.hash;
    return v === undefined ? null : BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
  }

  /** Adds or replaces hashes (normally the trigger on `analyses` does this). */
  async upsert(rows: { sha256: string; hash: string }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      const values: string[] = [];
      const params: unknown[] = [];
      for (const r of chunk) {
        const [a, b, c, d] = chunksOf(r.hash);
        params.push(r.sha256, hashToBigintText(r.hash), a, b, c, d);
        const n = params.length;
        values.push(`($${n - 5}, $${n - 4}::bigint, $${n - 3}::int, $${n - 2}::int, $${n - 1}::int, $${n}::int)`);
      }
      await this.db.executeSql(
        `INSERT INTO phash_index (sha256, hash, h0, h1, h2, h3) VALUES ${values.join(',')}
         ON CONFLICT (sha256) DO UPDATE SET hash = EXCLUDED.hash, h0 = EXCLUDED.h0, h1 = EXCLUDED.h1, h2 = EXCLUDED.h2, h3 = EXCLUDED.h3`, params);
    }
  }

  /** For erasure code that deletes analyses rows itself the trigger already did this; harmless twice. */
  async remove(sha256s: string[]): Promise<void> {
    if (sha256s.length) await this.db.executeSql('DELETE FROM phash_index WHERE sha256 = ANY($1::text[])', [textArray(sha256s)]);
  }

  async count(): Promise<number> {
    return Number((await this.db.executeSql('SELECT count(*)::int AS n FROM phash_index')).rows[0]?.n ?? 0);
  }

  /**
   * Content within `maxDistance` bits of `hex`, as assets (one row per asset holding that content),
   * nearest first. `collections` null = any. Uses the chunk indexes for maxDistance < 16, a scan above.
   */
  async near(hex: string, maxDistance: number, opts: { collections: string[] | null; excludeAssetId?: string; limit: number }): Promise<SimilarRow[]> {
    const q = hashToBigintText(hex);
    const radius = Math.floor(maxDistance / 4);
    const params: unknown[] = [q, maxDistance, opts.limit, opts.excludeAssetId ?? '', opts.collections ? textArray(opts.collections) : null];
    let filter = '';
    if (radius <= MAX_INDEXED_CHUNK_RADIUS) {
      const cs = chunksOf(hex);
      cs.forEach((c) => params.push(intArray(chunkNeighbours(c, radius))));
      filter = 'AND (p.h0 = ANY($6::int[]) OR p.h1 = ANY($7::int[]) OR p.h2 = ANY($8::int[]) OR p.h3 = ANY($9::int[]))';
    }
    const r = await this.db.executeSql(
      `SELECT a.id, a.sha256, a.path, a.collection, c.d
         FROM (SELECT p.sha256, bit_count((p.hash # $1::bigint)::bit(64))::int AS d FROM phash_index p
                WHERE bit_count((p.hash # $1::bigint)::bit(64)) <= $2 ${filter}) c
         JOIN assets a ON a.sha256 = c.sha256
        WHERE a.id <> $4 AND ($5::text[] IS NULL OR a.collection = ANY($5::text[]))
        ORDER BY c.d, a.ingested_at, a.id
        LIMIT $3`, params);
    return r.rows.map((x) => ({ assetId: x.id, sha256: x.sha256, path: x.path, collection: x.collection, distance: Number(x.d) }));
  }

  /** Only the index part, without the join to assets (benchmarks, diagnostics). */
  async nearHashes(hex: string, maxDistance: number, limit = 1000): Promise<{ sha256: string; distance: number }[]> {
    const radius = Math.floor(maxDistance / 4);
    const params: unknown[] = [hashToBigintText(hex), maxDistance, limit];
    let filter = '';
    if (radius <= MAX_INDEXED_CHUNK_RADIUS) {
      chunksOf(hex).forEach((c) => params.push(intArray(chunkNeighbours(c, radius))));
      filter = 'AND (h0 = ANY($4::int[]) OR h1 = ANY($5::int[]) OR h2 = ANY($6::int[]) OR h3 = ANY($7::int[]))';
    }
    const r = await this.db.executeSql(
      `SELECT sha256, bit_count((hash # $1::bigint)::bit(64))::int AS d FROM phash_index
        WHERE bit_count((hash # $1::bigint)::bit(64)) <= $2 ${filter} ORDER BY d, sha256 LIMIT $3`, params);
    return r.rows.map((x) => ({ sha256: x.sha256, distance: Number(x.d) }));
  }
}
