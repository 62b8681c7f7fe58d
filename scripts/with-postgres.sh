#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# Starts a fresh cluster from Debian's postgresql package in a new temporary
# directory, listening on 127.0.0.1 only (on a free port) and on a unix socket
# inside that directory, creates the database hydra_test, exports
# HYDRA_TEST_PG_URL=postgres://hydra:PASSWORD@127.0.0.1:PORT/hydra_test and
# runs COMMAND. The server is stopped and the directory removed when the
# script exits, whether COMMAND passed, failed or was interrupted. Exits with
# COMMAND's status.
#
# PostgreSQL refuses to run as root; as root the server runs as the `postgres`
# system user that the package creates.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

pg_bin=${HYDRA_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$pg_bin/initdb" ]; then
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
    pg_bin=$newest
  else
    echo "with-postgres: no initdb under /usr/lib/postgresql; run scripts/install-deps.sh" >&2
    exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hydra-pg.XXXXXX")
chmod 700 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$work"
  as_pg=(runuser -u postgres --)
fi
started=0

cleanup() {
  local rc=$?
  if [ "$started" -eq 1 ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 ||
      "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
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

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$work/pwfile"
[ ${#as_pg[@]} -eq 0 ] || chown postgres:postgres "$work/pwfile"

"${as_pg[@]}" "$pg_bin/initdb" -D "$work/data" -U hydra --pwfile="$work/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
  >"$work/initdb.log" 2>&1 || {
  cat "$work/initdb.log" >&2
  exit 1
}
rm -f "$work/pwfile"

# A free port can be taken by someone else between the check and the start,
# so a failed start is tried again on another port.
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  port_in_use "$port" && continue
  if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off -c full_page_writes=off" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ "$started" -ne 1 ]; then
  echo "with-postgres: server did not start; its log:" >&2
  cat "$work/server.log" >&2 || true
  exit 1
fi

"${as_pg[@]}" "$pg_bin/createdb" -h "$work" -p "$port" -U hydra hydra_test

export HYDRA_TEST_PG_URL="postgres://hydra:$password@127.0.0.1:$port/hydra_test"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
# The command runs in the background so that a signal to this script is
# handled at once (bash runs traps only between commands): it is passed on to
# the command and the server is stopped, instead of outliving us.
"$@" <&0 &
child=$!
trap 'kill -INT "$child" 2>/dev/null; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; exit 143' TERM
set +e
wait "$child"
rc=$?
set -e
exit "$rc"
