-- Queues and concurrency keys (the same as PostgreSQL's V6; instants are INTEGER microseconds).
-- A job's lane is its queue and its concurrency key ('' for none): the claim takes turns among
-- the lanes with queued jobs and counts the running jobs of a lane against its queue's limits.
ALTER TABLE jobs ADD COLUMN queue TEXT NOT NULL DEFAULT 'default' CHECK (length(queue) <= 64);
ALTER TABLE jobs ADD COLUMN concurrency_key TEXT NOT NULL DEFAULT '' CHECK (length(concurrency_key) <= 255);

-- the ready jobs of each lane in dispatch order: the claim walks one lane at a time, and skips
-- from lane to lane on the same index to find the lanes that have any
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (queue, concurrency_key, priority DESC, run_at, id) WHERE state = 'QUEUED';
-- the running jobs of each lane and node, counted (from the index alone) against the limits. It
-- replaces the index of the running jobs by lease expiry: one index fewer to keep on every claim and
-- completion; the reaper reads all running jobs (at most the cluster's slots) from this one instead
DROP INDEX jobs_leases;
CREATE INDEX jobs_running ON jobs (queue, concurrency_key, instance) WHERE state = 'RUNNING';

-- whether a queue is paused (one process owns the file, but the row is kept the same way)
CREATE TABLE queues (
    name       TEXT    NOT NULL PRIMARY KEY CHECK (length(name) <= 64),
    paused     INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER
);
