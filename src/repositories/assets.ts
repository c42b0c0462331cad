// Assets and collections. One asset per content per collection (per parent for children).
import { sql } from 'kysely';
import type { Db } from '../db/create-db.ts';

export interface AssetRow {
  id: string;
  sha256: string;
  collection: string;
  path: string;
  name: string;
  type: string;
  mime: string;
  size: number;
  parentId: string | null;
  ingestedAt: string;
  ingestedBy: string;
  options: Record<string, unknown> | null;
}

export interface NewAsset {
  id: string;
  sha256: string;
  collection: string;
  path: string;
  name: string;
  type: string;
  mime: string;
  size: number;
  parentId: string | null;
  ingestedBy: string;
  options: Record<string, unknown> | null;
}

export interface CollectionRow {
  name: string;
  requirePurpose: boolean;
  purposes: string[];
  analysers: string[] | null;
  ocrLang: string[] | null;
  retention: string | null;
  createdAt: string;
}

/** Per-asset values the search facets count (besides type, collection and ingest month). */
export interface HitFacets {
  language: string | null;
  labels: string[];
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

function toAsset(r: Record<string, any>): AssetRow {
  return {
    id: r.id, sha256: r.sha256, collection: r.collection, path: r.path, name: r.name, type: r.type, mime: r.mime,
    size: Number(r.size), parentId: r.parent_id ?? null, ingestedAt: iso(r.ingested_at), ingestedBy: r.ingested_by,
    options: r.options ?? null,
  };
}

function toCollection(r: Record<string, any>): CollectionRow {
  return {
    name: r.name, requirePurpose: !!r.require_purpose, purposes: r.purposes ?? [], analysers: r.analysers ?? null,
    ocrLang: r.ocr_lang ?? null, retention: r.retention ?? null, createdAt: iso(r.created_at),
  };
}

export class AssetsRepo {
  private readonly db: Db;
  /** Collection policies as last read, with the table's write generation then (embedded mode only). */
  private policies: { gen: number; rows: CollectionRow[] } | null = null;
  constructor(db: Db) {
    this.db = db;
  }

