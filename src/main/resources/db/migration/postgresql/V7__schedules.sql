-- Schedules (issue 16): cron schedules every node sees the same. A schedule's next_fire_at is the
-- earliest fire time not yet fired; the node that fires it moves it on with a compare-and-set in
-- the transaction that inserts the fire's job (whose idempotency key names the schedule and the fire
-- time), so each fire time is submitted once however many nodes tick. `definition` is the schedule
-- as the service validated it (JSON): cron, zone, the job, the misfire and overlap policies.
-- `revision` changes with the definition, so that a fire planned from an older one does not apply.
CREATE TABLE schedules (
    name               VARCHAR(64)              NOT NULL PRIMARY KEY,
    definition         TEXT                     NOT NULL,
    source             VARCHAR(16)              NOT NULL,
    paused             BOOLEAN                  NOT NULL DEFAULT FALSE,
    revision           BIGINT                   NOT NULL DEFAULT 1,
    next_fire_at       TIMESTAMP WITH TIME ZONE,
    last_fire_at       TIMESTAMP WITH TIME ZONE,
    last_job_id        VARCHAR(36),
    fires              BIGINT                   NOT NULL DEFAULT 0,
    triggers           BIGINT                   NOT NULL DEFAULT 0,
    misfires_skipped   BIGINT                   NOT NULL DEFAULT 0,
    overlaps_skipped   BIGINT                   NOT NULL DEFAULT 0,
    previous_cancelled BIGINT                   NOT NULL DEFAULT 0,
    created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at         TIMESTAMP WITH TIME ZONE NOT NULL
);

-- what each node's ticker reads: the schedules due first
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused;
