#!/usr/bin/env bash
# Builds the web console into web/dist: installs the locked packages when
# node_modules is missing or older than package-lock.json, `npm run build` when dist is missing or
# older than any source of the console. Does nothing when all is current.
set -euo pipefail
web=$(cd "$(dirname "$0")/../web" && pwd)
cd "$web"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  # `npm install` with the committed lock installs exactly the locked
  # versions. Not `npm ci`: npm 11 refuses this lock in `ci` for the
  # platform-specific optional packages of rollup it leaves out of it.
  echo "web: npm install (locked versions)"
  npm install --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
out=dist/index.html
if [ -f "$out" ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json -newer "$out" -print -quit)" ]; then
  exit 0
fi
echo "web: npm run build"
npm run build --silent
