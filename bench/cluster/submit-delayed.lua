-- wrk script for bench/cluster/run.sh scenario 5: POST one durable noop job per request with a
-- runAt far in the future, so that the jobs are stored in PostgreSQL but none runs while the
-- submit path is measured.
wrk.method = "POST"
wrk.body = '{"type":"noop","delay":"P300D"}'
wrk.headers["Content-Type"] = "application/json"
