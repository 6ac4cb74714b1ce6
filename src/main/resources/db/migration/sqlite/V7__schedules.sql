-- Schedules (the same as PostgreSQL's V7; instants are INTEGER microseconds).
CREATE TABLE schedules (
    name               TEXT    NOT NULL PRIMARY KEY CHECK (length(name) <= 64),
    definition         TEXT    NOT NULL,
    source             TEXT    NOT NULL,
    paused             INTEGER NOT NULL DEFAULT 0,
    revision           INTEGER NOT NULL DEFAULT 1,
    next_fire_at       INTEGER,
    last_fire_at       INTEGER,
    last_job_id        TEXT,
    fires              INTEGER NOT NULL DEFAULT 0,
    triggers           INTEGER NOT NULL DEFAULT 0,
    misfires_skipped   INTEGER NOT NULL DEFAULT 0,
    overlaps_skipped   INTEGER NOT NULL DEFAULT 0,
    previous_cancelled INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused;
