-- wrk's summary in one parseable line (latencies in microseconds). wrk counts a status of 400 or
-- more as a status error; the runner checks each URL answers 200 with curl before and after.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
