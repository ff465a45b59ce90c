#!/usr/bin/env bash
# Benchmark of the URL shortener's two hot paths, redirects and creations,
# with a static nginx 301 as the yardstick. Writes bench/RESULTS.md.
#
# Usage: bench/run-shortener.sh [PATH/TO/shortener-server]
#
# Without an argument a Release build of shortener-server is made in
# build-bench/. Everything runs on 127.0.0.1; every load is bounded in time;
# all processes started here are stopped on exit. Knobs (environment):
#   BENCH_LINKS=100000       links preloaded into the database
#   BENCH_DURATION=15        seconds of each measured redirect run
#   BENCH_WARMUP=3           seconds of warm-up before each redirect run
#   BENCH_FILL=5             seconds of a sweep over all codes that fills the
#                            server's cache once, before the first round
#   BENCH_ROUNDS=2           alternating nginx/waypost rounds (median taken)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=64         wrk for redirects
#   BENCH_CREATE_DURATION=10 BENCH_CREATE_CONNECTIONS=16   wrk for creations
#   BENCH_RESULTS=bench/RESULTS.md   where the report goes
set -euo pipefail

started_at=$(date +%s)
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)
invocation="bench/run-shortener.sh${*:+ $*}"

links=${BENCH_LINKS:-100000}
duration=${BENCH_DURATION:-15}
warmup=${BENCH_WARMUP:-3}
fill=${BENCH_FILL:-5}
rounds=${BENCH_ROUNDS:-2}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-64}
create_duration=${BENCH_CREATE_DURATION:-10}
create_connections=${BENCH_CREATE_CONNECTIONS:-16}
results_file=${BENCH_RESULTS:-$bench_dir/RESULTS.md}
url_source=/work/shared/data/urls/web-pages.txt
cores=$(nproc)

for knob in links duration warmup fill rounds threads connections create_duration create_connections; do
  if ! [[ ${!knob} =~ ^[1-9][0-9]*$ ]]; then
    echo "run-shortener: $knob must be a positive integer, got '${!knob}'" >&2
    exit 2
  fi
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- processes and cleanup ---------------------------------------------------

work_dir=$(mktemp -d -t waypost-bench.XXXXXX)
server_pid=""
nginx_pid=""
watcher_pid=""

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"  # stop_process

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_process "$server_pid" shortener-server
  stop_process "$nginx_pid" nginx
  stop_process "$watcher_pid" watcher
  if [[ $status -ne 0 && -f $work_dir/server.log ]]; then
    log "last lines of the server log:"
    tail -n 20 "$work_dir/server.log" >&2 || true
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

