#!/usr/bin/env bash
# Fails when a C++ file differs from what the pinned clang-format 14 makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(clang-format --version | grep -oE '[0-9]+' | head -1)
if [ "$version" != "14" ]; then
  echo "check-format: clang-format 14 is pinned, found $version" >&2
  exit 1
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard \
  '*.cpp' '*.hpp' | grep -v '^build')
if [ ${#files[@]} -eq 0 ]; then exit 0; fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
