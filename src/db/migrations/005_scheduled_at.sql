-- When an analysis was handed to the queue: the lost-work sweep re-queues only work whose job is long
-- overdue, instead of every queued row on every sweep.
ALTER TABLE analyses ADD COLUMN scheduled_at timestamptz;
CREATE INDEX analyses_unsettled ON analyses (status) WHERE status IN ('queued', 'running');
