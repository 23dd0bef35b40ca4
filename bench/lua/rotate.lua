-- Rotate GET requests over a list of paths (set by the bench in `paths`), one per request.
-- The bench writes `paths` and `auth` into a copy of this script before each run.
local index = 0
request = function()
  index = index + 1
  local path = paths[(index % #paths) + 1]
  return wrk.format("GET", path, { ["Authorization"] = auth })
end
