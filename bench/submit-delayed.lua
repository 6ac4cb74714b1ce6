-- wrk script for scenario 1, extra row: POST one durable noop job per request with a runAt far in
-- the future, so that the jobs are stored and queued but do not run during the measurement. It
-- separates the cost of the submit path from that of running the submitted jobs.
wrk.method = "POST"
wrk.body = '{"type":"noop","payload":{"bench":true},"delay":"P300D"}'
wrk.headers["Content-Type"] = "application/json"
