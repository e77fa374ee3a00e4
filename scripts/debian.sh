# Debian packages installed on demand, for the scripts that need a tool this machine may lack (.ci/run,
# scripts/test-postgres.sh, scripts/test-postgres-replica.sh). Meant to be sourced; defines functions only.

# debian_install WHY PACKAGE...: says WHY, then installs the packages quietly from Debian's archive.
debian_install() {
  local why="$1"
  shift
  echo "$why"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}

# postgres_bin_dir [TOOL...]: the newest /usr/lib/postgresql/*/bin holding initdb, pg_ctl and every TOOL;
# fails when there is none.
postgres_bin_dir() {
  local d t ok
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    ok=1
    for t in initdb pg_ctl "$@"; do [ -x "$d/$t" ] || ok=0; done
    if [ "$ok" = 1 ]; then echo "$d"; return 0; fi
  done
  return 1
}
