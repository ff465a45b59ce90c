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
--   WAYPOST_BENCH_AGENTS which User-Agent and Referer headers to send:
--                        "browsers" (default): a User-Agent drawn from eight
--                          current desktop and mobile browsers, and on half
--                          of the requests a Referer from five sites, as
--                          people's clicks carry them;
--                        "unique": the same, but every User-Agent made
--                          distinct by a counter in its Chrome, Firefox or
--                          Safari version, so no User-Agent is seen twice;
--                        "none": neither header (wrk sends no User-Agent of
--                          its own; the shortener counts such clicks as bots)
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

-- Common browsers as of 2024 (desktop and mobile); uap-core knows them all.
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
  "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) " ..
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
}
local referrers = {
  "https://www.google.com/",
  "https://t.co/",
  "https://www.facebook.com/",
  "https://www.reddit.com/r/programming/",
  "https://news.ycombinator.com/",
}
local agent_mode = "browsers"
local unique_count = 0
local unique_run = 0  -- the start second, so that later runs do not repeat earlier User-Agents

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
  agent_mode = os.getenv("WAYPOST_BENCH_AGENTS") or ""
  if agent_mode == "" then
    agent_mode = "browsers"
  end
  if agent_mode ~= "browsers" and agent_mode ~= "unique" and agent_mode ~= "none" then
    error("WAYPOST_BENCH_AGENTS must be browsers, unique or none, not " .. agent_mode)
  end
  unique_run = os.time() % 1000000
end

-- The headers of one request, after the path was drawn (see WAYPOST_BENCH_AGENTS).
local function click_headers()
  if agent_mode == "none" then
    return nil
  end
  local agent = agents[math.random(1, #agents)]
  if agent_mode == "unique" then
    unique_count = unique_count + 1
    local build = string.format("%d.%d.%d", unique_run, thread_id or 1, unique_count)
    local changed
    agent, changed = agent:gsub("Chrome/(%d+)%.0%.0%.0", "Chrome/%1.0." .. build, 1)
    if changed == 0 then
      agent, changed = agent:gsub("Firefox/(%d+)%.0", "Firefox/%1.0." .. build, 1)
    end
    if changed == 0 then
      agent = agent:gsub("Safari/(%d+)%.", "Safari/%1." .. build .. ".", 1)
    end
  end
  local headers = { ["User-Agent"] = agent }
  if math.random() < 0.5 then
    headers["Referer"] = referrers[math.random(1, #referrers)]
  end
  return headers
end

function request()
  local index
  if sweep_stride then
    index = sweep_next % #codes + 1
    sweep_next = sweep_next + sweep_stride
    return wrk.format("GET", "/" .. codes[index], click_headers())
  end
  sent = sent + 1
  if hot_count >= #codes or math.random() < hot_share then
    index = math.random(1, hot_count)
    sent_hot = sent_hot + 1
  else
    index = math.random(hot_count + 1, #codes)
  end
  return wrk.format("GET", "/" .. codes[index], click_headers())
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
