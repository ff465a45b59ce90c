#!/usr/bin/env bash
# Benchmark of the link statistics query (GET /api/v1/links/{code}/stats) on a
# database of 10 million synthetic clicks, side by side with the same figures
# computed from the raw click rows (through a (code, at) index that
# stats-bench builds after the fill; the server has none). Rewrites only the
# stats section of bench/RESULTS.md (between the stats-results markers).
#
# Usage: bench/run-stats.sh [PATH/TO/stats-bench]
#
# Without an argument stats-bench (tools/stats_bench) is built (Release) in
# build-bench/. The database lives in a mktemp directory that is removed at the
# end (it reaches about 2 GB with the defaults). No network is used. The
# stats-bench run is bounded by BENCH_STATS_TIMEOUT. Knobs (environment):
#   BENCH_STATS_CLICKS=10000000   clicks stored before the queries
#   BENCH_STATS_LINKS=1000        links they are spread over (skewed: 20% get 80%)
#   BENCH_STATS_DAYS=365          days they are spread over (evenly, in time order)
#   BENCH_STATS_BATCH=20000       clicks per ClickStore::write while filling
#   BENCH_STATS_REPETITIONS=100   timed queries of each kind (rollup, raw) per case
#   BENCH_STATS_TIMEOUT=1800      seconds the whole stats-bench run may take
#   BENCH_RESULTS=bench/RESULTS.md   where the report goes
set -euo pipefail

started_at=$(date +%s)
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$bench_dir/.." && pwd)
invocation="bench/run-stats.sh${*:+ $*}"

clicks=${BENCH_STATS_CLICKS:-10000000}
links=${BENCH_STATS_LINKS:-1000}
days=${BENCH_STATS_DAYS:-365}
batch=${BENCH_STATS_BATCH:-20000}
repetitions=${BENCH_STATS_REPETITIONS:-100}
timeout_seconds=${BENCH_STATS_TIMEOUT:-1800}
results_file=${BENCH_RESULTS:-$bench_dir/RESULTS.md}
cores=$(nproc)

# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"  # require_positive_integers, stop_process, count_compilers, ...

require_positive_integers run-stats clicks links days batch repetitions timeout_seconds

log() { printf '[stats-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- processes and cleanup ---------------------------------------------------

work_dir=$(mktemp -d -t waypost-stats-bench.XXXXXX)
bench_pid=""
watcher_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_process "$bench_pid" stats-bench
  stop_process "$watcher_pid" watcher
  rm -rf "$work_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools and binary --------------------------------------------------------

log "checking packages (scripts/install-deps.sh)"
bash "$repo_dir/scripts/install-deps.sh" >&2
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"

bench_bin=$(release_binary stats-bench tools/stats-bench "${1:-}")
log "stats-bench binary: $bench_bin"
bench_started_at=$(date +%s)
build_seconds=$((bench_started_at - started_at))

# --- the run -----------------------------------------------------------------

database=$work_dir/stats.db
out=$work_dir/stats-bench.out
stats_command="stats-bench --database DB --clicks $clicks --links $links --days $days --batch $batch --repetitions $repetitions"
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
free_space=$(df -Pk "$work_dir" | awk 'NR == 2 { printf "%.0f GiB", $4 / 1048576 }')
log "filling $clicks clicks into $database ($free_space free), then timing the queries (load $start_load)"

# Other work on the machine: the number of compiler and linker processes running,
# sampled once a second while stats-bench runs (bounded like it), as "TIME COUNT" lines.
(
  for _ in $(seq $((timeout_seconds + 10))); do
    echo "$(date +%s) $(count_compilers)" >>"$work_dir/compilers.txt"
    sleep 1
  done
) &
watcher_pid=$!

# stats-bench prints a FILL line once the clicks are stored and rolled up, then
# builds the reference's index on the raw clicks and prints an INDEX line; the
# load average then shows what fill and index build left behind when the
# queries start.
timeout "$timeout_seconds" "$bench_bin" --database "$database" --clicks "$clicks" \
  --links "$links" --days "$days" --batch "$batch" --repetitions "$repetitions" \
  >"$out" 2> >(tee "$work_dir/stats-bench.err" >&2) &
bench_pid=$!
query_load="?"
queries_started=$((timeout_seconds + $(date +%s)))
while kill -0 "$bench_pid" 2>/dev/null; do
  if [[ $query_load == "?" ]] && grep -q '^INDEX ' "$out"; then
    query_load=$(cut -d' ' -f1-3 /proc/loadavg)
    queries_started=$(date +%s)
  fi
  sleep 0.5
done
bench_status=0
wait "$bench_pid" || bench_status=$?
bench_pid=""
stop_process "$watcher_pid" watcher
watcher_pid=""
compilers_max() {  # from, to (epoch seconds): the largest count sampled in [from, to)
  awk -v from="$1" -v to="$2" '$1 >= from && $1 < to && $2 > max { max = $2 } END { print max + 0 }' \
    "$work_dir/compilers.txt" 2>/dev/null || echo 0
}
fill_compilers=$(compilers_max 0 "$queries_started")
query_compilers=$(compilers_max "$queries_started" 9999999999)
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

case $bench_status in
  0) agreement="Rollup and raw answers were identical in every case (totals, every series point, every top list)." ;;
  3) agreement="**The rollup and raw answers differed** (see the *same answer* column): a bug in one of the two." ;;
  124) die "stats-bench did not finish within $timeout_seconds s (BENCH_STATS_TIMEOUT); try fewer BENCH_STATS_CLICKS" ;;
  *) die "stats-bench failed with status $bench_status: $(tail -n 5 "$work_dir/stats-bench.err")" ;;
