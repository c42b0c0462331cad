// One interface over the two full-text engines: SQLite FTS5 (embedded: a derived index beside PGlite,
// rebuilt from the search_entries table whenever they disagree) and PostgreSQL's own tsvector/GIN.
import type { EntryRow } from '../repositories/search-entries.ts';
import type { ParsedQuery } from './query.ts';

export interface IndexFilters {
  types?: string[];
  /** Collections the caller may read (null: all). */
  collections?: string[] | null;
  /** Assets to return. */
  limit: number;
}

export interface IndexHit {
  assetId: string;
  score: number;
  entries: EntryRow[];
}

export interface SearchIndex {
  readonly kind: 'fts5' | 'postgres';
  /** Catch up with rows added to search_entries since the last call. */
  sync(): Promise<void>;
  removeAssets(assetIds: string[]): Promise<void>;
  query(q: ParsedQuery, f: IndexFilters): Promise<{ total: number; hits: IndexHit[] }>;
  /** The best-matching f.limit assets' ids, best first, without their text (facet counts over many hits). */
  topAssets(q: ParsedQuery, f: IndexFilters): Promise<string[]>;
  /** Rewrite index files so deleted text does not linger (after erasure). */
  compact(): Promise<void>;
  close(): Promise<void>;
}
