-- wrk script for bench/run.sh.
--
-- Environment:
--   BENCH_WRK_MODE   get (default) | create | bulk
--   BENCH_WRK_TARGET fluenzr | pocketbase  (body shape for bulk)
--   BENCH_GROUP_ID   group id placed on bulk rows
--   BENCH_BULK_ROWS  rows per bulk request (default 1000)
--
-- Authorization comes from wrk's -H. done() prints one line:
--   WRKRESULT {"requests":..,"http_errors":..,"socket_errors":..,"duration_s":..,"rps":..,"ok_rps":..,"p50_ms":..,"p99_ms":..}

local mode = os.getenv("BENCH_WRK_MODE") or "get"
local target = os.getenv("BENCH_WRK_TARGET") or "fluenzr"
local group = os.getenv("BENCH_GROUP_ID") or ""
local bulk_rows = tonumber(os.getenv("BENCH_BULK_ROWS") or "1000")

-- main Lua state: hand each thread its own id so generated emails never collide
local next_id = 1
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local n = 0

local function bulk_body()
  local rows = {}
  for i = 1, bulk_rows do
    n = n + 1
    local email = string.format("b%d-%d@bench.test", tid, n)
    local row
    if target == "pocketbase" then
      row = string.format(
        '{"method":"POST","url":"/api/collections/contacts/records","body":{"email":"%s","firstName":"Bench","lastName":"Row","company":"Bench Co","groupId":"%s","customFields":{"plan":"gold","score":%d}}}',
        email, group, n % 100)
    else
      row = string.format(
        '{"email":"%s","firstName":"Bench","lastName":"Row","company":"Bench Co","customFields":{"plan":"gold","score":%d}}',
        email, n % 100)
    end
    rows[i] = row
  end
  if target == "pocketbase" then
    return '{"requests":[' .. table.concat(rows, ",") .. ']}'
  end
  return '{"contacts":[' .. table.concat(rows, ",") .. '],"groupIds":["' .. group .. '"],"onDuplicate":"skip"}'
end

if mode == "create" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  request = function()
    n = n + 1
    local body = string.format('{"email":"w%d-%d@bench.test","firstName":"A"}', tid, n)
    return wrk.format(nil, nil, nil, body)
  end
elseif mode == "bulk" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  request = function()
    return wrk.format(nil, nil, nil, bulk_body())
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  local ok = summary.requests - e.status
  if ok < 0 then ok = 0 end
  io.write(string.format(
    'WRKRESULT {"requests":%d,"http_errors":%d,"socket_errors":%d,"duration_s":%.3f,"rps":%.2f,"ok_rps":%.2f,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, e.status, sock, secs, summary.requests / secs, ok / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
