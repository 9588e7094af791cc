-- The tally's record call: a POST of the JSON body given after `--`, each request with a fresh
-- `key` (one idempotency key per tap), unique across wrk's threads and runs. The summary line
-- is report.lua's, loaded from the path the runner gives in BENCH_REPORT_LUA.
dofile(os.getenv("BENCH_REPORT_LUA"))

local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

init = function(args)
  body, nonce = args[1], args[2]
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  sent = sent + 1
  local key = string.format("%s-%04x-4000-8000-%012x", nonce, id, sent)
  return wrk.format(nil, nil, nil, '{"key": "' .. key .. '", ' .. body:sub(2))
end
