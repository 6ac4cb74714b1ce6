-- Job output and log streams (issue 17): what a job writes as it runs, in chunks, so that any node
-- serves it and retention deletes it with its job. A stream belongs to one claim of its job (its
-- fencing token, which never repeats): a retried attempt writes a stream of its own, and one that
-- lost its lease cannot write into its successor's. `start_offset` is the byte at which the chunk
-- starts in its stream: a range request reads only the chunks it needs.
CREATE TABLE job_chunks (
    job_id        VARCHAR(36) NOT NULL,
    fencing_token BIGINT      NOT NULL,
    stream        VARCHAR(8)  NOT NULL,
    seq           INTEGER     NOT NULL,
    start_offset  BIGINT      NOT NULL,
    data          BYTEA       NOT NULL,
    PRIMARY KEY (job_id, fencing_token, stream, seq)
);
