#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on 127.0.0.1 for the test suite, installing Debian's
# postgresql package first if this machine has no server binaries. Meant to be sourced:
#   source scripts/test-postgres.sh   # exports DATABASE_URL and TEST_PG_DATA
# and stopped with: test_postgres_stop
# It runs with fsync=off: the tests check behaviour, not the disk, and run faster without the flushes.
# TEST_PG_FSYNC=on starts a durable server instead (fsync=on, synchronous_commit=on), as the
# end-to-end benchmark needs: TEST_PG_FSYNC=on source scripts/test-postgres.sh
set -euo pipefail

# First free port from 54329 up, unless one is given.
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
if [ -z "${TEST_PG_PORT:-}" ]; then
  for TEST_PG_PORT in $(seq 54329 54399); do
    port_is_free "$TEST_PG_PORT" && break
  done
fi

source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"
if ! PG_BIN="$(postgres_bin_dir)"; then
  debian_install "test-postgres: installing PostgreSQL from Debian's packages" postgresql
  PG_BIN="$(postgres_bin_dir)"
fi

# The server refuses to run as root: run it as the postgres user the package created.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

TEST_PG_FSYNC="${TEST_PG_FSYNC:-off}"
case "$TEST_PG_FSYNC" in
  on) pg_durability="-c fsync=on -c synchronous_commit=on" ;;
  off) pg_durability="-c fsync=off" ;;
  *) echo "test-postgres: TEST_PG_FSYNC must be on or off, not '$TEST_PG_FSYNC'" >&2; return 1 2>/dev/null || exit 1 ;;
esac

test_postgres_stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$TEST_PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$TEST_PG_DATA"
}

TEST_PG_DATA="$(mktemp -d /tmp/fix-streamers-pg.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$TEST_PG_DATA"
# A step that fails stops the server it may have started and removes its folder, with the server's
# log on stderr: a failed start leaves nothing running that no one will stop.
if ! { as_pg "$PG_BIN/initdb" -D "$TEST_PG_DATA" -U postgres -A trust --no-sync >/dev/null &&
  as_pg "$PG_BIN/pg_ctl" -D "$TEST_PG_DATA" -l "$TEST_PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $TEST_PG_PORT -k $TEST_PG_DATA -c max_connections=200 $pg_durability" start >/dev/null &&
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$TEST_PG_PORT" -U postgres fix_streamers_test; }; then
  echo "test-postgres: could not start a server on 127.0.0.1:${TEST_PG_PORT}; its log:" >&2
  tail -n 20 "$TEST_PG_DATA/server.log" >&2 2>/dev/null || true
  test_postgres_stop
  return 1 2>/dev/null || exit 1
fi

export TEST_PG_DATA PG_BIN TEST_PG_FSYNC
export DATABASE_URL="postgres://postgres@127.0.0.1:${TEST_PG_PORT}/fix_streamers_test"
echo "test-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:${TEST_PG_PORT} (fsync=${TEST_PG_FSYNC}), DATABASE_URL=$DATABASE_URL"
