-- POST /api/v1/payments with a fresh Idempotency-Key per request, rotating over accounts.
-- The bench prepends `accounts`, `currency_of`, `auth` and `run_id` before each run.
-- `thread_id` is a global set per wrk thread in setup(): a local here would shadow it and
-- make both threads send the same keys (replays and 409s instead of new payments).
local counter = 0
local threads_started = 0

setup = function(thread)
  threads_started = threads_started + 1
  thread:set("thread_id", threads_started)
end

request = function()
  counter = counter + 1
  local account = accounts[(counter % #accounts) + 1]
  local body = string.format(
    '{"account_id":%d,"amount_cents":1,"currency":"%s","merchant":"Bench Café"}',
    account, currency_of[account])
  local key = string.format("bench-%s-%d-%d", run_id, thread_id, counter)
  return wrk.format("POST", "/api/v1/payments", {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end
