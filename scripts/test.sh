#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, checks formatting,
# then runs every unit and integration test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc)"
./scripts/check-format.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 300
