-- Leases belong to a process start (an instance), not to a node name: a process restarted under
-- its old name no longer renews the leases of the process that died.

ALTER TABLE jobs ADD COLUMN instance VARCHAR(64);

-- what the heartbeat asks for: the cancels of the jobs this instance runs
DROP INDEX jobs_cancel_requested;
CREATE INDEX jobs_cancel_requested ON jobs (instance) WHERE cancel_requested;

-- the registry lists instances; the node name is their label
DROP TABLE nodes;
CREATE TABLE nodes (
    instance     VARCHAR(64)              NOT NULL PRIMARY KEY,
    node         VARCHAR(255)             NOT NULL,
    started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at TIMESTAMP WITH TIME ZONE NOT NULL,
    concurrency  INTEGER                  NOT NULL
);

-- jobs RUNNING under a lease of the old kind belong to no instance: nothing renews them now, so
-- the reaper takes them when their lease runs out

-- the code before this version cleared a cancel flag at the next claim; now a flag means "this
-- attempt ends CANCELLED": clear any left on jobs that are not running
UPDATE jobs SET cancel_requested = FALSE WHERE cancel_requested AND state <> 'RUNNING';
