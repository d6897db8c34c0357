# Shared by scripts/test-services and scripts/dev-db: running PostgreSQL 15's
# server binaries, as the `postgres` system user when we are root (PostgreSQL
# refuses to run as root), directly otherwise. Sourced, not executed.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

if [[ ! -x "$PG_BIN/initdb" ]]; then
  echo "PostgreSQL 15 server binaries not found in $PG_BIN (install postgresql-15, or set PG_BIN)" >&2
  exit 1
fi

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Gives a directory to the cluster's owner.
pg_own_dir() {
  if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres: "$1"
  fi
  chmod 700 "$1"
}

# A free TCP port on 127.0.0.1 (the kernel picks; a race with another process
# is possible but harmless: start-up then fails loudly).
pg_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  fi
}

# pg_init_cluster DATA_DIR PORT SOCKET_DIR [extra postgresql.conf lines...]
# initdb with trust authentication for local and 127.0.0.1 connections, the
# superuser `postgres`, UTF-8, and a configuration fit for tests and
# development: listens on 127.0.0.1 only, preloads pg_stat_statements.
pg_init_cluster() {
  local data=$1 port=$2 sockdir=$3
  shift 3
  pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$data.initdb.log" 2>&1 || {
    cat "$data.initdb.log" >&2
    return 1
  }
  rm -f "$data.initdb.log"
  {
    echo "# added by rural24 scripts"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$sockdir'"
    echo "shared_preload_libraries = 'pg_stat_statements'"
    echo "max_connections = 300"
    echo "wal_level = replica"
    echo "max_wal_senders = 10"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    for line in "$@"; do echo "$line"; done
  } | pg_as_owner tee -a "$data/postgresql.conf" >/dev/null
  # Replication connections for pg_basebackup and standbys, from 127.0.0.1.
  echo "host replication all 127.0.0.1/32 trust" | pg_as_owner tee -a "$data/pg_hba.conf" >/dev/null
}

# pg_start DATA_DIR LOGFILE — waits until the server accepts connections.
pg_start() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$1" -l "$2" -w -t 60 start >/dev/null
}

# pg_stop DATA_DIR [MODE] — fast by default; ignores a server that is not running.
pg_stop() {
  if [[ -f "$1/postmaster.pid" ]]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1 || true
  fi
}
