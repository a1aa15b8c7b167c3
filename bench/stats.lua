-- wrk script for the GET scenarios: the request is wrk's static one (URL and
-- -H headers, no per-request Lua), and done() prints one machine-readable
-- line that bench/load.sh collects:
--   RESULT {"requests":..,"duration_us":..,"rps":..,"p50_us":..,"p99_us":..,"non2xx":..,"errors":..}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
