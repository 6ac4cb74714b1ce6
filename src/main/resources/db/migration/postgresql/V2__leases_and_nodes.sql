-- Cluster support: leases held by running jobs, cross-node cancel, and the node registry.

-- when the lease of a RUNNING job ends unless its node renews it
ALTER TABLE jobs ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;
-- grows with every claim of the job; a completion must carry the current one
ALTER TABLE jobs ADD COLUMN fencing_token BIGINT DEFAULT 0 NOT NULL;
-- a cancel asked through a node that does not run the job
ALTER TABLE jobs ADD COLUMN cancel_requested BOOLEAN DEFAULT FALSE NOT NULL;

CREATE TABLE nodes (
    id           VARCHAR(255)             NOT NULL PRIMARY KEY,
    started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at TIMESTAMP WITH TIME ZONE NOT NULL,
    concurrency  INTEGER                  NOT NULL
);
