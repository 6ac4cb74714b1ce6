-- Queues and concurrency keys (issue 15). A job's lane is its queue and its concurrency key ('' for
-- none): the claim takes turns among the lanes with queued jobs and counts the running jobs of a
-- lane against its queue's limits. Both columns sort by their bytes (collation "C", as SQLite's
-- BINARY): the turns go round the lanes in the order the index holds them, which the service
-- compares the same way.
ALTER TABLE jobs ADD COLUMN queue VARCHAR(64) COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE jobs ADD COLUMN concurrency_key VARCHAR(255) COLLATE "C" NOT NULL DEFAULT '';

-- the ready jobs of each lane in dispatch order: the claim walks one lane at a time, and skips
-- from lane to lane on the same index to find the lanes that have any
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (queue, concurrency_key, priority DESC, run_at, id) WHERE state = 'QUEUED';
-- the running jobs of each lane and node, counted (from the index alone) against the limits. It
-- replaces the index of the running jobs by lease expiry: one index fewer to keep on every claim and
-- completion; the reaper reads all running jobs (at most the cluster's slots) from this one instead
DROP INDEX jobs_leases;
CREATE INDEX jobs_running ON jobs (queue, concurrency_key, instance) WHERE state = 'RUNNING';

-- what every node must see the same: whether a queue is paused. A limited queue's row is also
-- what the claims of its jobs lock, one node at a time, while they count its running jobs.
CREATE TABLE queues (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    paused     BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP WITH TIME ZONE
);
