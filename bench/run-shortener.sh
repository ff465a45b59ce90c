#!/usr/bin/env bash
# Benchmark of the URL shortener's two hot paths, redirects and creations,
# with a static nginx 301 as the yardstick. Redirects are measured twice in
# the same run: with click analytics on (the default) and off, to give the
# analytics' cost. Writes bench/RESULTS.md (keeping the other scripts'
# sections of it).
#
# Usage: bench/run-shortener.sh [PATH/TO/shortener-server]
#
# Without an argument a Release build of shortener-server is made in
# build-bench/. Everything runs on 127.0.0.1; every load is bounded in time;
# all processes started here are stopped on exit. Knobs (environment):
#   BENCH_LINKS=100000       links preloaded into the database
#   BENCH_DURATION=10        seconds of each measured redirect run
#   BENCH_WARMUP=3           seconds of warm-up before each redirect run
#   BENCH_FILL=5             seconds of a sweep over all codes that fills each
#                            server's cache once, before the first round
#   BENCH_ROUNDS=3           rounds of nginx, analytics on, analytics off
#                            (median taken)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=64         wrk for redirects
#   BENCH_AGENTS=browsers    User-Agent and Referer headers of the redirect
#                            requests: browsers, unique or none (see redirect.lua)
#   BENCH_DRAIN_TIMEOUT=120  seconds at most to wait for queued clicks to be stored
#   BENCH_CREATE_DURATION=10 BENCH_CREATE_CONNECTIONS=16   wrk for creations
#   BENCH_RESULTS=bench/RESULTS.md   where the report goes
set -euo pipefail

started_at=$(date +%s)
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)
invocation="bench/run-shortener.sh${*:+ $*}"

links=${BENCH_LINKS:-100000}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-3}
fill=${BENCH_FILL:-5}
rounds=${BENCH_ROUNDS:-3}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-64}
agents=${BENCH_AGENTS:-browsers}
drain_timeout=${BENCH_DRAIN_TIMEOUT:-120}
create_duration=${BENCH_CREATE_DURATION:-10}
create_connections=${BENCH_CREATE_CONNECTIONS:-16}
results_file=${BENCH_RESULTS:-$bench_dir/RESULTS.md}
url_source=$repo_dir/tests/data/urls/web-pages.txt
cores=$(nproc)

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"  # require_positive_integers, stop_process, count_compilers, ...

require_positive_integers run-shortener links duration warmup fill rounds threads connections \
  drain_timeout create_duration create_connections
if [[ $agents != browsers && $agents != unique && $agents != none ]]; then
  echo "run-shortener: BENCH_AGENTS must be browsers, unique or none, got '$agents'" >&2
  exit 2
fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
num() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

# --- processes and cleanup ---------------------------------------------------

work_dir=$(mktemp -d -t waypost-bench.XXXXXX)
# Two shortener-server instances, by name: "on" (click analytics on, the
# default) and "off" (--no-analytics), each with its own copy of the database.
declare -A server_pid=([on]="" [off]="")
declare -A server_port=([on]="" [off]="")
nginx_pid=""
watcher_pid=""

cleanup() {
  local status=$? name
  trap - EXIT INT TERM
  for name in on off; do
    stop_process "${server_pid[$name]}" "shortener-server ($name)"
  done
  stop_process "$nginx_pid" nginx
  stop_process "$watcher_pid" watcher
  if [[ $status -ne 0 ]]; then
    for name in on off; do
      [[ -s $work_dir/server-$name.log ]] || continue
      log "last lines of the server log (analytics $name):"
      tail -n 20 "$work_dir/server-$name.log" >&2 || true
    done
  fi
  rm -rf "$work_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools and binary --------------------------------------------------------

log "checking packages (scripts/install-deps.sh)"
bash "$repo_dir/scripts/install-deps.sh" >&2
for tool in wrk nginx sqlite3 curl awk ss; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -r $url_source ]] || die "cannot read $url_source"

server_bin=$(release_binary shortener-server apps/shortener-server "${1:-}")
log "server binary: $server_bin"
bench_started_at=$(date +%s)
build_seconds=$((bench_started_at - started_at))

# --- the shortener -----------------------------------------------------------

database_of() {  # instance
  echo "$work_dir/links-$1.db"
}

# start_server NAME: shortener-server with analytics on (NAME "on") or off
# ("off") on a free port, on its own database. Loopback is exempt from the
# rate limits, which would otherwise refuse the creation load after 20 links
# (the redirect path of a known code consults no rate limit).
start_server() {
  local name=$1 analytics_flag port_file=$work_dir/server-$1.port
  if [[ $name == on ]]; then analytics_flag=--analytics; else analytics_flag=--no-analytics; fi
  rm -f "$port_file"
  "$server_bin" --address 127.0.0.1 --port 0 --port-file "$port_file" \
    --database "$(database_of "$name")" --log-level warn --cache-size 200000 \
    --io-threads "$cores" --shutdown-grace-ms 2000 --rate-limit-exempt 127.0.0.1 \
    --public-url http://127.0.0.1 "$analytics_flag" >>"$work_dir/server-$name.log" 2>&1 &
  server_pid[$name]=$!
  for _ in $(seq 100); do
    [[ -s $port_file ]] && break
    kill -0 "${server_pid[$name]}" 2>/dev/null || die "shortener-server ($name) exited at start"
    sleep 0.1
  done
  [[ -s $port_file ]] || die "shortener-server ($name) wrote no port file within 10 s"
  server_port[$name]=$(tr -d '[:space:]' <"$port_file")
  curl -fsS --max-time 5 "http://127.0.0.1:${server_port[$name]}/healthz" >/dev/null \
    || die "shortener-server ($name) is not healthy"
  log "shortener-server (analytics $name) pid ${server_pid[$name]} on 127.0.0.1:${server_port[$name]}"
}

stop_server() {  # name
  stop_process "${server_pid[$1]}" "shortener-server ($1)"
  server_pid[$1]=""
}

