#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and
# benchmark. Safe to run repeatedly; skips apt-get when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libcli11-dev
  libidn2-dev libsodium-dev
  libre2-dev libyaml-cpp-dev libgeoip-dev geoip-database libqrencode-dev libpng-dev
  libpsl-dev publicsuffix zbar-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  curl wrk nginx-light
)

# Node.js ships npm on some machines and apart from it on others.
if ! command -v node >/dev/null; then packages+=(nodejs); fi
if ! command -v npm >/dev/null; then packages+=(npm); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node packages pinned in package-lock.json: the ua-parser regexes that
# shortener-server reads, and the OpenAPI linter. Reinstalled when the lock changes.
if ! cmp -s package-lock.json node_modules/.installed-lock.json; then
  echo "install-deps: installing node packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-lock.json
fi
