-- wrk script for scenario (e): a flood of POST /api/v1/auth/login/ with a
-- valid password for one seeded account (bench/seed: bench2 / Bench-pass-1).
-- Every request is a full argon2id verify (m=19 MiB, t=2, p=1) plus one
-- committed INSERT of a session row. The request is static (set once here),
-- so wrk spends no Lua per request. done() prints the same RESULT line as
-- bench/stats.lua.
wrk.method = "POST"
wrk.body = '{"identifier":"bench2","password":"Bench-pass-1"}'
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
