-- Workflows: graphs of steps, each step a job. A step waits (state WAITING) until its open
-- dependencies, counted in jobs.waiting_on, reach zero; the completion that ends the last one
-- releases it in the same transaction. Children a running step adds are jobs with parent_id set,
-- numbered in the order they were added; the step ends only when they have all ended
-- (jobs.open_children).
CREATE TABLE workflows (
    id              VARCHAR(36)              NOT NULL PRIMARY KEY,
    name            VARCHAR(200),
    idempotency_key VARCHAR(255),
    on_failure      VARCHAR(32)              NOT NULL,
    state           VARCHAR(16)              NOT NULL,
    steps           INTEGER                  NOT NULL,
    open_steps      INTEGER                  NOT NULL,
    failed_steps    INTEGER                  NOT NULL DEFAULT 0,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at     TIMESTAMP WITH TIME ZONE,
    CONSTRAINT workflows_idempotency_key UNIQUE (idempotency_key)
);

-- listing by state and by name, newest first; retention by age
CREATE INDEX workflows_state_id ON workflows (state, id);
CREATE INDEX workflows_name_id ON workflows (name, id);
CREATE INDEX workflows_finished_at ON workflows (finished_at) WHERE finished_at IS NOT NULL;

ALTER TABLE jobs ADD COLUMN workflow_id VARCHAR(36);
ALTER TABLE jobs ADD COLUMN step_id VARCHAR(100);
ALTER TABLE jobs ADD COLUMN waiting_on INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN parent_id VARCHAR(36);
ALTER TABLE jobs ADD COLUMN seq INTEGER;
ALTER TABLE jobs ADD COLUMN open_children INTEGER NOT NULL DEFAULT 0;

-- a workflow's jobs; a step's children in the order they were added (seq is a step's place in its
-- workflow, a child's among its parent's children: a retried step that adds the same children
-- again adds nothing twice)
CREATE INDEX jobs_workflow ON jobs (workflow_id, seq) WHERE workflow_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_children ON jobs (parent_id, seq) WHERE parent_id IS NOT NULL;

-- "job_id waits for depends_on": walked from the dependency when it ends, and from the step for
-- its dependencies' results
CREATE TABLE job_dependencies (
    depends_on VARCHAR(36) NOT NULL,
    job_id     VARCHAR(36) NOT NULL,
    PRIMARY KEY (depends_on, job_id)
);
CREATE INDEX job_dependencies_job ON job_dependencies (job_id);