metric() {  # instance, name (with its labels, as /metrics prints them): its value, 0 if absent
  curl -fsS --max-time 5 "http://127.0.0.1:${server_port[$1]}/metrics" \
    | awk -v name="$2" '$1 == name { value = $2 } END { printf "%d\n", value + 0 }'
}

redirects_metric='http_requests_total{route="redirect",status="301"}'

# cpu_ticks PID...: user + system CPU time of these processes so far, in clock ticks.
cpu_ticks() {
  local pid total=0 ticks
  for pid in "$@"; do
    # Fields 14 and 15 of /proc/PID/stat; the command name (field 2) has no spaces here.
    ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  echo "$total"
}
clock_ticks=$(getconf CLK_TCK)

# click_counters: "redirects stored dropped depth failures write_seconds
# writes rolled_up rollup_failures rollup_seconds rollups" of the analytics-on
# server (fields 1-11): 301s answered, clicks written, clicks dropped, clicks
# waiting in its queue, failed batch writes, time spent in and number of batch
# writes (the writer thread); clicks folded into the stats, failed roll-ups,
# time spent in and number of roll-ups, empty ones included (the roll-up
# thread). Every GET answered with a 301 records one click.
click_counters() {
  curl -fsS --max-time 5 "http://127.0.0.1:${server_port[on]}/metrics" \
    | awk -v redirects="$redirects_metric" '
        $1 == redirects { r = $2 }
        $1 == "shortener_clicks_written_total" { w = $2 }
        $1 == "shortener_clicks_dropped_total" { d = $2 }
        $1 == "shortener_click_queue_depth" { q = $2 }
        $1 == "shortener_click_write_failures_total" { f = $2 }
        $1 == "shortener_click_write_duration_seconds_sum" { s = $2 }
        $1 == "shortener_click_write_duration_seconds_count" { c = $2 }
        $1 == "shortener_clicks_rolled_up_total" { u = $2 }
        $1 == "shortener_click_rollup_failures_total" { uf = $2 }
        $1 == "shortener_click_rollup_duration_seconds_sum" { us = $2 }
        $1 == "shortener_click_rollup_duration_seconds_count" { uc = $2 }
        END { printf "%d %d %d %d %d %.6f %d %d %d %.6f %d\n", r, w, d, q, f, s, c, u, uf, us, uc }'
}

# wait_for_clicks: waits until the analytics-on server has stored (or dropped)
# a click for every redirect it answered and rolled up every click it stored,
# at most BENCH_DRAIN_TIMEOUT seconds, so that no run is measured while that
# server's writer or roll-up thread still works. Prints the seconds waited
# (with a "+" when it gave up).
wait_for_clicks() {
  local started counters r w d u
  started=$(date +%s%N)
  while :; do
    counters=$(click_counters)
    read -r r w d _ _ _ _ u _ <<<"$counters"
    if [[ $((w + d)) -ge $r && $u -ge $w ]]; then
      awk -v ns="$(($(date +%s%N) - started))" 'BEGIN { printf "%.1f\n", ns / 1e9 }'
      return 0
    fi
    if [[ $(($(date +%s%N) - started)) -gt $((drain_timeout * 1000000000)) ]]; then
      log "WARNING: after ${drain_timeout}s, clicks not stored: $((r - w - d)), not rolled up: $((w - u)) ($counters)"
      echo "${drain_timeout}+"
      return 0
    fi
    sleep 0.2
  done
}

# --- other work on the machine ----------------------------------------------

start_watch() {  # seconds: sample count_compilers once a second, keep the maximum
  local seconds=$1
  (
    max=0
    for _ in $(seq "$seconds"); do
      n=$(count_compilers)
      if [[ $n -gt $max ]]; then max=$n; fi
      sleep 1
    done
    echo "$max" >"$work_dir/compilers.max"
  ) &
  watcher_pid=$!
}

finish_watch() {  # prints the maximum seen
  wait "$watcher_pid" 2>/dev/null || true
  watcher_pid=""
  cat "$work_dir/compilers.max" 2>/dev/null || echo "?"
}

# --- nginx reference ---------------------------------------------------------

nginx_port=""

pick_free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if [[ -z $(ss -Htln "sport = :$port") ]]; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

start_nginx() {
  local dir=$work_dir/nginx attempt
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    nginx_port=$(pick_free_port) || die "no free port for nginx"
    cat >"$dir/nginx.conf" <<EOF
# Reference server for the redirect benchmark: a fixed 301 for every path.
worker_processes $cores;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 301 https://example.com/; }
  }
}
EOF
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >>"$dir/stdout.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 50); do
      if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$nginx_port/x"; then
        log "nginx pid $nginx_pid on 127.0.0.1:$nginx_port ($cores workers)"
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_process "$nginx_pid" nginx
    nginx_pid=""
    log "nginx did not start on port $nginx_port (attempt $attempt)"
  done
  cat "$dir/error.log" >&2 || true
  die "nginx did not start"
}

# --- 1. a fresh database with the server's own schema ------------------------

database=$(database_of on)
start_server on
probe=$(curl -sS --max-time 5 -o "$work_dir/probe.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  -d '{"long_url": "https://example.com/bench-probe"}' \
  "http://127.0.0.1:${server_port[on]}/api/v1/shorten")
[[ $probe == 201 ]] || die "POST /api/v1/shorten answered $probe: $(cat "$work_dir/probe.json")"
stop_server on

# --- 2. preload links straight into SQLite -----------------------------------

log "preloading $links links into $database"
codes_file=$work_dir/codes.txt
expected_file=$work_dir/expected.tsv
preload_started=$(date +%s%N)
now_us=$(date +%s%6N)
# Codes are 7 Base62 characters, like generated ones: i -> (i*m + c) mod 62^7
# with m prime to 62 is a bijection, so they are distinct and look random.
awk -v count="$links" -v now_us="$now_us" \
    -v codes_file="$codes_file" -v expected_file="$expected_file" '
  BEGIN {
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    space = 62 ^ 7
  }
  NF > 0 { urls[n++] = $0 }
  END {
    if (n == 0) exit 1
    print "BEGIN IMMEDIATE;"
    for (i = 0; i < count; i++) {
      value = (i * 2654435761 + 982451653) % space
      code = ""
      for (d = 0; d < 7; d++) {
        code = substr(digits, value % 62 + 1, 1) code
        value = int(value / 62)
      }
      url = urls[i % n]
      quoted = url
      gsub(/\047/, "\047\047", quoted)
      printf "INSERT INTO links (code, long_url, created_at, custom_alias) " \
             "VALUES (\047%s\047, \047%s\047, %.0f, 0);\n", code, quoted, now_us - (count - i)
      print code > codes_file
      if (i % 500 == 0) printf "%s\t%s\n", code, url > expected_file
    }
    print "COMMIT;"
  }' "$url_source" >"$work_dir/preload.sql"