esac
grep -q '^FILL ' "$out" || die "stats-bench printed no FILL line"
grep -q '^INDEX ' "$out" || die "stats-bench printed no INDEX line"

field() {  # line, key
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}
fill_line=$(grep -m1 '^FILL ' "$out")
index_line=$(grep -m1 '^INDEX ' "$out")
rows_line=$(grep -m1 '^ROWS ' "$out")
fill_seconds=$(field "$fill_line" seconds)
fill_rate=$(field "$fill_line" per_second)
rollups=$(field "$fill_line" rollups)
rollup_seconds=$(field "$fill_line" rollup_seconds)
index_seconds=$(field "$index_line" seconds)
table=$(grep '^|' "$out")

# --- database size -------------------------------------------------------------

file_bytes=$(stat -c %s "$database")
wal_bytes=$(stat -c %s "$database-wal" 2>/dev/null || echo 0)
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
log "database: $(mib "$file_bytes") (+ $(mib "$wal_bytes") WAL); measuring its tables"
# dbstat reads every page once; the tables of the click analytics and the
# reference's index (the server's schema has no index on clicks).
objects=$(timeout 300 sqlite3 "$database" "SELECT name, SUM(pgsize) FROM dbstat
    WHERE name IN ('clicks', 'stats_bench_clicks_by_code', 'click_hours', 'click_visitors')
    GROUP BY name ORDER BY SUM(pgsize) DESC;" 2>/dev/null || true)
if [[ -n $objects ]]; then
  object_sizes=$(awk -F'|' '{ printf "%s%s %.0f MiB", (NR > 1 ? ", " : ""), $1, $2 / 1048576 }' <<<"$objects")
else
  object_sizes="(dbstat not available)"
fi
rm -f "$database" "$database-wal" "$database-shm"

# --- RESULTS.md ------------------------------------------------------------------

elapsed=$(( $(date +%s) - bench_started_at ))
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_dir" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (work tree had uncommitted changes)"
fi
if [[ $fill_compilers == 0 && $query_compilers == 0 ]]; then
  disturbance="No compiler or linker of other work was seen running during the run."
elif [[ $query_compilers == 0 ]]; then
  disturbance="**Fill disturbed:** up to $fill_compilers compiler or linker processes of other work ran
during the fill and the index build (so they took longer than on a quiet machine), none during
the queries."
else
  disturbance="**Disturbed:** up to $fill_compilers compiler or linker processes of other work ran
during the fill and the index build and up to $query_compilers during the queries: the query
times are higher and noisier than on a quiet machine."
fi
if (( $(awk -v s="$fill_seconds" 'BEGIN { print (s > 600) }') )); then
  fill_note="
  **The fill took more than 10 minutes.**"
else
  fill_note=""
fi

section=$work_dir/section.md
cat >"$section" <<EOF
# Stats query benchmark results

Generated by \`$invocation\` on $(date -u '+%Y-%m-%d %H:%M UTC'); this section is
rewritten by every run of that script (the rest of the file is left alone).

## What is measured

\`stats-bench\` (tools/stats_bench) creates a new shortener database and stores
$clicks synthetic clicks through the click recorder's storage calls.
\`SqliteClickStore::write\` only appends the raw rows to \`clicks\`. After every
million clicks and once at the end, \`SqliteClickStore::roll_up\` folds the clicks
stored since the previous roll-up, in bulk, into \`click_hours\` (one row per link
and hour: human, unique and bot counts and a JSON object with the human clicks by
referrer, country, browser, system and device) and into the day's visitor sets. The
server rolls up from its click writer thread at most once a second, less often under
load; counting clicks instead keeps the fill reproducible. As in the server, asking
for a new UTC day's visitor key drops the visitor sets of earlier days.
The clicks are spread evenly in time order over $days days from 2025-01-01 and skewed
over $links links (20% of the links get 80% of the clicks: the busiest link,
\`link0\`, gets about 0.4% of them), and over skewed referrers, countries, browsers,
systems and devices; 10% are bots.

Then, per case, it times two ways of computing the same statistics, alternating them
$repetitions times each after one untimed run of both (so the pages are in the OS page
cache):

- **rollup**: \`SqliteClickStore::stats\`, what GET /api/v1/links/{code}/stats runs on a
  storage thread: it reads the link's \`click_hours\` rows in the range, adds up their
  counts into the series and merges their JSON breakdowns into the five top-10 lists.
  The HTTP and JSON work around it is not included.
- **raw** (reference): the same \`LinkStats\` from the raw \`clicks\` rows: one
  \`GROUP BY\` over the range for the series, one for unique visitors (first human
  click of a visitor per UTC day), one per top list. The server keeps no index on
  \`clicks\` (it would slow every click write down), so stats-bench builds its own
  \`(code, at)\` index, \`stats_bench_clicks_by_code\`, after the fill and before the
  queries; without it every raw query would scan the whole table.

The tool compares both answers in every case (totals, every series point, every top
list). *rollup rows* and *raw rows* are the rows in the range each way has to read;
*raw/rollup* is how many times faster the rollups are (above 1: the rollups win). The
index the reference reads is work the server does not do; its build time and size are
listed under *Fill*.

Command: \`$stats_command\` (DB in a \`mktemp\` directory, deleted at the end).

## Machine

- CPU: ${cpu_model:-unknown}, $cores cores (nproc); memory $memory; Linux $(uname -r)
- commit: $commit; binary \`${bench_bin#"$repo_dir"/}\`; SQLite $(sqlite3 --version | cut -d' ' -f1) (CLI)
- load average (1, 5, 15 min): at the start $start_load; when the queries started $query_load; at the end $end_load

$disturbance

## Fill

- $clicks clicks in $fill_seconds s ($fill_rate clicks/s) in transactions of $batch clicks;
  of that time, $rollup_seconds s went to the roll-ups (calls: $rollups).$fill_note
  The batch size changes only the fill time, not what is stored; the server's recorder
  writes at most \`--click-batch-size\` (2000) clicks per transaction.
- The reference's index \`stats_bench_clicks_by_code\` on \`clicks (code, at)\`, built
  after the fill: $index_seconds s. It is not part of the server's schema.
- Rows: $(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); printf "%s%s %d", (i > 2 ? ", " : ""), kv[1], kv[2] } }' <<<"$rows_line").
- Database size after the queries: $(mib "$file_bytes") file + $(mib "$wal_bytes") WAL;
  by table and index: $object_sizes.

## Query times (ms; p50 and p99 over $repetitions runs each)

$table

$agreement

Whole run: ${elapsed} s, plus ${build_seconds} s for the package check and the build.
EOF

replace_section "$results_file" stats-results "$section"
log "stats section written to ${results_file#"$repo_dir"/} in ${elapsed} s"
printf '%s\n%s\n%s\n%s\n' "$fill_line" "$index_line" "$rows_line" "$table"
[[ $bench_status -eq 0 ]] || die "rollup and raw answers differed"
