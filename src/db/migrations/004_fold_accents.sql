-- Search folds accents on every engine: "cafe" finds "café" on PostgreSQL as it does in the embedded
-- FTS5 index (remove_diacritics). A text search configuration = simple + the unaccent dictionary.
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'vitrine_simple') THEN
    CREATE TEXT SEARCH CONFIGURATION vitrine_simple (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION vitrine_simple
      ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, simple;
  END IF;
END $$;
ALTER TABLE search_entries DROP COLUMN tsv;
ALTER TABLE search_entries ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('vitrine_simple'::regconfig, left(text, 500000))) STORED;
CREATE INDEX search_entries_tsv ON search_entries USING gin (tsv);
