-- Browser sessions, in the database so that a restart keeps people logged in and several `serve` processes
-- behind one address share them. Only a hash of the session id is stored: a copy of this table opens nothing.
CREATE TABLE sessions (
  id_hash     text PRIMARY KEY,
  user_name   text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf        text NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expires ON sessions (expires_at);
