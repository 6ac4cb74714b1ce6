-- Jobs: one row each, for H2 and PostgreSQL alike.
CREATE TABLE jobs (
    id              VARCHAR(36)      NOT NULL PRIMARY KEY,
    type            VARCHAR(100)     NOT NULL,
    payload         VARCHAR(1048576) NOT NULL,
    state           VARCHAR(16)      NOT NULL,
    priority        SMALLINT         NOT NULL,
    max_attempts    INTEGER          NOT NULL,
    attempt         INTEGER          NOT NULL,
    timeout_ms      BIGINT           NOT NULL,
    run_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    idempotency_key VARCHAR(255),
    result          VARCHAR(1048576),
    error_code      VARCHAR(64),
    error_message   VARCHAR(4000),
    progress        DOUBLE PRECISION,
    node            VARCHAR(255),
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at      TIMESTAMP WITH TIME ZONE,
    finished_at     TIMESTAMP WITH TIME ZONE,
    CONSTRAINT jobs_idempotency_key UNIQUE (idempotency_key)
);

-- listing by state, newest first
CREATE INDEX jobs_state_id ON jobs (state, id);
-- listing by type, newest first
CREATE INDEX jobs_type_id ON jobs (type, id);
-- retention: terminal jobs by age (NULL while not terminal)
CREATE INDEX jobs_finished_at ON jobs (finished_at);
