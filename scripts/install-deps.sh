#!/usr/bin/env bash
# Installs the Debian packages listed in deps/debian-packages.txt that are missing.
# Idempotent: does nothing (and needs no network) when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t wanted < <(grep -v -E '^\s*(#|$)' "$here/deps/debian-packages.txt")
missing=()
for p in "${wanted[@]}"; do
  # Node.js packages from other sources bundle npm and conflict with Debian's.
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# npm clients of the node tests (pinned in tests/node/package-lock.json):
# `npm ci` when node_modules is missing or older than the lock file.
node_tests="$here/tests/node"
stamp="$node_tests/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$node_tests/package-lock.json" -nt "$stamp" ]; then
  echo "tests/node: npm ci"
  (cd "$node_tests" && npm ci --no-audit --no-fund --loglevel=error)
fi
