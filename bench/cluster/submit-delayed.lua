-- wrk script for bench/cluster/run.sh scenario 5: POST one durable noop job per request with a
-- runAt far in the future, so that the jobs are stored in PostgreSQL but none runs while the
-- submit path is measured.
wrk.method = "POST"
wrk.body = '{"type":"noop","runAt":"2099-01-01T00:00:00Z"}'
wrk.headers["Content-Type"] = "application/json"
