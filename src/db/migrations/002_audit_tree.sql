-- Accountability (issue 7). The Merkle frontier of the audit log: one row, advanced in the same transaction
-- as every append, so a checkpoint signs the root in O(log n) without rescanning the log.
CREATE TABLE audit_tree (
  id     smallint PRIMARY KEY CHECK (id = 1),
  size   bigint NOT NULL,          -- events covered (= seq of the last one)
  nodes  jsonb NOT NULL            -- MerkleBuilder.state().nodes: roots of the perfect subtrees, biggest first
);
-- size 0 also for a log that already has events: the first append catches up from the stored hashes.
INSERT INTO audit_tree (id, size, nodes) VALUES (1, 0, '[]');

CREATE INDEX audit_events_action_time ON audit_events (action, time);
CREATE INDEX assets_ingested_at ON assets (ingested_at);
