-- wrk script for bench/cluster/run.sh: POST one immediate noop job per request (used to warm the
-- instances up before the latency measurement; the jobs run at once).
wrk.method = "POST"
wrk.body = '{"type":"noop"}'
wrk.headers["Content-Type"] = "application/json"