  async ensureCollections(names: string[]): Promise<void> {
    if (!names.length) return;
    await this.db.k.insertInto('collections').values(names.map((name) => ({ name })))
      .onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  async getCollection(name: string): Promise<CollectionRow | null> {
    const gen = this.db.generation('collections');
    if (gen !== null) return (await this.collectionPolicies()).find((c) => c.name === name) ?? null;
    const r = await this.db.k.selectFrom('collections').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toCollection(r) : null;
  }

  /** Policies only, no counts: cheap enough to read on every search. */
  async collectionPolicies(): Promise<CollectionRow[]> {
    // Every search reads these. Embedded, the table can only change through this process, so the rows are
    // re-read only after a write to it; on PostgreSQL (other processes write) always.
    const gen = this.db.generation('collections');
    if (gen !== null && this.policies?.gen === gen) return this.policies.rows;
    const rows = (await this.db.k.selectFrom('collections').selectAll().orderBy('name').execute()).map(toCollection);
    if (gen !== null) this.policies = { gen, rows };
    return rows;
  }

  async listCollections(): Promise<(CollectionRow & { assets: number; bytes: number })[]> {
    const rows = await this.db.k.selectFrom('collections as c')
      .leftJoin('assets as a', 'a.collection', 'c.name')
      .selectAll('c')
      .select((eb) => [eb.fn.count<string>('a.id').as('assets'), eb.fn.coalesce(eb.fn.sum<string>('a.size'), sql<string>`0`).as('bytes')])
      .groupBy('c.name').orderBy('c.name').execute();
    return rows.map((r) => ({ ...toCollection(r), assets: Number(r.assets), bytes: Number(r.bytes) }));
  }

  async updateCollection(name: string, patch: Partial<Pick<CollectionRow, 'requirePurpose' | 'purposes' | 'analysers' | 'ocrLang' | 'retention'>>): Promise<void> {
    await this.ensureCollections([name]);
    const set: Record<string, unknown> = {};
    if (patch.requirePurpose !== undefined) set.require_purpose = patch.requirePurpose;
    if (patch.purposes !== undefined) set.purposes = JSON.stringify(patch.purposes);
    if (patch.analysers !== undefined) set.analysers = patch.analysers === null ? null : JSON.stringify(patch.analysers);
    if (patch.ocrLang !== undefined) set.ocr_lang = patch.ocrLang === null ? null : JSON.stringify(patch.ocrLang);
    if (patch.retention !== undefined) set.retention = patch.retention;
    if (Object.keys(set).length) await this.db.k.updateTable('collections').set(set).where('name', '=', name).execute();
  }

  /**
   * Inserts new assets; an asset whose identity (collection, content, parent) exists is not duplicated:
   * the existing row is returned with existed=true.
   */
  async insertMany(rows: NewAsset[]): Promise<(AssetRow & { existed: boolean })[]> {
    if (!rows.length) return [];
    const now = new Date();
    const inserted = await this.db.k.insertInto('assets').values(rows.map((r) => ({
      id: r.id, sha256: r.sha256, collection: r.collection, path: r.path, name: r.name, type: r.type, mime: r.mime,
      // The time comes from this process: PGlite's now() can lag the real clock.
      size: r.size, parent_id: r.parentId, ingested_by: r.ingestedBy, ingested_at: now, options: r.options ? JSON.stringify(r.options) : null,
    }))).onConflict((oc) => oc.doNothing()).returningAll().execute();
    const byId = new Map(inserted.map((r) => [r.id, toAsset(r)]));
    const out: (AssetRow & { existed: boolean })[] = [];
    const missing = rows.filter((r) => !byId.has(r.id));
    const existing = new Map<string, AssetRow>();
    if (missing.length) {
      const found = await this.db.k.selectFrom('assets').selectAll()
        .where('sha256', 'in', [...new Set(missing.map((m) => m.sha256))]).execute();
      for (const f of found.map(toAsset)) existing.set(`${f.collection}\u0000${f.sha256}\u0000${f.parentId ?? ''}`, f);
    }
    for (const r of rows) {
      const a = byId.get(r.id);
      if (a) out.push({ ...a, existed: false });
      else {
        const e = existing.get(`${r.collection}\u0000${r.sha256}\u0000${r.parentId ?? ''}`);
        if (e) out.push({ ...e, existed: true });
      }
    }
    return out;
  }

  async get(id: string): Promise<AssetRow | null> {
    const r = await this.db.k.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toAsset(r) : null;
  }

  async getMany(ids: string[]): Promise<AssetRow[]> {
    if (!ids.length) return [];
    return (await this.db.k.selectFrom('assets').selectAll().where('id', 'in', ids).execute()).map(toAsset);
  }

  /**
   * getMany plus what search facets need (detected language, object labels), in one query: a search page
   * is on the API's hot path, and each PGlite round trip costs about half a millisecond.
   */
  async getManyWithFacets(ids: string[]): Promise<(AssetRow & HitFacets)[]> {
    if (!ids.length) return [];
    // Labels as a JSON path result (duplicates removed here): a correlated jsonb_agg(DISTINCT …) per row
    // cost 1.5 ms more for 20 hits in PGlite.
    const r = await this.db.executeSql(
      `SELECT a.*, l.result->>'language' AS facet_language, jsonb_path_query_array(o.result, '$.objects[*].label') AS facet_labels
         FROM assets a
         LEFT JOIN analyses l ON l.sha256 = a.sha256 AND l.analyser = 'language' AND l.status = 'done'
         LEFT JOIN analyses o ON o.sha256 = a.sha256 AND o.analyser = 'objects' AND o.status = 'done'
        WHERE a.id = ANY($1::text[])`, [ids]);
    return r.rows.map((row) => {
      const labels: unknown = typeof row.facet_labels === 'string' ? JSON.parse(row.facet_labels) : row.facet_labels;
      return {
        ...toAsset(row), language: row.facet_language ?? null,
        labels: Array.isArray(labels) ? [...new Set(labels.filter((x: unknown): x is string => typeof x === 'string'))] : [],
      };
    });
  }

  /** Whether any asset has this content (its blob was stored before the asset was recorded). */
  async shaKnown(sha256: string): Promise<boolean> {
    const r = await this.db.executeSql('SELECT 1 FROM assets WHERE sha256 = $1 LIMIT 1', [sha256]);
    return r.rows.length > 0;
  }

  async bySha(sha256: string): Promise<AssetRow[]> {
    return (await this.db.k.selectFrom('assets').selectAll().where('sha256', '=', sha256).orderBy('ingested_at').execute()).map(toAsset);
  }

  async children(id: string): Promise<AssetRow[]> {
    return (await this.db.k.selectFrom('assets').selectAll().where('parent_id', '=', id).orderBy('path').execute()).map(toAsset);
  }

  async list(opts: { collection?: string; type?: string; limit?: number; offset?: number; before?: string } = {}): Promise<AssetRow[]> {
    let q = this.db.k.selectFrom('assets').selectAll();
    if (opts.collection) q = q.where('collection', '=', opts.collection);
    if (opts.type) q = q.where('type', '=', opts.type);
    if (opts.before) q = q.where('ingested_at', '<', new Date(opts.before));
    return (await q.orderBy('ingested_at', 'desc').orderBy('id').limit(opts.limit ?? 100).offset(opts.offset ?? 0).execute()).map(toAsset);
  }

  async countBySha(sha256: string): Promise<number> {
    const r = await this.db.k.selectFrom('assets').select((eb) => eb.fn.countAll<string>().as('n')).where('sha256', '=', sha256).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async delete(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.k.deleteFrom('assets').where('id', 'in', ids).execute();
  }
}
