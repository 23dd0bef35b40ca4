-- A read-mostly mix: every 10th request creates a payment (fresh Idempotency-Key), the rest
-- rotate over read paths. The bench prepends `paths`, `accounts`, `currency_of`, `auth` and
-- `run_id`. `thread_id` is a global set per wrk thread in setup() (see create_payment.lua).
local counter = 0
local threads_started = 0

setup = function(thread)
  threads_started = threads_started + 1
  thread:set("thread_id", threads_started)
end

request = function()
  counter = counter + 1
  if counter % 10 == 0 then
    local account = accounts[(counter % #accounts) + 1]
    local body = string.format(
      '{"account_id":%d,"amount_cents":1,"currency":"%s","merchant":"Bench mix"}',
      account, currency_of[account])
    return wrk.format("POST", "/api/v1/payments", {
      ["Authorization"] = auth,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = string.format("mix-%s-%d-%d", run_id, thread_id, counter),
    }, body)
  end
  return wrk.format("GET", paths[(counter % #paths) + 1], { ["Authorization"] = auth })
end
