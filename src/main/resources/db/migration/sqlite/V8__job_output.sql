-- Job output and log streams (the same as PostgreSQL's V8).
CREATE TABLE job_chunks (
    job_id        TEXT    NOT NULL,
    fencing_token INTEGER NOT NULL,
    stream        TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    start_offset  INTEGER NOT NULL,
    data          BLOB    NOT NULL,
    PRIMARY KEY (job_id, fencing_token, stream, seq)
) WITHOUT ROWID;
