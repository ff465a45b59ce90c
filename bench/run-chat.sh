#!/usr/bin/env bash
# Benchmark of the chat service's message path: many WebSocket connections sending private
# and group messages at a paced rate, against chat-server and against a minimal Socket.IO
# server (bench/socketio/server.js) driven by the same load generator (tools/chat_loadgen).
# Rewrites only the chat section of bench/RESULTS.md (between the chat-results markers).
#
# Usage: bench/run-chat.sh [BUILD_DIR]
#
# Without an argument chat-server and chat-loadgen are built (Release) in build-bench/; with
# one, the binaries already in BUILD_DIR are used. Everything runs on 127.0.0.1; every load
# is bounded in time (about 3 minutes in all with the defaults); all processes started here
# are stopped on exit. Knobs (environment):
#   BENCH_CHAT_CONNECTIONS=1000 BENCH_CHAT_USERS=500    connections spread over users
#   BENCH_CHAT_GROUPS=50 BENCH_CHAT_GROUP_SIZE=10       group conversations and members
#   BENCH_CHAT_PRIVATE_SHARE=0.5                        fraction of private messages
#   BENCH_CHAT_RATES=2000,5000     target msgs/s of the successive steps (all connections)
#   BENCH_CHAT_WARMUP=3 BENCH_CHAT_DURATION=15 BENCH_CHAT_DRAIN=10   seconds per step
#   BENCH_RESULTS=bench/RESULTS.md                      where the report goes
set -euo pipefail

started_at=$(date +%s)
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)
invocation="bench/run-chat.sh${*:+ $*}"

connections=${BENCH_CHAT_CONNECTIONS:-1000}
users=${BENCH_CHAT_USERS:-500}
groups=${BENCH_CHAT_GROUPS:-50}
group_size=${BENCH_CHAT_GROUP_SIZE:-10}
private_share=${BENCH_CHAT_PRIVATE_SHARE:-0.5}
rates=${BENCH_CHAT_RATES:-2000,5000}
warmup=${BENCH_CHAT_WARMUP:-3}
duration=${BENCH_CHAT_DURATION:-15}
drain=${BENCH_CHAT_DRAIN:-10}
results_file=${BENCH_RESULTS:-$bench_dir/RESULTS.md}
cores=$(nproc)

for knob in connections users groups group_size warmup duration drain; do
  if ! [[ ${!knob} =~ ^[0-9]+$ ]]; then
    echo "run-chat: $knob must be a whole number, got '${!knob}'" >&2
    exit 2
  fi
