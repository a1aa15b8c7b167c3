-- wrk script for scenario (e): a flood of POST /api/v1/auth/login/ with the
-- right password, rotating over the 1000 accounts bench/seed creates
-- (bench1..bench1000, password Bench-pass-1), each of which has 10 live
-- sessions already. Every request is a full argon2id verify (m=19 MiB, t=2,
-- p=1) plus one committed INSERT of a session row. Building the request in
-- Lua costs wrk a few microseconds, nothing next to a ~20 ms hash. done()
-- prints the same RESULT line as bench/stats.lua.
local users = 1000
local n = 0
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  thread:set("offset", n * 500)
  n = n + 1
end

function init(args)
  i = offset or 0
end

function request()
  i = i + 1
  local body = string.format('{"identifier":"bench%d","password":"Bench-pass-1"}', i % users + 1)
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
