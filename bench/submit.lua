-- wrk script for scenario 1: POST one durable noop job per request.
-- A static request (like the GET baseline), so wrk's own cost per request is the same for both.
-- A rejected submission (429/503/4xx) shows up in wrk's "Non-2xx or 3xx responses" line,
-- which bench/run.sh reports.
wrk.method = "POST"
wrk.body = '{"type":"noop","payload":{"bench":true}}'
wrk.headers["Content-Type"] = "application/json"
