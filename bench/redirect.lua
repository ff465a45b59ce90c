-- wrk script for the redirect benchmark: GET /{code} with a skewed choice of
-- codes, so that the first 20% of the codes in the list draw 80% of the
-- requests (the hot set the shortener's design assumes).
--
-- Environment:
--   WAYPOST_BENCH_CODES  file with one code per line (required for waypost;
--                        any path works against a server that answers every
--                        path alike, such as the nginx reference)
--   WAYPOST_BENCH_HOT_SHARE   share of requests sent to the hot set (0.8)
--   WAYPOST_BENCH_HOT_LINKS   share of the links in the hot set (0.2)
--   WAYPOST_BENCH_SWEEP  if set to the number of wrk threads, walk through
--                        all codes in order instead (thread k takes codes
--                        k, k+N, k+2N, ...): used to fill the server's cache
--
-- At the end one machine-readable line is printed:
--   BENCH kind=redirect requests=N duration_us=N rps=N p50_us=N p90_us=N
--         p99_us=N max_us=N status_errors=N socket_errors=N hot_fraction=F

local codes = {}
local hot_count = 0
local hot_share = 0.8
local sweep_stride = nil
local sweep_next = 0
-- Globals, not locals: done() reads them from each thread with thread:get().
sent = 0
sent_hot = 0

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

local function load_codes(path)
  local list = {}
  local file = io.open(path, "r")
  if not file then
    error("cannot open codes file " .. path)
  end
  for line in file:lines() do
    if #line > 0 then
      list[#list + 1] = line
    end
  end
  file:close()
  return list
end

function init(args)
  local path = os.getenv("WAYPOST_BENCH_CODES")
  if path and #path > 0 then
    codes = load_codes(path)
  else
    codes = { "abcdefg" }
  end
  hot_share = tonumber(os.getenv("WAYPOST_BENCH_HOT_SHARE") or "") or 0.8
  local hot_links = tonumber(os.getenv("WAYPOST_BENCH_HOT_LINKS") or "") or 0.2
  hot_count = math.max(1, math.floor(#codes * hot_links))
  -- A fixed seed per thread: every run (waypost or nginx) asks for the same
  -- sequence of paths.
  math.randomseed(7919 * (thread_id or 1))
  sweep_stride = tonumber(os.getenv("WAYPOST_BENCH_SWEEP") or "")
  sweep_next = (thread_id or 1) - 1
end

function request()
  local index
  if sweep_stride then
    index = sweep_next % #codes + 1
    sweep_next = sweep_next + sweep_stride
    return wrk.format("GET", "/" .. codes[index])
  end
  sent = sent + 1
  if hot_count >= #codes or math.random() < hot_share then
    index = math.random(1, hot_count)
    sent_hot = sent_hot + 1
  else
    index = math.random(hot_count + 1, #codes)
  end
  return wrk.format("GET", "/" .. codes[index])
end

function done(summary, latency, requests)
  local total_sent, total_hot = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + (thread:get("sent") or 0)
    total_hot = total_hot + (thread:get("sent_hot") or 0)
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH kind=redirect requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d " ..
    "p99_us=%d max_us=%d status_errors=%d socket_errors=%d hot_fraction=%.3f\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    total_sent > 0 and total_hot / total_sent or 0))
end
