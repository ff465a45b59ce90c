#!/usr/bin/env bash
# Builds the project (Release) and runs both services in the foreground on
# their embedded SQLite storage, until Ctrl-C or SIGTERM stops them both.
#
#   shortener-server  http://127.0.0.1:${SHORTENER_PORT:-8080}
#   chat-server       http://127.0.0.1:${CHAT_PORT:-8090}  (WebSocket at /ws)
#
# Every option of either server can be set through its environment variables
# (see README.md); databases go to ./data/ unless told otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DWAYPOST_BUILD_TESTS=OFF \
  -DWAYPOST_WERROR=OFF >/dev/null
cmake --build build-release --parallel "$(nproc)"

mkdir -p data
export SHORTENER_PORT="${SHORTENER_PORT:-8080}"
export CHAT_PORT="${CHAT_PORT:-8090}"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop_all INT TERM

./build-release/apps/shortener-server &
pids+=($!)
if [ -x build-release/apps/chat-server ]; then
  ./build-release/apps/chat-server &
  pids+=($!)
fi

echo "run: shortener on http://127.0.0.1:${SHORTENER_PORT}, chat on http://127.0.0.1:${CHAT_PORT}" \
     "(Ctrl-C stops both)"
wait -n || true
stop_all
