-- wrk script for the creation benchmark: POST /api/v1/shorten with a long
-- URL that no earlier request of the run has used, so that every request
-- creates a new link with a generated code.
--
-- Environment:
--   WAYPOST_BENCH_URLS  file of destination URLs, one a line; each request
--                       takes the next one and adds a unique query parameter
--                       (without it, synthetic https://example.com/ URLs)
--   WAYPOST_BENCH_RUN   tag put into every URL so that runs never collide
--
-- At the end one machine-readable line is printed, then one NON201 line for
-- each kind of unexpected answer seen (status and the start of its body):
--   BENCH kind=create requests=N duration_us=N rps=N p50_us=N p90_us=N
--         p99_us=N max_us=N created=N non201=N socket_errors=N connect=N
--         read=N write=N timeout=N
--   NON201 status=N count=N body=...

local urls = {}
local run_tag = "run"

local threads = {}
local next_id = 0

-- Globals, read by done() through thread:get().
created = 0
non201 = 0
samples = ""

local counter = 0
local seen_samples = {}

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("WAYPOST_BENCH_URLS")
  if path and #path > 0 then
    local file = io.open(path, "r")
    if not file then
      error("cannot open URL file " .. path)
    end
    for line in file:lines() do
      if #line > 0 then
        urls[#urls + 1] = line
      end
    end
    file:close()
  end
  if #urls == 0 then
    urls = { "https://example.com/page" }
  end
  run_tag = os.getenv("WAYPOST_BENCH_RUN") or tostring(os.time())
  -- Threads start at different places in the list.
  counter = ((thread_id or 1) - 1) * 1009
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function request()
  counter = counter + 1
  local base = urls[(counter - 1) % #urls + 1]
  local separator = base:find("?", 1, true) and "&" or "?"
  local long_url = string.format("%s%swpbench=%s-%d-%d", base, separator, run_tag,
                                 thread_id or 1, counter)
  local body = '{"long_url":' .. json_string(long_url) .. '}'
  return wrk.format("POST", "/api/v1/shorten",
                    { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    return
  end
  non201 = non201 + 1
  local key = tostring(status)
  local count = (seen_samples[key] or 0) + 1
  seen_samples[key] = count
  if count == 1 then
    local excerpt = (body or ""):sub(1, 200):gsub("%s+", " ")
    samples = samples .. "status=" .. key .. " body=" .. excerpt .. "\n"
  end
end

function done(summary, latency, requests)
  local total_created, total_non201, all_samples = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_created = total_created + (thread:get("created") or 0)
    total_non201 = total_non201 + (thread:get("non201") or 0)
    all_samples = all_samples .. (thread:get("samples") or "")
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH kind=create requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d " ..
    "p99_us=%d max_us=%d created=%d non201=%d socket_errors=%d connect=%d read=%d " ..
    "write=%d timeout=%d\n",
    summary.requests, summary.duration, total_created / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    total_created, total_non201,
    errors.connect + errors.read + errors.write + errors.timeout,
    errors.connect, errors.read, errors.write, errors.timeout))
  for line in all_samples:gmatch("[^\n]+") do
    io.write("NON201 " .. line .. "\n")
  end
end
