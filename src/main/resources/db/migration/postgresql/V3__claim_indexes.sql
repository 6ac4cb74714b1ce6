-- PostgreSQL claims jobs straight from the table: the ready jobs in dispatch order, and the
-- running jobs by lease expiry for the reaper, each as a small partial index.
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'QUEUED';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'RUNNING';
CREATE INDEX jobs_cancel_requested ON jobs (node) WHERE cancel_requested;
-- the earliest delayed job, so an idle dispatcher knows how long it may sleep
CREATE INDEX jobs_queued_run_at ON jobs (run_at) WHERE state = 'QUEUED';