sqlite3 -bail "$database" <"$work_dir/preload.sql" >/dev/null
rows=$(sqlite3 "$database" 'SELECT count(*) FROM links;')
preload_ms=$((($(date +%s%N) - preload_started) / 1000000))
[[ $rows -ge $links ]] || die "only $rows rows in the database after the preload"
# The analytics-off server gets its own copy, so that neither server's writes
# touch the other's file.
sqlite3 "$database" ".backup '$(database_of off)'"
log "database holds $rows links (preload took ${preload_ms} ms); copied for the analytics-off server"

# --- 3. start both servers and check a sample of redirects -------------------

sample_count=$(wc -l <"$expected_file")
check_sample() {  # instance
  local name=$1 port=${server_port[$1]} code mismatches missing_status
  local -a curl_args=()
  while IFS=$'\t' read -r code _; do
    curl_args+=("http://127.0.0.1:$port/$code")
  done <"$expected_file"
  curl -sS --max-time 60 -o /dev/null -w '%{http_code}\t%header{location}\n' \
    "${curl_args[@]}" >"$work_dir/sample-$name.tsv"
  mismatches=$(paste "$expected_file" "$work_dir/sample-$name.tsv" \
    | awk -F'\t' '$3 != "301" || $4 != $2 { bad++; if (bad <= 5) print "  " $1 ": " $3 " " $4 " (want " $2 ")" > "/dev/stderr" }
                  END { print bad + 0 }')
  [[ $mismatches -eq 0 ]] || die "$mismatches of $sample_count sampled redirects were wrong (analytics $name)"
  missing_status=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$port/zzzzzzzzzz")
  [[ $missing_status == 404 ]] || die "an unknown code answered $missing_status, not 404 (analytics $name)"
  log "sample check (analytics $name): $sample_count of $sample_count redirects have the right Location; unknown code -> 404"
}
for name in on off; do
  start_server "$name"
  check_sample "$name"
done

# --- 4. redirect load: nginx, analytics on, analytics off in turn ------------

start_nginx

redirect_command="wrk -t$threads -c$connections -d${duration}s --latency -s bench/redirect.lua http://127.0.0.1:PORT/"
export WAYPOST_BENCH_CODES=$codes_file
export WAYPOST_BENCH_AGENTS=$agents
runs_file=$work_dir/runs.tsv
clicks_file=$work_dir/clicks.tsv
: >"$runs_file"
: >"$clicks_file"
declare -A cache_hits=([on]=0 [off]=0) cache_misses=([on]=0 [off]=0)

bench_line() {  # file: the BENCH line of a wrk output, or fail
  grep -m1 '^BENCH ' "$1" || die "no BENCH line in $1: $(tail -n 5 "$1")"
}
field() {  # line, key
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

# run_redirect TARGET ROUND: TARGET nginx, on or off. Waits until the
# analytics-on server has no click left to store, warms up, then measures;
# for "on" it also records what became of the clicks of the measured run.
run_redirect() {
  local target=$1 round=$2 port out line hits_before misses_before load compilers
  local before after settled drained pids ticks_before cpu started_ns window_started window
  if [[ $target == nginx ]]; then
    port=$nginx_port
    # The master and its workers.
    read -r -a pids <<<"$nginx_pid $(ps --ppid "$nginx_pid" -o pid= | tr '\n' ' ')"
  else
    port=${server_port[$target]}
    pids=("${server_pid[$target]}")
  fi
  wait_for_clicks >/dev/null
  log "round $round, $target: warm-up ${warmup}s"
  timeout $((warmup + 30)) wrk -t"$threads" -c"$connections" -d"${warmup}s" \
    -s "$bench_dir/redirect.lua" "http://127.0.0.1:$port/" >"$work_dir/warmup-$target-$round.txt"
  if [[ $target != nginx ]]; then
    hits_before=$(metric "$target" shortener_cache_hits_total)
    misses_before=$(metric "$target" shortener_cache_misses_total)
  fi
  if [[ $target == on ]]; then
    before=$(click_counters)
    window_started=$(date +%s%N)
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  log "round $round, $target: measuring ${duration}s (load $load)"
  out=$work_dir/redirect-$target-$round.txt
  start_watch $((duration - 1))
  ticks_before=$(cpu_ticks "${pids[@]}")
  started_ns=$(date +%s%N)
  timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --latency \
    -s "$bench_dir/redirect.lua" "http://127.0.0.1:$port/" >"$out"
  cpu=$(awk -v t=$(($(cpu_ticks "${pids[@]}") - ticks_before)) -v hz="$clock_ticks" \
    -v ns=$(($(date +%s%N) - started_ns)) 'BEGIN { printf "%.0f", 100 * t / hz / (ns / 1e9) }')
  compilers=$(finish_watch)
  line=$(bench_line "$out")
  if [[ $target != nginx ]]; then
    kill -0 "${server_pid[$target]}" 2>/dev/null \
      || die "shortener-server ($target) died during the redirect run"
    cache_hits[$target]=$((cache_hits[$target] + $(metric "$target" shortener_cache_hits_total) - hits_before))
    cache_misses[$target]=$((cache_misses[$target] + $(metric "$target" shortener_cache_misses_total) - misses_before))
  fi
  if [[ $target == on ]]; then
    after=$(click_counters)
    window=$(awk -v ns=$(($(date +%s%N) - window_started)) 'BEGIN { printf "%.3f", ns / 1e9 }')
    drained=$(wait_for_clicks)
    settled=$(click_counters)
    # round, the click counters before and after, drain seconds, seconds
    # between the readings, the counters once everything was stored and rolled up
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "${before// /$'\t'}" "${after// /$'\t'}" \
      "$drained" "$window" "${settled// /$'\t'}" >>"$clicks_file"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" \
    "$(field "$line" rps)" "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
    "$(field "$line" status_errors)" "$(field "$line" socket_errors)" \
    "$(field "$line" requests)" "$(field "$line" hot_fraction)" "$load" "$compilers" "$cpu" >>"$runs_file"
  log "  $(sed 's/^BENCH //' <<<"$line") compilers_max=$compilers cpu=${cpu}%"
}

declare -A fill_requests=() cache_entries=()
for name in on off; do
  log "filling the redirect cache (analytics $name): ${fill}s sweep over all codes"
  WAYPOST_BENCH_SWEEP=$threads timeout $((fill + 30)) wrk -t"$threads" -c"$connections" \
    -d"${fill}s" -s "$bench_dir/redirect.lua" "http://127.0.0.1:${server_port[$name]}/" \
    >"$work_dir/fill-$name.txt"
  fill_requests[$name]=$(field "$(bench_line "$work_dir/fill-$name.txt")" requests)
  cache_entries[$name]=$(metric "$name" shortener_cache_entries)
  log "  $(num "${fill_requests[$name]}") requests; the cache holds ${cache_entries[$name]} links"
done
fill_drain=$(wait_for_clicks)
log "  the clicks of the sweep were stored within ${fill_drain}s"

# Analytics on and off swap places every round, so neither always runs first.
for round in $(seq "$rounds"); do
  run_redirect nginx "$round"
  if ((round % 2)); then
    run_redirect on "$round"
    run_redirect off "$round"
  else
    run_redirect off "$round"
    run_redirect on "$round"
  fi
done

median() {  # target, column
  awk -F'\t' -v target="$1" -v column="$2" '$2 == target { print $column }' "$runs_file" \
    | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sum_column() {  # target, column
  awk -F'\t' -v target="$1" -v column="$2" '$2 == target { s += $column } END { print s + 0 }' "$runs_file"
}

declare -A med_rps=() med_p50=() med_p99=() med_cpu=() bad=()
for target in nginx on off; do
  med_cpu[$target]=$(median "$target" 12)
  med_rps[$target]=$(median "$target" 3)
  med_p50[$target]=$(median "$target" 4)
  med_p99[$target]=$(median "$target" 5)
  bad[$target]=$(( $(sum_column "$target" 6) + $(sum_column "$target" 7) ))
done
stop_process "$nginx_pid" nginx
nginx_pid=""

# --- 5. creation load --------------------------------------------------------

create_command="wrk -t$threads -c$create_connections -d${create_duration}s --timeout 10s --latency -s bench/create.lua http://127.0.0.1:PORT/"
export WAYPOST_BENCH_URLS=$url_source
export WAYPOST_BENCH_RUN="r$(date +%s)"
created_before=$(metric on shortener_links_created_total)
create_load=$(cut -d' ' -f1 /proc/loadavg)
log "creation load (analytics on): ${create_duration}s, $create_connections connections (load $create_load)"
create_out=$work_dir/create.txt
start_watch $((create_duration - 1))
timeout $((create_duration + 30)) wrk -t"$threads" -c"$create_connections" \
  -d"${create_duration}s" --timeout 10s --latency -s "$bench_dir/create.lua" \
  "http://127.0.0.1:${server_port[on]}/" >"$create_out"
create_compilers=$(finish_watch)
create_line=$(bench_line "$create_out")
log "  $(sed 's/^BENCH //' <<<"$create_line") compilers_max=$create_compilers"
non201_lines=$(grep '^NON201 ' "$create_out" | sed 's/^NON201 //' || true)
[[ -z $non201_lines ]] || { log "non-201 answers seen:"; printf '  %s\n' "$non201_lines" >&2; }
kill -0 "${server_pid[on]}" 2>/dev/null || die "shortener-server died during the creation run"
created_by_server=$(( $(metric on shortener_links_created_total) - created_before ))
create_rps=$(field "$create_line" rps)
create_p50=$(field "$create_line" p50_us)
create_p99=$(field "$create_line" p99_us)
create_requests=$(field "$create_line" requests)
create_created=$(field "$create_line" created)
create_non201=$(field "$create_line" non201)
create_socket=$(field "$create_line" socket_errors)
create_socket_detail="connect $(field "$create_line" connect), read $(field "$create_line" read), write $(field "$create_line" write), timeout $(field "$create_line" timeout)"

# Every click of the whole run, as the analytics-on server counted it, then as
# its database holds it once the server has stopped.
final_drain=$(wait_for_clicks)
read -r total_redirects total_stored total_dropped _ total_failures _ _ _ total_rollup_failures _ \
  <<<"$(click_counters)"
for name in on off; do
  stop_server "$name"
done
clicks_in_db=$(sqlite3 "$database" 'SELECT count(*) FROM clicks;')
bot_clicks_in_db=$(sqlite3 "$database" 'SELECT count(*) FROM clicks WHERE bot;')
# What the roll-ups made of them: the server rolls up once more at shutdown,
# so its mark should now be the last click and the hourly counts should hold
# every click, each once.
# A failed query leaves "?", which agrees with nothing below.
last_click_id=$(sqlite3 "$database" 'SELECT coalesce(max(id), 0) FROM clicks;' || echo "?")
rollup_mark=$(sqlite3 "$database" 'SELECT last_click_id FROM click_rollup_progress;' || echo "?")
hours_figures=$(sqlite3 -separator ' ' "$database" \
  'SELECT count(*), coalesce(sum(human), 0), coalesce(sum(bot), 0),
     coalesce(sum(human + bot), 0) FROM click_hours;' || echo "? ? ? ?")
read -r hours_rows hours_human hours_bot hours_clicks <<<"$hours_figures"
click_kinds=$(sqlite3 -separator ' | ' "$database" "SELECT browser, os, device,
    CASE WHEN bot THEN 'bot' ELSE 'human' END, count(*) FROM clicks
    GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 12;" | sed 's/^/| /; s/$/ |/')
server_log_lines=$(cat "$work_dir"/server-on.log "$work_dir"/server-off.log 2>/dev/null | grep -c . || true)
server_log_tail=$(tail -q -n 5 "$work_dir"/server-on.log "$work_dir"/server-off.log 2>/dev/null || true)

# --- 6. summary and RESULTS.md -----------------------------------------------

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
divide() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "n/a" }'; }
hit_rate() { percent "${cache_hits[$1]}" $((cache_hits[$1] + cache_misses[$1])); }
ratio_row() {  # a, b: "requests/s | p50 | p99" ratios of the medians of targets a and b
  echo "$(divide "${med_rps[$1]}" "${med_rps[$2]}") | $(divide "${med_p50[$1]}" "${med_p50[$2]}") | $(divide "${med_p99[$1]}" "${med_p99[$2]}")"
}

rps_on_off=$(divide "${med_rps[on]}" "${med_rps[off]}")
rps_on_nginx=$(divide "${med_rps[on]}" "${med_rps[nginx]}")
rps_off_nginx=$(divide "${med_rps[off]}" "${med_rps[nginx]}")
cost=$(awk -v on="${med_rps[on]}" -v off="${med_rps[off]}" \
  'BEGIN { if (off > 0) printf "%.1f", 100 * (1 - on / off); else print "nan" }')
if awk -v c="$cost" 'BEGIN { exit !(c + 0 < 10) }'; then
  verdict="within the product owner's target of under 10%"
else
  verdict="**above** the product owner's target of under 10%"
fi
# on/off of the runs of the same round: the spread of the cost between rounds.
round_ratios=$(awk -F'\t' '$2 == "on" { on[$1] = $3 } $2 == "off" { off[$1] = $3 }
    END { for (r = 1; r in on; r++) printf "%s%.2f", (r > 1 ? ", " : ""), (off[r] > 0 ? on[r] / off[r] : 0) }' "$runs_file")

# The clicks of the measured analytics-on runs. Columns of clicks.tsv: round
# (1); the 11 click counters before the run (2-12: redirects, stored, dropped,
# depth, failures, write seconds, writes, rolled up, roll-up failures, roll-up
# seconds, roll-ups); the same after (13-23); the seconds the server then
# needed to store and roll up what was left (24); the seconds between the two
# readings (25); the counters once it had (26-36).
click_rows=$(awk -F'\t' '{
    redirects = $13 - $2; dropped = $15 - $4; writes = $19 - $8
    printf "| %s | %d | %d | %d (%.1f%%) | %d | %d | %d | %s | %d | %d | %.0f ms | %d | %s s | %.0f ms |\n", $1,
      redirects, redirects - dropped, dropped, (redirects > 0 ? 100 * dropped / redirects : 0),
      $14 - $3, $5, $16, (writes > 0 ? sprintf("%.0f ms", 1000 * ($18 - $7) / writes) : "n/a"),
      $20 - $9, $23 - $12, 1000 * ($22 - $11), $14 - $20, $24, 1000 * ($35 - $11) }' "$clicks_file")
read -r run_redirects run_dropped run_stored run_write_seconds run_writes run_seconds \
  run_rolled_up run_rollups run_rollup_seconds <<<"$(awk -F'\t' '
    { r += $13 - $2; d += $15 - $4; w += $14 - $3; s += $18 - $7; c += $19 - $8; t += $25
      u += $20 - $9; k += $23 - $12; v += $22 - $11 }
    END { printf "%d %d %d %.3f %d %.3f %d %d %.3f\n", r, d, w, s, c, t, u, k, v }' "$clicks_file")"
read -r settled_rolled_up settled_rollup_seconds <<<"$(awk -F'\t' '
    { u += $33 - $9; v += $35 - $11 } END { printf "%d %.3f\n", u, v }' "$clicks_file")"
busy_share=$(percent "$run_write_seconds" "$run_seconds")
rollup_share=$(percent "$run_rollup_seconds" "$run_seconds")
# The roll-ups' part of the time both threads spent in SQLite on clicks.
run_click_sql_seconds=$(awk -v a="$run_write_seconds" -v b="$run_rollup_seconds" \
  'BEGIN { printf "%.3f", a + b }')
rollup_part=$(percent "$run_rollup_seconds" "$run_click_sql_seconds")
micros_per() {  # seconds, count: microseconds per item
  awk -v s="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f µs", 1e6 * s / n; else print "n/a" }'
}
write_per_click=$(micros_per "$run_write_seconds" "$run_stored")
rollup_per_click=$(micros_per "$run_rollup_seconds" "$run_rolled_up")
settled_rollup_per_click=$(micros_per "$settled_rollup_seconds" "$settled_rolled_up")
run_queued=$((run_redirects - run_dropped))
run_drop_share=$(percent "$run_dropped" "$run_redirects")
writer_rate=$(awk -v w="$run_stored" -v t="$run_seconds" 'BEGIN { printf "%.0f", (t > 0 ? w / t : 0) }')
if [[ $((total_stored + total_dropped)) -eq $total_redirects && $clicks_in_db -eq $total_stored ]]; then
  click_check="The counters agree: the analytics-on server answered $total_redirects redirects in the
whole run (sample check, cache fill, warm-ups and measured runs) and accounted for each
click: $total_stored stored + $total_dropped dropped; its database holds $clicks_in_db clicks
after the shutdown ($bot_clicks_in_db of them bot clicks)."
else
  log "WARNING: the click counters do not add up ($total_redirects redirects, $total_stored stored, $total_dropped dropped, $clicks_in_db in the database)"
  click_check="**The click counters do not add up:** $total_redirects redirects, $total_stored clicks
stored and $total_dropped dropped by the server's counters (waited ${final_drain} s for the
writer); its database holds $clicks_in_db clicks after the shutdown ($bot_clicks_in_db bots)."
fi
if [[ $rollup_mark == "$last_click_id" && $hours_clicks == "$clicks_in_db" ]]; then
  click_check="$click_check

The roll-ups agree with the stored clicks: after the server's last roll-up at shutdown, the
mark in \`click_rollup_progress\` is $rollup_mark, the id of the last click, and the hourly
counts in \`click_hours\` ($hours_rows link-hours) add up to $hours_clicks clicks ($hours_human
human + $hours_bot bot), as many as the database holds: the roll-ups left no click out and
counted none twice."
else
  log "WARNING: the roll-ups do not agree with the clicks (mark $rollup_mark, last click id $last_click_id, click_hours $hours_clicks, clicks $clicks_in_db)"
  if [[ $rollup_mark == "$last_click_id" ]]; then
    mark_note="these two agree"
  else
    mark_note="so not every click was folded in, or the mark is wrong"
  fi
  if [[ $hours_clicks == "$clicks_in_db" ]]; then
    hours_note="these two agree"
  else
    hours_note="so clicks are missing from the hourly counts or counted twice"
  fi
  query_note=""
  if [[ "$rollup_mark $last_click_id $hours_clicks" == *"?"* ]]; then
    query_note=" A \"?\" stands for a figure whose query failed."
  fi
  click_check="$click_check

**The roll-ups do not agree with the stored clicks:** after the shutdown the mark in
\`click_rollup_progress\` is $rollup_mark and the last click's id is $last_click_id ($mark_note);
the hourly counts in \`click_hours\` add up to $hours_clicks clicks ($hours_human human +
$hours_bot bot) and the database holds $clicks_in_db clicks ($hours_note).${query_note}"
fi

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_model=${cpu_model:-unknown}
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
kernel=$(uname -r)
commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_dir" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (work tree had uncommitted changes)"
fi
end_load=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(( $(date +%s) - bench_started_at ))
wrk_version=$(wrk --version 2>&1 | awk 'NR == 1 { print $1, $2 }' || true)
nginx_version=$(nginx -v 2>&1 | sed 's/^nginx version: //')

target_name() {  # runs.tsv target: its name in the tables
  case $1 in
    nginx) echo "nginx fixed 301" ;;
    on) echo "waypost, analytics on" ;;
    off) echo "waypost, analytics off" ;;
  esac
}
run_rows=$(while IFS=$'\t' read -r round target rps p50 p99 status_errors socket_errors requests _ load compilers cpu; do
  awk -v round="$round" -v name="$(target_name "$target")" -v rps="$rps" -v p50="$p50" \
      -v p99="$p99" -v errors=$((status_errors + socket_errors)) -v requests="$requests" \
      -v load="$load" -v compilers="$compilers" -v cpu="$cpu" 'BEGIN {
    printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %s%% | %.1f µs | %d | %d | %s | %s |\n",
      round, name, rps, p50 / 1000, p99 / 1000, cpu, (rps > 0 ? cpu * 10000 / rps : 0),
      errors, requests, load, compilers }'
done <"$runs_file")
hot_fraction=$(awk -F'\t' '$2 == "on" { print $9; exit }' "$runs_file")
disturbed_runs=$(awk -F'\t' '$11 != "0" { n++ } END { print n + 0 }' "$runs_file")
total_runs=$(grep -c . "$runs_file")
if [[ $disturbed_runs -eq 0 && $create_compilers == 0 ]]; then
  disturbance="No compiler or linker of other work was seen running during the measured runs."
else
  disturbance="**Disturbed:** compilers or linkers of other work were running during $disturbed_runs of
the $total_runs redirect runs (see the *compilers* column; up to $create_compilers such processes
during the creation run): the figures are lower and noisier than on a quiet machine."
fi

case $agents in
  browsers) agents_text="a User-Agent drawn from eight current desktop and mobile browsers
  (Chrome, Firefox and Edge on Windows, Safari on iPhone, iPad and Mac, Chrome and Samsung
  Internet on Android) and, on half of the requests, a Referer from five sites; the server
  classifies these clicks as human. Its User-Agent parser keeps the results of recent
  User-Agents in a cache (2 × 2048 entries), so after the first sight of each of the eight
  a click costs a cache lookup, not the uap-core regex match (tens of microseconds):
  traffic with more distinct User-Agents than the cache holds costs the click writer more
  (\`BENCH_AGENTS=unique\` measures that worst case)." ;;
  unique) agents_text="a User-Agent of one of eight current browsers made distinct for
  every request by a counter in its version (\`BENCH_AGENTS=unique\`), and on half of the
  requests a Referer from five sites: the server's User-Agent cache never hits, so every
  click pays the full uap-core regex match. This is a worst case, not typical traffic." ;;
  none) agents_text="no User-Agent and no Referer header (\`BENCH_AGENTS=none\`; wrk sends
  no User-Agent of its own). The server counts such clicks as **bot** clicks. The writer
  stores them like any other click, but the roll-up only adds them to their hour's bot
  count (no breakdown by referrer, country, browser, OS or device, no visitor set, no
  visit), so they are cheaper to fold than people's clicks." ;;
esac

if [[ -z $non201_lines ]]; then
  non201_text="none"
else
  non201_text=$(printf '%s\n' "$non201_lines" | sed 's/^/    /')
fi
if [[ $server_log_lines -eq 0 ]]; then
  server_log_text="Neither server logged anything at level warn or above during the whole run."
else
  server_log_text="The servers logged $server_log_lines line(s) at level warn or above; the last ones:

$(printf '%s\n' "$server_log_tail" | sed 's/^/    /')"
fi

# The other benchmark scripts (run-chat.sh, run-stats.sh) keep their own
# sections of the same file between markers; carry them over while the
# shortener's part is rewritten.
other_sections=$(marked_sections "$results_file")

cat >"$results_file" <<EOF
# Shortener benchmark results

Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the shortener
part of this file is rewritten by every run (the sections of the other
benchmark scripts at its end are carried over).

## What is measured

- **waypost redirects**: \`GET /{code}\` against shortener-server holding
  $(num "$links") links preloaded into its SQLite database. Codes are picked so that
  20% of the links receive 80% of the requests (observed hot share
  $hot_fraction). Every answer is a real lookup in the server's in-process LRU
  cache (200000 entries, so all links fit and a miss, answered by SQLite on a
  storage thread, happens only the first time a link is asked for after the
  restart) followed by building the 301 with the stored destination as
  \`Location\`. Two instances of the same binary run side by side, each on its own
  copy of the database:
  - **analytics on** (\`--analytics\`, the default): every redirect also hands a
    click (code, time, address, User-Agent, Referer) to the click recorder: a lock
    and a copy of its bytes into a bounded in-memory queue (100000 clicks) on the
    I/O thread, into buffers that are reused, so nothing is allocated.
    When the queue is full the click is dropped and counted; the redirect never
    waits for storage. Two threads of the recorder do the rest:
    - the **writer** takes the whole queue at once (swapping buffers), classifies
      the clicks (User-Agent, GeoIP country, keyed BLAKE2b visitor hash, referrer
      host) and appends one row per click to the \`clicks\` table (which has no
      index), 64 rows per INSERT, in one SQLite transaction per batch of at most
      10000 clicks. It writes nothing else; once a batch is stored it also tallies
      it in memory (per link and hour) for the roll-up.
    - the **roll-up thread** later folds the stored clicks into the statistics in
      bulk: it takes the writer's tallies of the clicks after its mark
      (\`click_rollup_progress\`; clicks it has no tally of, such as those stored
      before a restart, it reads back from \`clicks\`) and adds them to the hourly
      counts of each link (\`click_hours\`: human, unique and
      bot clicks, and the human clicks per referrer, country, browser, OS and
      device), to the day's visitor sets (which decide what counts as unique) and
      to the links' \`visits\`, then moves the mark, in one transaction per at
      most about 1,000,000 clicks. Reading takes no lock; only writing the
      results holds SQLite's write lock, and a writer batch arriving meanwhile
      waits for it. It rolls up at most once a second (\`--click-rollup-ms\`,
      1000) and after each roll-up pauses at least 20 times as long as that
      roll-up took (60 s at most), so it spends at most about a twentieth of the
      time rolling up. Under heavy load the roll-ups become rarer and larger,
      which makes each click cheaper to fold, and the statistics lag further
      behind the clicks.
  - **analytics off** (\`--no-analytics\`): no recorder at all.
- The requests carry $agents_text
  All requests come from 127.0.0.1, so the country is unknown and there are only
  eight visitors a day (one per User-Agent): each click still gets its visitor
  hash, but the roll-up adds at most eight visitors per link and day to the
  visitor sets, far fewer than real traffic would, which makes it cheaper.
- **nginx fixed 301**: nginx answering \`return 301 https://example.com/;\`
  for every path with no lookup at all. It is the ceiling for an HTTP/1.1
  server on this machine with this load generator, driven by the same wrk
  command and the same Lua script (same paths, same headers) in the same run.
- Before the first round a ${fill} s sweep over all codes in order filled each
  server's cache ($(num "${fill_requests[on]}") and $(num "${fill_requests[off]}") requests): they then held
  ${cache_entries[on]} and ${cache_entries[off]} links.
- The three are run in turn ($rounds rounds: nginx, then analytics on and off, whose
  order swaps every round; each run after a ${warmup} s warm-up) and the median of
  the rounds is reported, because the machine is shared and noisy. Before every
  warm-up the script waits until the analytics-on server has stored every click it
  queued and rolled up every click it stored, so that no run is measured while
  that server's writer or roll-up thread still works. The roll-ups a run's clicks
  need after it ended are therefore not inside any measured run; the clicks
  table below shows how long they took.
- **creations**: \`POST /api/v1/shorten\` with JSON bodies whose long URLs are
  real web pages from the shared URL list plus a unique query parameter, so
  every request normalises a URL, draws a random code and inserts a row into
  SQLite. Every answer must be 201. Run against the analytics-on server, with
  127.0.0.1 exempt from the rate limits (\`--rate-limit-exempt\`).

wrk, the servers and nginx share the same $cores cores, so each figure includes the
load generator's own CPU use: the numbers compare the servers with each
other, they are not capacity figures for a dedicated host. The click writer and
the roll-up thread are threads of their own: here they compete with the I/O
threads and wrk for the $cores cores; on a host with cores to spare they would not.

## Machine

- CPU: $cpu_model, $cores cores (nproc); memory $memory; Linux $kernel
- load average at the end of the run: $end_load
- commit: $commit; server binary: \`${server_bin#"$repo_dir"/}\`
- $wrk_version; nginx $nginx_version with $cores worker processes (the server uses $cores I/O threads)

## Redirects (median of $rounds rounds)

$disturbance

Command for each run: \`$redirect_command\`
(PORT is a server's or nginx's port), with WAYPOST_BENCH_CODES naming the
file of preloaded codes and WAYPOST_BENCH_AGENTS=$agents.

| target | requests/s | p50 | p99 | server CPU |
| --- | ---: | ---: | ---: | ---: |
| waypost, analytics on | $(num "${med_rps[on]}") | $(ms "${med_p50[on]}") | $(ms "${med_p99[on]}") | ${med_cpu[on]}% |
| waypost, analytics off | $(num "${med_rps[off]}") | $(ms "${med_p50[off]}") | $(ms "${med_p99[off]}") | ${med_cpu[off]}% |
| nginx fixed 301 | $(num "${med_rps[nginx]}") | $(ms "${med_p50[nginx]}") | $(ms "${med_p99[nginx]}") | ${med_cpu[nginx]}% |
| ratio on/off | $(ratio_row on off) | |
| ratio on/nginx | $(ratio_row on nginx) | |
| ratio off/nginx | $(ratio_row off nginx) | |

**Analytics cost: ${cost}%** of the redirect throughput (1 − on/off of the median
requests/s), $verdict. The on/off ratio within each round: $round_ratios.

Non-3xx answers and socket errors: analytics on ${bad[on]}, analytics off ${bad[off]}, nginx ${bad[nginx]}.
Redirect cache during the measured runs: analytics on ${cache_hits[on]} hits, ${cache_misses[on]} misses
(hit rate $(hit_rate on)); analytics off ${cache_hits[off]} hits, ${cache_misses[off]} misses (hit rate $(hit_rate off)).

### Clicks of the analytics-on runs

The writer thread of this server only appends the clicks to \`clicks\`; the roll-up
thread folds them into the statistics afterwards, in bulk, and may take about a
twentieth of the time for it (see "What is measured"). Read from the server's
\`/metrics\` just before and just after each measured run:
*redirects* the 301s it answered (\`$redirects_metric\`),
*queued* the clicks the recorder accepted (redirects − dropped), *dropped* the clicks
refused because the queue was full (\`shortener_clicks_dropped_total\`), *stored* the clicks
written during the run (\`shortener_clicks_written_total\`; this includes clicks still queued
from the warm-up), *queue* its depth before and after, *batch write* the mean time of one
batch's SQLite transaction (\`shortener_click_write_duration_seconds\`, up to 10000 clicks
each); *rolled up* the clicks the roll-up thread folded into the statistics during the run
(\`shortener_clicks_rolled_up_total\`; they may have been stored before it), *roll-ups* the
number of roll-ups that ended during the run, empty ones included, and *roll-up time* their
total duration, reading and writing (count and sum of
\`shortener_click_rollup_duration_seconds\`); *not rolled up after* the clicks stored but
not yet folded in at the end of the run; *drained in* the time the server then needed to
store what was still queued and roll up every stored click (the next run starts only then);
*roll-up time until caught up* all roll-up time from the start of the run to that point.

| round | redirects | queued | dropped | stored during the run | queue before | queue after | batch write | rolled up | roll-ups | roll-up time | not rolled up after | drained in | roll-up time until caught up |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
$click_rows

Over the measured runs: $run_redirects redirects, $run_queued clicks queued, $run_dropped dropped
($run_drop_share); the writer stored $run_stored clicks during them, $writer_rate clicks/s,
in $run_writes transactions that took $run_write_seconds s in all ($write_per_click per click): the
writer spent $busy_share of the $run_seconds s between the readings inside SQLite transactions
(the rest goes to taking batches off the queue and classifying the clicks; a batch that had to
wait for a roll-up's write lock counts that wait here too). The roll-up thread folded
$run_rolled_up clicks in $run_rollups roll-ups that took $run_rollup_seconds s in all
($rollup_per_click per click folded): $rollup_share of the time between the readings (its
time-share rule holds it to about 5% over longer stretches; a run of a few seconds can catch a
whole roll-up but not the pause after it), and $rollup_part of the $run_click_sql_seconds s that
the two threads together spent in SQLite on clicks (write transactions plus roll-ups). Counting
the roll-ups after each run until the server had caught up too, $settled_rolled_up clicks were
folded in $settled_rollup_seconds s ($settled_rollup_per_click per click). Whole run:
failed batch writes $total_failures, failed roll-ups $total_rollup_failures.

$click_check

The stored clicks by classification (top 12; the bot clicks come from the sample check's curl):

| browser | OS | device | kind | clicks |
| --- | --- | --- | --- | ---: |
$click_kinds

### Every run

*server CPU* is the CPU time the server (nginx: master and workers) used
during the run, per second of run (100% = one core), and *CPU per request* the
same divided by the requests answered; *load* is the 1-minute load average at its start (the benchmark's
own earlier runs raise it to 3 or 4 by themselves); *compilers* is the largest
number of compiler and linker processes of other work seen running during the
run (sampled once a second): anything above 0 means the run was disturbed.

| round | target | requests/s | p50 | p99 | server CPU | CPU per request | errors | requests | load | compilers |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
$run_rows

## Creations

Command: \`$create_command\` (WAYPOST_BENCH_URLS=${url_source}).
The timeout is raised from wrk's 2 s so that slow answers count as latency,
not as socket errors.

| creations/s | p50 | p99 | requests | 201s | non-201s | socket errors |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| $(num "$create_rps") | $(ms "$create_p50") | $(ms "$create_p99") | $create_requests | $create_created | $create_non201 | $create_socket |

The server's own counter rose by $created_by_server during the run (it also counts the
requests still in flight when wrk stopped, which wrk does not). Load average at
its start: $create_load; compiler and linker processes of other work seen during it: $create_compilers.
Socket errors by kind: $create_socket_detail.
Non-201 answers: $non201_text

## Checks

- Preload: $(num "$links") links in one SQLite transaction in ${preload_ms} ms (destinations cycle
  through ${url_source}), then copied with \`.backup\` for the analytics-off server.
- On each server $sample_count sampled codes all answered 301 with the stored destination as
  Location; an unknown code answered 404.
- $server_log_text

Whole run: ${elapsed} s, plus ${build_seconds} s for the package check and the build.
EOF
if [[ -n $other_sections ]]; then
  printf '\n%s\n' "$other_sections" >>"$results_file"
fi

summary="
Shortener benchmark ($cores cores, $cpu_model)
  waypost, analytics on  : $(num "${med_rps[on]}") req/s  p50 $(ms "${med_p50[on]}")  p99 $(ms "${med_p99[on]}")
  waypost, analytics off : $(num "${med_rps[off]}") req/s  p50 $(ms "${med_p50[off]}")  p99 $(ms "${med_p99[off]}")
  nginx fixed 301        : $(num "${med_rps[nginx]}") req/s  p50 $(ms "${med_p50[nginx]}")  p99 $(ms "${med_p99[nginx]}")
  ratio on/off $rps_on_off (analytics cost ${cost}%; rounds: $round_ratios)  on/nginx $rps_on_nginx  off/nginx $rps_off_nginx
  clicks of the measured on-runs: $run_redirects redirects, $run_queued queued, $run_dropped dropped ($run_drop_share)
    stored in $run_write_seconds s of write transactions; $run_rolled_up rolled up in $run_rollups roll-ups, $run_rollup_seconds s
  creations              : $(num "$create_rps") /s  p50 $(ms "$create_p50")  p99 $(ms "$create_p99")  non-201: $create_non201
  written to ${results_file#"$repo_dir"/} in ${elapsed} s (+${build_seconds} s check and build)"
echo "$summary"
