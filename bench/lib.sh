# Helpers shared by the benchmark scripts; sourced, not run.

# require_positive_integers SCRIPT NAME...: exits with status 2, naming the
# first of the variables NAME... that is not a positive integer.
require_positive_integers() {
  local script=$1 name
  shift
  for name in "$@"; do
    if ! [[ ${!name} =~ ^[1-9][0-9]*$ ]]; then
      echo "$script: $name must be a positive integer, got '${!name}'" >&2
      exit 2
    fi
  done
}

# stop_process PID NAME: SIGTERM, wait up to 5 s, then SIGKILL; always reaps.
stop_process() {
  local pid=$1 name=$2
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop within 5 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# release_binary TARGET PATH [GIVEN]: prints the binary to measure: GIVEN when
# set (it must be executable), else TARGET freshly built in build-bench/ as a
# Release build, at PATH inside it. Expects repo_dir, log and die. Warnings do
# not stop this build (GCC 12 reports a false -Wrestrict at -O3 in
# url_normalizer.cpp, and a benchmark should not stop on a new warning).
release_binary() {
  local target=$1 path=$2 given=${3:-}
  if [[ -n $given ]]; then
    [[ -x $given ]] || die "$given is not an executable"
    realpath "$given"
    return
  fi
  local build_dir=$repo_dir/build-bench
  log "building $target (Release) in $build_dir"
  cmake -S "$repo_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DWAYPOST_BUILD_TESTS=OFF -DWAYPOST_WERROR=OFF >&2
  cmake --build "$build_dir" --target "$target" >&2
  printf '%s\n' "$build_dir/$path"
}

# count_compilers: compiler and linker processes running now (other people's builds).
count_compilers() {
  ps -eo comm= | grep -cxE 'cc1plus|cc1|clang(\+\+)?(-[0-9]+)?|ld|ld\.bfd|ld\.gold|ld\.lld|mold|collect2' || true
}

# RESULTS.md holds one part per benchmark script. The chat and stats parts sit
# between <!-- NAME:begin --> and <!-- NAME:end --> lines (NAME chat-results,
# stats-results); the shortener's part is the rest, at the top.

# replace_section FILE NAME SECTION: puts the text of file SECTION between the
# NAME markers of FILE, or appends it with the markers when FILE lacks them.
# Nothing else in FILE changes.
replace_section() {
  local file=$1 name=$2 section=$3
  local begin="<!-- $name:begin -->" end="<!-- $name:end -->"
  if [[ -f $file ]] && grep -qxF "$begin" "$file" && grep -qxF "$end" "$file"; then
    awk -v begin="$begin" -v end="$end" -v section="$section" '
      $0 == begin { print; while ((getline line < section) > 0) print line; skipping = 1; next }
      $0 == end { skipping = 0 }
      !skipping { print }' "$file" >"$file.new.$$"
    cat "$file.new.$$" >"$file"
    rm -f "$file.new.$$"
  else
    {
      [[ -s $file ]] && printf '\n'
      printf '%s\n' "$begin"
      cat "$section"
      printf '%s\n' "$end"
    } >>"$file"
  fi
}

# marked_sections FILE: every part of FILE between a <!-- NAME:begin --> line and
# its <!-- NAME:end --> line, markers included, in file order, a blank line
# between parts. Prints nothing when FILE is absent.
marked_sections() {
  [[ -f $1 ]] || return 0
  awk '
    !name && /^<!-- [a-z-]+:begin -->$/ {
      name = $2; sub(/:begin$/, "", name)
      if (parts++) print ""
    }
    name { print }
    name && $0 == "<!-- " name ":end -->" { name = "" }' "$1"
}
