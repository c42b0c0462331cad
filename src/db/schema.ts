// Row types of the tables in migrations/*.sql, for Kysely.
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export interface CollectionsTable {
  name: string;
  require_purpose: Generated<boolean>;
  purposes: ColumnType<string[], string | undefined, string>;
  analysers: ColumnType<string[] | null, string | null | undefined, string | null>;
  ocr_lang: ColumnType<string[] | null, string | null | undefined, string | null>;
  retention: string | null;
  created_at: Generated<Date>;
}

export interface AssetsTable {
  id: string;
  sha256: string;
  collection: string;
  path: string;
  name: string;
  type: string;
  mime: string;
  size: ColumnType<string | number, number, number>;
  parent_id: string | null;
  ingested_at: Timestamp;
  ingested_by: string;
  options: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface AnalysesTable {
  sha256: string;
  analyser: string;
  version: number;
  status: string;
  error: string | null;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  attempts: Generated<number>;
  scheduled: Generated<boolean>;
  scheduled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  options: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  queued_at: Timestamp;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  ms: number | null;
}

export interface DerivedTable {
  id: Generated<string>;
  sha256: string;
  analyser: string;
  kind: string;
  path: string;
  time: number | null;
  page: number | null;
}

export interface SearchEntriesTable {
  id: Generated<string>;
  asset_id: string;
  analyser: string;
  type: string;
  collection: string;
  text: string;
  page: number | null;
  start_s: number | null;
  end_s: number | null;
  box: ColumnType<number[] | null, string | null | undefined, string | null>;
}

export interface AuditEventsTable {
  seq: ColumnType<string | number, number, number>;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  purpose: string | null;
  outcome: string;
  detail: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  prev_hash: string;
  hash: string;
}

export interface UsersTable {
  name: string;
  role: string;
  collection: string | null;
  token_hash: string | null;
  password_hash: string | null;
  created_at: Generated<Date>;
  created_by: string;
}

export interface HoldsTable {
  id: Generated<string>;
  target_kind: string;
  target: string;
  reason: string;
  set_by: string;
  set_at: Generated<Date>;
  released_by: string | null;
  released_at: Date | null;
  release_reason: string | null;
}

export interface Database {
  collections: CollectionsTable;
  assets: AssetsTable;
  analyses: AnalysesTable;
  derived: DerivedTable;
  search_entries: SearchEntriesTable;
  audit_events: AuditEventsTable;
  users: UsersTable;
  holds: HoldsTable;
}

export type { Json };