if [[ $# -ge 1 ]]; then
  server_bin=$(realpath "$1")
  [[ -x $server_bin ]] || die "$1 is not an executable"
else
  build_dir=$repo_dir/build-bench
  log "building shortener-server (Release) in $build_dir"
  # WAYPOST_WERROR=OFF: a benchmark build should not stop on a new compiler
  # warning (GCC 12 reports a false -Wrestrict at -O3 in url_normalizer.cpp).
  cmake -S "$repo_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DWAYPOST_BUILD_TESTS=OFF -DWAYPOST_WERROR=OFF >&2
  cmake --build "$build_dir" --target shortener-server >&2
  server_bin=$build_dir/apps/shortener-server
fi
log "server binary: $server_bin"
bench_started_at=$(date +%s)
build_seconds=$((bench_started_at - started_at))

# --- the shortener -----------------------------------------------------------

database=$work_dir/links.db
port_file=$work_dir/server.port
server_port=""

start_server() {
  rm -f "$port_file"
  "$server_bin" --address 127.0.0.1 --port 0 --port-file "$port_file" \
    --database "$database" --log-level warn --cache-size 200000 \
    --io-threads "$cores" --shutdown-grace-ms 2000 \
    --public-url http://127.0.0.1 >>"$work_dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    [[ -s $port_file ]] && break
    kill -0 "$server_pid" 2>/dev/null || die "shortener-server exited at start"
    sleep 0.1
  done
  [[ -s $port_file ]] || die "shortener-server wrote no port file within 10 s"
  server_port=$(tr -d '[:space:]' <"$port_file")
  curl -fsS --max-time 5 "http://127.0.0.1:$server_port/healthz" >/dev/null \
    || die "shortener-server is not healthy"
  log "shortener-server pid $server_pid on 127.0.0.1:$server_port"
}

stop_server() {
  stop_process "$server_pid" shortener-server
  server_pid=""
}

metric() {  # name: value of an unlabelled metric from /metrics (0 if absent)
  curl -fsS --max-time 5 "http://127.0.0.1:$server_port/metrics" \
    | awk -v name="$1" '$1 == name { value = $2 } END { printf "%d\n", value + 0 }'
}

# --- other work on the machine ----------------------------------------------

count_compilers() {  # compiler and linker processes running now (other people's builds)
  ps -eo comm= | grep -cxE 'cc1plus|cc1|clang(\+\+)?(-[0-9]+)?|ld|ld\.bfd|ld\.gold|ld\.lld|mold|collect2' || true
}

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

start_server
probe=$(curl -sS --max-time 5 -o "$work_dir/probe.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  -d '{"long_url": "https://example.com/bench-probe"}' \
  "http://127.0.0.1:$server_port/api/v1/shorten")
[[ $probe == 201 ]] || die "POST /api/v1/shorten answered $probe: $(cat "$work_dir/probe.json")"
stop_server

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
log "database holds $rows links (preload took ${preload_ms} ms)"

# --- 3. restart and check a sample of redirects ------------------------------

start_server
sample_count=$(wc -l <"$expected_file")
curl_args=()
while IFS=$'\t' read -r code _; do
  curl_args+=("http://127.0.0.1:$server_port/$code")
done <"$expected_file"
curl -sS --max-time 60 -o /dev/null -w '%{http_code}\t%header{location}\n' \
  "${curl_args[@]}" >"$work_dir/sample.tsv"
mismatches=$(paste "$expected_file" "$work_dir/sample.tsv" \
  | awk -F'\t' '$3 != "301" || $4 != $2 { bad++; if (bad <= 5) print "  " $1 ": " $3 " " $4 " (want " $2 ")" > "/dev/stderr" }
                END { print bad + 0 }')
[[ $mismatches -eq 0 ]] || die "$mismatches of $sample_count sampled redirects were wrong"
missing_status=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
  "http://127.0.0.1:$server_port/zzzzzzzzzz")
[[ $missing_status == 404 ]] || die "an unknown code answered $missing_status, not 404"
log "sample check: $sample_count of $sample_count redirects have the right Location; unknown code -> 404"

# --- 4. redirect load, alternating with nginx --------------------------------

start_nginx

redirect_command="wrk -t$threads -c$connections -d${duration}s --latency -s bench/redirect.lua http://127.0.0.1:PORT/"
export WAYPOST_BENCH_CODES=$codes_file
runs_file=$work_dir/runs.tsv
: >"$runs_file"
cache_hits=0
cache_misses=0

bench_line() {  # file: the BENCH line of a wrk output, or fail
  grep -m1 '^BENCH ' "$1" || die "no BENCH line in $1: $(tail -n 5 "$1")"
}
field() {  # line, key
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

run_redirect() {  # target, round
  local target=$1 round=$2 port out line hits_before misses_before
  if [[ $target == nginx ]]; then port=$nginx_port; else port=$server_port; fi
  log "round $round, $target: warm-up ${warmup}s"
  timeout $((warmup + 30)) wrk -t"$threads" -c"$connections" -d"${warmup}s" \
    -s "$bench_dir/redirect.lua" "http://127.0.0.1:$port/" >"$work_dir/warmup-$target-$round.txt"
  if [[ $target == waypost ]]; then
    hits_before=$(metric shortener_cache_hits_total)
    misses_before=$(metric shortener_cache_misses_total)
  fi
  local load compilers
  load=$(cut -d' ' -f1 /proc/loadavg)
  log "round $round, $target: measuring ${duration}s (load $load)"
  out=$work_dir/redirect-$target-$round.txt
  start_watch $((duration - 1))
  timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --latency \
    -s "$bench_dir/redirect.lua" "http://127.0.0.1:$port/" >"$out"
  compilers=$(finish_watch)
  line=$(bench_line "$out")
  if [[ $target == waypost ]]; then
    cache_hits=$((cache_hits + $(metric shortener_cache_hits_total) - hits_before))
    cache_misses=$((cache_misses + $(metric shortener_cache_misses_total) - misses_before))
    kill -0 "$server_pid" 2>/dev/null || die "shortener-server died during the redirect run"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" \
    "$(field "$line" rps)" "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
    "$(field "$line" status_errors)" "$(field "$line" socket_errors)" \
    "$(field "$line" requests)" "$(field "$line" hot_fraction)" "$load" "$compilers" >>"$runs_file"
  log "  $(sed 's/^BENCH //' <<<"$line") compilers_max=$compilers"
}

log "filling the redirect cache: ${fill}s sweep over all codes"
WAYPOST_BENCH_SWEEP=$threads timeout $((fill + 30)) wrk -t"$threads" -c"$connections" \
  -d"${fill}s" -s "$bench_dir/redirect.lua" "http://127.0.0.1:$server_port/" >"$work_dir/fill.txt"
fill_requests=$(field "$(bench_line "$work_dir/fill.txt")" requests)
cache_entries=$(metric shortener_cache_entries)
log "  $fill_requests requests; the cache holds $cache_entries links"

for round in $(seq "$rounds"); do
  run_redirect nginx "$round"
  run_redirect waypost "$round"
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

way_rps=$(median waypost 3); way_p50=$(median waypost 4); way_p99=$(median waypost 5)
ngx_rps=$(median nginx 3); ngx_p50=$(median nginx 4); ngx_p99=$(median nginx 5)
way_bad=$(( $(sum_column waypost 6) + $(sum_column waypost 7) ))
ngx_bad=$(( $(sum_column nginx 6) + $(sum_column nginx 7) ))
stop_process "$nginx_pid" nginx
nginx_pid=""

# --- 5. creation load --------------------------------------------------------

create_command="wrk -t$threads -c$create_connections -d${create_duration}s --timeout 10s --latency -s bench/create.lua http://127.0.0.1:PORT/"
export WAYPOST_BENCH_URLS=$url_source
export WAYPOST_BENCH_RUN="r$(date +%s)"
created_before=$(metric shortener_links_created_total)
create_load=$(cut -d' ' -f1 /proc/loadavg)
log "creation load: ${create_duration}s, $create_connections connections (load $create_load)"
create_out=$work_dir/create.txt
start_watch $((create_duration - 1))
timeout $((create_duration + 30)) wrk -t"$threads" -c"$create_connections" \
  -d"${create_duration}s" --timeout 10s --latency -s "$bench_dir/create.lua" \
  "http://127.0.0.1:$server_port/" >"$create_out"
create_compilers=$(finish_watch)
create_line=$(bench_line "$create_out")
log "  $(sed 's/^BENCH //' <<<"$create_line") compilers_max=$create_compilers"
non201_lines=$(grep '^NON201 ' "$create_out" | sed 's/^NON201 //' || true)
[[ -z $non201_lines ]] || { log "non-201 answers seen:"; printf '  %s\n' "$non201_lines" >&2; }
kill -0 "$server_pid" 2>/dev/null || die "shortener-server died during the creation run"
created_by_server=$(( $(metric shortener_links_created_total) - created_before ))
create_rps=$(field "$create_line" rps)
create_p50=$(field "$create_line" p50_us)
create_p99=$(field "$create_line" p99_us)
create_requests=$(field "$create_line" requests)
create_created=$(field "$create_line" created)
create_non201=$(field "$create_line" non201)
create_socket=$(field "$create_line" socket_errors)
create_socket_detail="connect $(field "$create_line" connect), read $(field "$create_line" read), write $(field "$create_line" write), timeout $(field "$create_line" timeout)"

stop_server
server_log_lines=$(grep -c . "$work_dir/server.log" || true)
server_log_tail=$(tail -n 10 "$work_dir/server.log" || true)

# --- 6. summary and RESULTS.md -----------------------------------------------

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
num() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
ratio=$(awk -v a="$way_rps" -v b="$ngx_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
p50_ratio=$(awk -v a="$way_p50" -v b="$ngx_p50" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
p99_ratio=$(awk -v a="$way_p99" -v b="$ngx_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
hit_rate=$(awk -v h="$cache_hits" -v m="$cache_misses" 'BEGIN { if (h + m > 0) printf "%.2f%%", 100 * h / (h + m); else print "n/a" }')
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

run_rows=$(awk -F'\t' '{
    printf "| %s | %s | %.0f | %.2f ms | %.2f ms | %d | %d | %s | %s |\n",
      $1, $2, $3, $4 / 1000, $5 / 1000, $6 + $7, $8, $10, $11 }' "$runs_file")
hot_fraction=$(awk -F'\t' '$2 == "waypost" { print $9; exit }' "$runs_file")
disturbed_runs=$(awk -F'\t' '$11 != "0" { n++ } END { print n + 0 }' "$runs_file")
total_runs=$(grep -c . "$runs_file")
if [[ $disturbed_runs -eq 0 && $create_compilers == 0 ]]; then
  disturbance="No compiler or linker of other work was seen running during the measured runs."
else
  disturbance="**Disturbed:** compilers or linkers of other work were running during $disturbed_runs of
the $total_runs redirect runs (see the *compilers* column; up to $create_compilers such processes
during the creation run): the figures are lower and noisier than on a quiet machine."
fi

if [[ -z $non201_lines ]]; then
  non201_text="none"
else
  non201_text=$(printf '%s\n' "$non201_lines" | sed 's/^/    /')
fi
if [[ $server_log_lines -eq 0 ]]; then
  server_log_text="The server logged nothing at level warn or above during the whole run."
else
  server_log_text="The server logged $server_log_lines line(s) at level warn or above; the last ones:

$(printf '%s\n' "$server_log_tail" | sed 's/^/    /')"
fi

# The chat benchmark (bench/run-chat.sh) keeps its own section in the same
# file between markers; carry it over while the shortener's part is rewritten.
chat_section=""
if [[ -f $results_file ]] && grep -qF '<!-- chat-results:begin -->' "$results_file"; then
  chat_section=$(sed -n '/<!-- chat-results:begin -->/,/<!-- chat-results:end -->/p' "$results_file")
fi

cat >"$results_file" <<EOF
# Shortener benchmark results

Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the file is
rewritten by every run.

## What is measured

- **waypost redirects**: \`GET /{code}\` against shortener-server holding
  $(num "$links") links preloaded into its SQLite database. Codes are picked so that
  20% of the links receive 80% of the requests (observed hot share
  $hot_fraction). Every answer is a real lookup in the server's in-process LRU
  cache (200000 entries, so all links fit and a miss, answered by SQLite on a
  storage thread, happens only the first time a link is asked for after the
  restart) followed by building the 301 with the stored destination as
  \`Location\`.
- **nginx fixed 301**: nginx answering \`return 301 https://example.com/;\`
  for every path with no lookup at all. It is the ceiling for an HTTP/1.1
  server on this machine with this load generator, driven by the same wrk
  command and the same Lua script in the same run.
- Before the first round a ${fill} s sweep over all codes in order
  ($fill_requests requests) filled the server's cache: it then held
  $cache_entries links.
- The two are run alternately ($rounds rounds of nginx then waypost, each after a
  ${warmup} s warm-up) and the median of the rounds is reported, because the machine is
  shared and noisy.
- **creations**: \`POST /api/v1/shorten\` with JSON bodies whose long URLs are
  real web pages from the shared URL list plus a unique query parameter, so
  every request normalises a URL, draws a random code and inserts a row into
  SQLite. Every answer must be 201.

wrk, the server and nginx share the same $cores cores, so each figure includes the
load generator's own CPU use: the numbers compare the two servers with each
other, they are not capacity figures for a dedicated host.

## Machine

- CPU: $cpu_model, $cores cores (nproc); memory $memory; Linux $kernel
- load average at the end of the run: $end_load
- commit: $commit; server binary: \`${server_bin#"$repo_dir"/}\`
- $wrk_version; nginx $nginx_version with $cores worker processes (the server uses $cores I/O threads)

## Redirects (median of $rounds rounds)

$disturbance

Command for each run: \`$redirect_command\`
(PORT is the server's or nginx's port), with WAYPOST_BENCH_CODES naming the
file of preloaded codes.

| target | requests/s | p50 | p99 |
| --- | ---: | ---: | ---: |
| waypost redirect | $(num "$way_rps") | $(ms "$way_p50") | $(ms "$way_p99") |
| nginx fixed 301 | $(num "$ngx_rps") | $(ms "$ngx_p50") | $(ms "$ngx_p99") |
| ratio waypost/nginx | $ratio | $p50_ratio | $p99_ratio |

Non-3xx answers and socket errors: waypost $way_bad, nginx $ngx_bad.
Redirect cache during the measured waypost runs: $cache_hits hits, $cache_misses misses
(hit rate $hit_rate).

Every run. *load* is the 1-minute load average at its start (the benchmark's
own earlier runs raise it to 3 or 4 by themselves); *compilers* is the largest
number of compiler and linker processes of other work seen running during the
run (sampled once a second): anything above 0 means the run was disturbed.

| round | target | requests/s | p50 | p99 | errors | requests | load | compilers |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
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
  through ${url_source}).
- $sample_count sampled codes all answered 301 with the stored destination as
  Location; an unknown code answered 404.
- $server_log_text

Whole run: ${elapsed} s, plus ${build_seconds} s for the package check and the build.
EOF
if [[ -n $chat_section ]]; then
  printf '\n%s\n' "$chat_section" >>"$results_file"
fi

summary="
Shortener benchmark ($cores cores, $cpu_model)
  waypost redirect : $(num "$way_rps") req/s  p50 $(ms "$way_p50")  p99 $(ms "$way_p99")
  nginx fixed 301  : $(num "$ngx_rps") req/s  p50 $(ms "$ngx_p50")  p99 $(ms "$ngx_p99")
  ratio waypost/nginx (req/s): $ratio   cache hit rate $hit_rate
  creations        : $(num "$create_rps") /s  p50 $(ms "$create_p50")  p99 $(ms "$create_p99")  non-201: $create_non201
  written to ${results_file#"$repo_dir"/} in ${elapsed} s (+${build_seconds} s check and build)"
echo "$summary"
