-- Vitrine schema v1. Same SQL on PGlite (embedded) and PostgreSQL (scale-out).

CREATE TABLE collections (
  name             text PRIMARY KEY,
  require_purpose  boolean NOT NULL DEFAULT false,
  purposes         jsonb NOT NULL DEFAULT '[]',   -- allowed purposes; empty = any
  analysers        jsonb,                          -- null = every analyser
  ocr_lang         jsonb,
  retention        text,                           -- e.g. '30d', '6m', '7y'
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
  id           text PRIMARY KEY,
  sha256       text NOT NULL,
  collection   text NOT NULL REFERENCES collections(name),
  path         text NOT NULL,
  name         text NOT NULL,
  type         text NOT NULL,
  mime         text NOT NULL,
  size         bigint NOT NULL,
  parent_id    text REFERENCES assets(id),
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  ingested_by  text NOT NULL,
  options      jsonb
);
-- One asset per content per collection (children: per parent), so re-running an ingest never duplicates.
CREATE UNIQUE INDEX assets_identity ON assets (collection, sha256, coalesce(parent_id, ''));
CREATE INDEX assets_sha256 ON assets (sha256);
CREATE INDEX assets_parent ON assets (parent_id);
CREATE INDEX assets_collection_time ON assets (collection, ingested_at);

CREATE TABLE analyses (
  sha256       text NOT NULL,
  analyser     text NOT NULL,
  version      integer NOT NULL,
  status       text NOT NULL,          -- queued | running | done | skipped | failed
  error        text,
  result       jsonb,
  attempts     integer NOT NULL DEFAULT 0,
  scheduled    boolean NOT NULL DEFAULT false,
  options      jsonb,
  queued_at    timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  ms           integer,
  PRIMARY KEY (sha256, analyser)
);
CREATE INDEX analyses_status ON analyses (analyser, status);

CREATE TABLE derived (
  id        bigserial PRIMARY KEY,
  sha256    text NOT NULL,
  analyser  text NOT NULL,
  kind      text NOT NULL,
  path      text NOT NULL,           -- relative to DATA/derived
  time      double precision,
  page      integer
);
CREATE INDEX derived_sha256 ON derived (sha256, analyser);

CREATE TABLE search_entries (
  id          bigserial PRIMARY KEY,
  asset_id    text NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  analyser    text NOT NULL,
  type        text NOT NULL,
  collection  text NOT NULL,
  text        text NOT NULL,
  page        integer,
  start_s     double precision,
  end_s       double precision,
  box         jsonb,
  tsv         tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(text, 500000))) STORED
);
CREATE INDEX search_entries_asset ON search_entries (asset_id);
CREATE INDEX search_entries_tsv ON search_entries USING gin (tsv);

CREATE TABLE audit_events (
  seq        bigint PRIMARY KEY,
  time       text NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  target     text,
  purpose    text,
  outcome    text NOT NULL,
  detail     jsonb,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_actor_action ON audit_events (actor, action);

CREATE TABLE users (
  name           text PRIMARY KEY,
  role           text NOT NULL,
  collection     text,                -- null: every collection
  token_hash     text UNIQUE,
  password_hash  text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     text NOT NULL
);

CREATE TABLE holds (
  id           bigserial PRIMARY KEY,
  target_kind  text NOT NULL,         -- asset | collection
  target       text NOT NULL,
  reason       text NOT NULL,
  set_by       text NOT NULL,
  set_at       timestamptz NOT NULL DEFAULT now(),
  released_by  text,
  released_at  timestamptz,
  release_reason text
);
CREATE INDEX holds_active ON holds (target_kind, target) WHERE released_at IS NULL;

INSERT INTO collections (name) VALUES ('default');
