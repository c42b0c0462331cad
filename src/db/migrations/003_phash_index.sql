-- Near-duplicate index: multi-index hashing over the 64-bit pHash. The hash is split into four 16-bit
-- chunks, each with a b-tree index; a hash within Hamming distance D of a query has at least one chunk
-- within floor(D/4) bits of the query's (pigeonhole), so a search looks up a few hundred chunk values
-- per chunk instead of scanning every hash. `hash` is the same 64 bits as a signed bigint.
--
-- Kept in step with `analyses` by triggers: a done `phash` row adds its hash, anything else (re-run,
-- new version, failure, erasure deleting the row) removes it. No service has to remember to do it.

CREATE TABLE phash_index (
  sha256  text PRIMARY KEY,
  hash    bigint NOT NULL,
  h0      integer NOT NULL,   -- bits 63..48
  h1      integer NOT NULL,   -- bits 47..32
  h2      integer NOT NULL,   -- bits 31..16
  h3      integer NOT NULL    -- bits 15..0
);
CREATE INDEX phash_index_h0 ON phash_index (h0);
CREATE INDEX phash_index_h1 ON phash_index (h1);
CREATE INDEX phash_index_h2 ON phash_index (h2);
CREATE INDEX phash_index_h3 ON phash_index (h3);

CREATE FUNCTION phash_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hex text;
  v bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM phash_index WHERE sha256 = OLD.sha256;
    RETURN OLD;
  END IF;
  hex := NEW.result ->> 'hash';
  IF NEW.status = 'done' AND hex ~ '^[0-9a-f]{16}$' THEN
    v := ('x' || hex)::bit(64)::bigint;
    INSERT INTO phash_index (sha256, hash, h0, h1, h2, h3)
      VALUES (NEW.sha256, v, ((v >> 48) & 65535)::int, ((v >> 32) & 65535)::int, ((v >> 16) & 65535)::int, (v & 65535)::int)
      ON CONFLICT (sha256) DO UPDATE SET hash = EXCLUDED.hash, h0 = EXCLUDED.h0, h1 = EXCLUDED.h1, h2 = EXCLUDED.h2, h3 = EXCLUDED.h3;
  ELSE
    DELETE FROM phash_index WHERE sha256 = NEW.sha256;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER phash_index_upsert AFTER INSERT OR UPDATE ON analyses
  FOR EACH ROW WHEN (NEW.analyser = 'phash') EXECUTE FUNCTION phash_index_sync();
CREATE TRIGGER phash_index_delete AFTER DELETE ON analyses
  FOR EACH ROW WHEN (OLD.analyser = 'phash') EXECUTE FUNCTION phash_index_sync();

-- Hashes computed before this migration.
INSERT INTO phash_index (sha256, hash, h0, h1, h2, h3)
  SELECT sha256, v, ((v >> 48) & 65535)::int, ((v >> 32) & 65535)::int, ((v >> 16) & 65535)::int, (v & 65535)::int
    FROM (SELECT sha256, ('x' || (result ->> 'hash'))::bit(64)::bigint AS v FROM analyses
           WHERE analyser = 'phash' AND status = 'done' AND (result ->> 'hash') ~ '^[0-9a-f]{16}$') s;
