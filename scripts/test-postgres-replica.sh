#!/usr/bin/env bash
# A throw-away PostgreSQL primary and its streaming replica on 127.0.0.1, for the failover tests:
# the replica is made with pg_basebackup -R on a replication slot and is the primary's synchronous
# standby (synchronous_standby_names, synchronous_commit=on), so a COMMIT returns only once the
# replica has it and a promotion loses no committed transaction. fsync stays on (the default).
# Installs Debian's postgresql package first if this machine has no server binaries. Meant to be
# sourced:
#   source scripts/test-postgres-replica.sh
# exports TEST_PG_HA_DIR, TEST_PG_PRIMARY_PORT, TEST_PG_REPLICA_PORT and DATABASE_URL_HA, a
# two-host URL (primary first) with target_session_attrs=read-write. Sourcing it again with
# TEST_PG_HA_DIR set to that folder reuses it and starts nothing. Then:
#   test_postgres_replica_promote        # pg_ctl promote of the replica (waits until it takes writes)
#   test_postgres_replica_stop primary   # stops one server (primary|replica) by its postmaster PID
#   test_postgres_replica_stop           # stops both by PID and removes the folder
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"
if ! PG_BIN="$(postgres_bin_dir pg_basebackup)"; then
  debian_install "test-postgres-replica: installing PostgreSQL from Debian's packages" postgresql
  PG_BIN="$(postgres_bin_dir pg_basebackup)"
fi

# The server refuses to run as root: run it as the postgres user the package created.
ha_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The postmaster PID of a data folder, or nothing when that server is not running.
ha_pid() {
  local pid
  [ -f "$1/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$1/postmaster.pid")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
ha_free_port() {
  local port
  for port in $(seq "$1" $(($1 + 60))); do
    if port_is_free "$port" && [ "$port" != "${2:-}" ]; then echo "$port"; return 0; fi
  done
  return 1
}

ha_psql() { ha_as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -c "$2"; }

ha_start() { # data folder, port
  ha_as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$1/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $2 -k $(dirname "$1") \
    -c max_connections=200 -c wal_level=replica -c max_wal_senders=5 -c max_replication_slots=5 -c hot_standby=on \
    -c synchronous_commit=on -c cluster_name=$(basename "$1")" start >/dev/null
}

# A folder made before is reused as it is, whatever runs there: starting a stopped old primary
# next to a promoted replica would make two primaries.
if [ -n "${TEST_PG_HA_DIR:-}" ] && [ -f "$TEST_PG_HA_DIR/ports" ]; then
  echo "test-postgres-replica: reusing $TEST_PG_HA_DIR"
else
  TEST_PG_PRIMARY_PORT="$(ha_free_port "${TEST_PG_HA_PORT:-54370}")"
  TEST_PG_REPLICA_PORT="$(ha_free_port $((TEST_PG_PRIMARY_PORT + 1)) "$TEST_PG_PRIMARY_PORT")"
  TEST_PG_HA_DIR="$(mktemp -d /tmp/fix-streamers-pg-ha.XXXXXX)"
  chmod 755 "$TEST_PG_HA_DIR"
  echo "$TEST_PG_PRIMARY_PORT $TEST_PG_REPLICA_PORT" >"$TEST_PG_HA_DIR/ports"
  mkdir -m 700 "$TEST_PG_HA_DIR/primary"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$TEST_PG_HA_DIR" "$TEST_PG_HA_DIR/primary"
  # initdb -A trust also lets 127.0.0.1 connect for replication.
  ha_as_pg "$PG_BIN/initdb" -D "$TEST_PG_HA_DIR/primary" -U postgres -A trust --no-sync >/dev/null
  ha_start "$TEST_PG_HA_DIR/primary" "$TEST_PG_PRIMARY_PORT"
  ha_as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$TEST_PG_PRIMARY_PORT" -U postgres fix_streamers_test
  ha_psql "$TEST_PG_PRIMARY_PORT" "SELECT pg_create_physical_replication_slot('replica')" >/dev/null
  # -R: standby.signal and primary_conninfo; -S: the slot keeps the WAL the replica still needs;
  # -c fast: an immediate checkpoint rather than a spread one (minutes).
  ha_as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$TEST_PG_PRIMARY_PORT" -U postgres \
    -D "$TEST_PG_HA_DIR/replica" -R -S replica -X stream -c fast >/dev/null
  ha_start "$TEST_PG_HA_DIR/replica" "$TEST_PG_REPLICA_PORT"
  # Synchronous only now (a commit before the standby is up would wait for it), and only on the
  # primary: the promoted replica must not wait for a standby it does not have.
  ha_psql "$TEST_PG_PRIMARY_PORT" "ALTER SYSTEM SET synchronous_standby_names = 'replica'" >/dev/null
  ha_psql "$TEST_PG_PRIMARY_PORT" "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(ha_psql "$TEST_PG_PRIMARY_PORT" "SELECT sync_state FROM pg_stat_replication")" = sync ] && break
    sleep 0.1
  done
  if [ "$(ha_psql "$TEST_PG_PRIMARY_PORT" "SELECT sync_state FROM pg_stat_replication")" != sync ]; then
    echo "test-postgres-replica: the replica did not become a synchronous standby" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
read -r TEST_PG_PRIMARY_PORT TEST_PG_REPLICA_PORT <"$TEST_PG_HA_DIR/ports"
export TEST_PG_HA_DIR TEST_PG_PRIMARY_PORT TEST_PG_REPLICA_PORT PG_BIN
export DATABASE_URL_HA="postgresql://postgres@127.0.0.1:${TEST_PG_PRIMARY_PORT},127.0.0.1:${TEST_PG_REPLICA_PORT}/fix_streamers_test?target_session_attrs=read-write"
echo "test-postgres-replica: primary 127.0.0.1:${TEST_PG_PRIMARY_PORT}, synchronous replica" \
  "127.0.0.1:${TEST_PG_REPLICA_PORT}, DATABASE_URL_HA=$DATABASE_URL_HA"

test_postgres_replica_promote() {
  ha_as_pg "$PG_BIN/pg_ctl" -D "$TEST_PG_HA_DIR/replica" -w -t 60 promote >/dev/null
}

# Stops a server by its postmaster PID: SIGINT is PostgreSQL's fast shutdown.
test_postgres_replica_stop() {
  local which pid
  for which in ${1:-primary replica}; do
    pid="$(ha_pid "$TEST_PG_HA_DIR/$which")"
    [ -n "$pid" ] || continue
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -z "${1:-}" ]; then rm -rf "$TEST_PG_HA_DIR"; fi
}
