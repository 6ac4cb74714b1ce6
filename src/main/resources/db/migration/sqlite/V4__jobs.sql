-- The embedded store on SQLite: the schema PostgreSQL reaches with V1-V4, in one step (the version
-- numbers of both databases stay the same). Instants are INTEGER microseconds since the epoch
-- (UTC); booleans are 0/1. Text sizes are checked as PostgreSQL's column types check them.
CREATE TABLE jobs (
    id               TEXT    NOT NULL PRIMARY KEY,
    type             TEXT    NOT NULL CHECK (length(type) <= 100),
    payload          TEXT    NOT NULL CHECK (length(payload) <= 1048576),
    state            TEXT    NOT NULL,
    priority         INTEGER NOT NULL,
    max_attempts     INTEGER NOT NULL,
    attempt          INTEGER NOT NULL,
    timeout_ms       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    idempotency_key  TEXT    UNIQUE CHECK (length(idempotency_key) <= 255),
    result           TEXT    CHECK (length(result) <= 1048576),
    error_code       TEXT,
    error_message    TEXT,
    progress         REAL,
    node             TEXT,
    instance         TEXT,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    lease_until      INTEGER,
    fencing_token    INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);

-- listing by state and by type, newest first
CREATE INDEX jobs_state_id ON jobs (state, id);
CREATE INDEX jobs_type_id ON jobs (type, id);
-- retention: terminal jobs by age
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;
-- the claim: ready jobs in dispatch order
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'QUEUED';
-- the earliest delayed job, so an idle dispatcher knows how long it may sleep
CREATE INDEX jobs_queued_run_at ON jobs (run_at) WHERE state = 'QUEUED';
-- the reaper: running jobs by lease expiry
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'RUNNING';
-- cancels asked for the jobs an instance runs
CREATE INDEX jobs_cancel_requested ON jobs (instance) WHERE cancel_requested;

CREATE TABLE nodes (
    instance     TEXT    NOT NULL PRIMARY KEY,
    node         TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    concurrency  INTEGER NOT NULL
);
