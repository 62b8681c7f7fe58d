#!/usr/bin/env bash
# Runs a command next to a throwaway Redis server.
#
#   scripts/with-redis.sh COMMAND [ARGS...]
#
# Starts Debian's redis-server in a new temporary directory, listening on
# 127.0.0.1 only (on a free port; no persistence), exports
# HYDRA_TEST_REDIS_URL=redis://127.0.0.1:PORT and runs COMMAND. The server
# is stopped and the directory removed when the script exits, whether
# COMMAND passed, failed or was interrupted. Exits with COMMAND's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
server=${HYDRA_REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$server" ]; then
  echo "with-redis: redis-server not found; run scripts/install-deps.sh" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hydra-redis.XXXXXX")
pid=""

cleanup() {
  local rc=$?
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port can be taken between the check and the start: try others.
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  port_in_use "$port" && continue
  "$server" --bind 127.0.0.1 --port "$port" --dir "$work" --save "" --appendonly no \
    --protected-mode yes --daemonize no --logfile "$work/server.log" &
  pid=$!
  for _ in $(seq 100); do
    if port_in_use "$port"; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null && port_in_use "$port"; then
    break
  fi
  pid=""
done
if [ -z "$pid" ]; then
  echo "with-redis: server did not start; its log:" >&2
  cat "$work/server.log" >&2 || true
  exit 1
fi

export HYDRA_TEST_REDIS_URL="redis://127.0.0.1:$port"
echo "with-redis: Redis $("$server" --version | awk '{print $3}' | sed 's/v=//') on 127.0.0.1:$port" >&2
# In the background so a signal to this script is handled at once and
# passed on (bash runs traps only between commands).
"$@" <&0 &
child=$!
trap 'kill -INT "$child" 2>/dev/null; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; exit 143' TERM
set +e
wait "$child"
rc=$?
set -e
exit "$rc"