done
[[ $rates =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "run-chat: BENCH_CHAT_RATES must be like 2000,5000" >&2; exit 2; }

log() { printf '[chat-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- processes and cleanup ---------------------------------------------------

work_dir=$(mktemp -d -t waypost-chat-bench.XXXXXX)
server_pid=""
watcher_pid=""

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"  # stop_process, replace_section

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_process "$server_pid" server
  stop_process "$watcher_pid" watcher
  if [[ $status -ne 0 ]]; then
    for server_log in "$work_dir"/*.log; do
      [[ -s $server_log ]] || continue
      log "last lines of $(basename "$server_log"):"
      tail -n 20 "$server_log" >&2 || true
    done
  fi
  rm -rf "$work_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each connection is a socket in the load generator and one in the server.
wanted_files=$((connections + 1024))
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt 65536 ]]; then
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
[[ $(ulimit -n) == unlimited || $(ulimit -n) -ge $wanted_files ]] \
  || die "open-file limit $(ulimit -n) is below the $wanted_files needed; lower BENCH_CHAT_CONNECTIONS"

# --- tools and binaries ------------------------------------------------------

log "checking packages (scripts/install-deps.sh) and the Socket.IO reference (npm)"
bash "$repo_dir/scripts/install-deps.sh" >&2
for tool in node npm curl awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
npm install --prefix "$bench_dir" --no-audit --no-fund --loglevel=error >&2
socketio_version=$(node -p "require('$bench_dir/node_modules/socket.io/package.json').version")

if [[ $# -ge 1 ]]; then
  build_dir=$(realpath "$1")
else
  build_dir=$repo_dir/build-bench
  log "building chat-server and chat-loadgen (Release) in $build_dir"
  # WAYPOST_WERROR=OFF: a benchmark build should not stop on a new compiler warning.
  cmake -S "$repo_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DWAYPOST_BUILD_TESTS=OFF -DWAYPOST_WERROR=OFF >&2
  cmake --build "$build_dir" --target chat-server chat-loadgen >&2
fi
server_bin=$build_dir/apps/chat-server
loadgen_bin=$build_dir/tools/chat_loadgen/chat-loadgen
[[ -x $server_bin ]] || die "$server_bin is not an executable"
[[ -x $loadgen_bin ]] || die "$loadgen_bin is not an executable"
log "binaries: $server_bin, $loadgen_bin"

# --- disturbance watcher -----------------------------------------------------

# Samples once a second how many compiler and linker processes of other work run; the
# largest count seen is what the report shows.
start_watch() {  # seconds
  local out=$work_dir/watch.txt
  : >"$out"
  (
    for _ in $(seq "$1"); do
      ps -eo comm= | grep -cE '^(cc1plus|cc1|collect2|ld|ld\.gold|lto1)$' >>"$out" || true
      sleep 1
    done
  ) &
  watcher_pid=$!
}
finish_watch() {
  stop_process "$watcher_pid" watcher
  watcher_pid=""
  sort -n "$work_dir/watch.txt" | tail -n 1 | grep . || echo 0
}

# --- one load run ------------------------------------------------------------

server_port=""
wait_for_port() {  # port file, name
  for _ in $(seq 100); do
    [[ -s $1 ]] && break
    kill -0 "$server_pid" 2>/dev/null || die "$2 exited at start"
    sleep 0.1
  done
  [[ -s $1 ]] || die "$2 wrote no port file within 10 s"
  server_port=$(tr -d '[:space:]' <"$1")
}

start_waypost() {
  rm -f "$work_dir/waypost.port"
  # Minimal Argon2 cost: registering hundreds of users must take seconds, not minutes. The
  # send limit is raised far above the load so that the rate limiter never answers.
  "$server_bin" --address 127.0.0.1 --port 0 --port-file "$work_dir/waypost.port" \
    --database "$work_dir/chat/chat.db" --log-level warn --argon2-ops 1 --argon2-memory 8192 \
    --send-rate 1000000 --send-burst 1000000 --shutdown-grace-ms 2000 \
    >>"$work_dir/waypost.log" 2>&1 &
  server_pid=$!
  wait_for_port "$work_dir/waypost.port" chat-server
  curl -fsS --max-time 5 "http://127.0.0.1:$server_port/readyz" >/dev/null \
    || die "chat-server is not ready"
}

start_socketio() {
  rm -f "$work_dir/socketio.port"
  node "$bench_dir/socketio/server.js" "$work_dir/socketio.port" >>"$work_dir/socketio.log" 2>&1 &
  server_pid=$!
  wait_for_port "$work_dir/socketio.port" "socket.io server"
}

loadgen_args=(--connections "$connections" --users "$users" --groups "$groups"
  --group-size "$group_size" --private-share "$private_share" --rate "$rates"
  --warmup "$warmup" --duration "$duration" --drain "$drain")
loadgen_command="chat-loadgen --protocol PROTOCOL --port PORT ${loadgen_args[*]} --server-pid PID"

run_load() {  # target (waypost or socketio)
  local target=$1 steps seconds load
  steps=$(tr ',' '\n' <<<"$rates" | grep -c .)
  seconds=$((15 + steps * (warmup + duration + drain + 6)))
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $target == waypost ]]; then start_waypost; else start_socketio; fi
  log "$target: server pid $server_pid on port $server_port; load starts (load average $load)"
  start_watch "$seconds"
  timeout "$((seconds + 60))" "$loadgen_bin" --protocol "$target" --port "$server_port" \
    "${loadgen_args[@]}" --server-pid "$server_pid" --json-out "$work_dir/$target.json" \
    >/dev/null 2>"$work_dir/$target.loadgen.txt" \
    || { cat "$work_dir/$target.loadgen.txt" >&2; die "chat-loadgen failed against $target"; }
  local compilers
  compilers=$(finish_watch)
  sed 's/^/  /' "$work_dir/$target.loadgen.txt" >&2
  kill -0 "$server_pid" 2>/dev/null || die "the $target server died during the load"
  stop_process "$server_pid" "$target server"
  server_pid=""
  printf '%s\t%s\n' "$load" "$compilers" >"$work_dir/$target.env"
}

run_load waypost
run_load socketio

# --- report ------------------------------------------------------------------

waypost_log_lines=$(grep -c . "$work_dir/waypost.log" || true)
waypost_log_tail=$(tail -n 5 "$work_dir/waypost.log" | cut -c1-300 || true)
IFS=$'\t' read -r waypost_load waypost_compilers <"$work_dir/waypost.env"
IFS=$'\t' read -r socketio_load socketio_compilers <"$work_dir/socketio.env"

# Tables from the two JSON reports; node is here anyway for the reference server.
tables=$(node - "$work_dir/waypost.json" "$work_dir/socketio.json" <<'EOF'
const fs = require("fs");
const [way, sio] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const fixed = (v, d) => (v === null || v === undefined || v < 0 ? "n/a" : v.toFixed(d));
const ratio = (a, b) => (a > 0 && b > 0 ? (a / b).toFixed(2) : "n/a");
const errors = (r, s) =>
  s.send_errors + Math.max(0, s.sent - s.acked - s.send_errors) + r.errors.connect_failures +
  r.errors.disconnects;
const lines = [];
lines.push("| target msgs/s | server | sent/s | delivered msgs/s | received msgs/s | p50 | p99 | p999 | " +
           "ack p50 | missing deliveries | errors | server CPU |");
lines.push("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
way.steps.forEach((w, i) => {
  const s = sio.steps[i];
  for (const [name, r, st] of [["waypost", way, w], ["socket.io", sio, s]]) {
    const l = st.delivery_latency;
    lines.push(`| ${st.target_rate} | ${name} | ${fixed(st.sent_per_second, 0)} | ` +
      `${fixed(st.delivered_per_second, 0)} | ${fixed(st.received_per_second, 0)} | ` +
      `${fixed(l.p50_ms, 1)} ms | ${fixed(l.p99_ms, 1)} ms | ${fixed(l.p999_ms, 1)} ms | ` +
      `${fixed(st.ack_latency.p50_ms, 1)} ms | ${st.missing_deliveries} | ${errors(r, st)} | ` +
      `${fixed(st.server_cpu_percent, 0)}% |`);
  }
  const wl = w.delivery_latency, sl = s.delivery_latency;
  lines.push(`| ${w.target_rate} | ratio waypost/socket.io | ${ratio(w.sent_per_second, s.sent_per_second)} | ` +
    `${ratio(w.delivered_per_second, s.delivered_per_second)} | ` +
    `${ratio(w.received_per_second, s.received_per_second)} | ${ratio(wl.p50_ms, sl.p50_ms)} | ` +
    `${ratio(wl.p99_ms, sl.p99_ms)} | ${ratio(wl.p999_ms, sl.p999_ms)} | ` +
    `${ratio(w.ack_latency.p50_ms, s.ack_latency.p50_ms)} | | | |`);
});
lines.push("");
lines.push("| server | connections | RSS before connecting | RSS connected | RSS after the load | " +
           "memory per connection | connect time |");
lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [name, r] of [["waypost", way], ["socket.io", sio]]) {
  const m = r.memory;
  lines.push(`| ${name} | ${r.connections_established}/${r.connections_wanted} | ` +
    `${fixed(m.server_rss_kib_before_connect / 1024, 1)} MiB | ${fixed(m.server_rss_kib_connected / 1024, 1)} MiB | ` +
    `${fixed(m.server_rss_kib_after_load / 1024, 1)} MiB | ${fixed(m.kib_per_connection, 1)} KiB | ` +
    `${fixed(r.connect_seconds, 2)} s |`);
}
const wm = way.memory.kib_per_connection, sm = sio.memory.kib_per_connection;
lines.push(`| ratio waypost/socket.io | | | | | ${ratio(wm, sm)} | |`);
lines.push("");
for (const [name, r] of [["waypost", way], ["socket.io", sio]]) {
  const e = r.errors;
  lines.push(`- ${name}: connect failures ${e.connect_failures}, disconnects ${e.disconnects}, ` +
    `unacknowledged at the end ${e.unacknowledged_at_end}, error frames ` +
    `${JSON.stringify(e.by_kind)}, close reasons ${JSON.stringify(e.close_reasons)}, ` +
    `load generator CPU ${r.steps.map((s) => fixed(s.loadgen_cpu_percent, 0) + "%").join(" / ")}.`);
}
console.log(lines.join("\n"));
EOF
)

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_dir" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (work tree had uncommitted changes)"
fi
elapsed=$(($(date +%s) - started_at))
if [[ $waypost_compilers == 0 && $socketio_compilers == 0 ]]; then
  disturbance="No compiler or linker of other work was seen running during the loads."
else
  disturbance="**Disturbed:** up to $waypost_compilers (waypost run) and $socketio_compilers
(socket.io run) compiler or linker processes of other work were running at the same time
(sampled once a second), on a machine with $cores cores: the figures are lower and noisier
than on a quiet machine."
fi
if [[ $waypost_log_lines -eq 0 ]]; then
  server_log_text="chat-server logged nothing at level warn or above."
else
  server_log_text="chat-server logged $waypost_log_lines line(s) at level warn or above; the last ones:

$(printf '%s\n' "$waypost_log_tail" | sed 's/^/    /')"
fi

section=$work_dir/section.md
cat >"$section" <<EOF
# Chat benchmark results

Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC'); this section is
rewritten by every run of that script (the rest of the file is left alone).

## What is measured

$connections WebSocket connections over $users users (two devices each with the
defaults), $groups groups of $group_size members, each user with 4 private contacts. Every
connection sends at its share of the target rate, paced by timers; a fraction
$private_share of the sends are private messages to a contact, the rest go to one of the
sender's groups. Each text carries the sender's steady-clock time, so every reception
gives an end-to-end latency (send to arrival on the recipient's socket). A private message
reaches every device of the recipient and the sender's other device; a group message
every device of the other members and the sender's other device.

- **waypost**: \`chat-server\` (Release) with a fresh SQLite database; users register and
  log in over REST, groups are created over REST, then the WebSocket protocol of
  docs/chat-protocol.md. The server stores every message durably in SQLite (WAL, group
  commit) **before** it acks and fans it out.
- **socket.io**: \`bench/socketio/server.js\` on Node.js $(node --version), socket.io
  $socketio_version: rooms per user and per group, acknowledgement callbacks, no
  accounts, no membership checks and no storage at all. It is the yardstick for raw
  fan-out speed; the load generator speaks Engine.IO v4 / Socket.IO v5 to it.

Columns: *sent/s* the sends actually made in the measured window; *delivered msgs/s*
the receptions of those sends (arriving during the window or the drain after it) per
second of window; *received msgs/s* every reception that arrived during the window
(the server's delivery throughput even when it falls behind); *p50/p99/p999* the
delivery latency of the window's sends; *missing deliveries* receptions expected but not
seen before the drain ended; *errors* refused or unacknowledged sends, failed connections
and disconnects; *server CPU* the server process's CPU time over the window (100% = one
core). Memory per connection is (RSS after all connections are open and a 1 s pause
minus RSS before the first connection) / connections.

## Machine

- CPU: ${cpu_model:-unknown}, $cores cores (nproc); memory $memory; Linux $(uname -r)
- commit: $commit; binaries from \`${build_dir#"$repo_dir"/}\`
- load average at the start: waypost run $waypost_load, socket.io run $socketio_load

$disturbance

## Results

Command for each server (PROTOCOL waypost or socketio):
\`$loadgen_command\`
(each step: ${warmup} s warm-up, ${duration} s measured, then at most ${drain} s for late acks and
deliveries). The load generator, the server and whatever else runs share the $cores cores.

$tables

$server_log_text

What differs: waypost commits every message to SQLite (group commit, WAL) before the
ack and before anyone receives it, checks the sender's membership and keeps read
positions and offline notifications; socket.io keeps nothing and checks nothing. The
ratios are therefore the cost of durability and of the chat rules on top of fan-out, on
this machine, under this load generator. When a step's latency reaches seconds, that
server is saturated at that rate and the queue grew during the window: its *received*
figure is then the throughput it sustains.

Whole run (build not counted): ${elapsed} s.
EOF

replace_section "$results_file" chat-results "$section"

log "chat section written to ${results_file#"$repo_dir"/} in ${elapsed} s"
printf '%s\n' "$tables"
