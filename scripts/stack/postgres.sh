# shellcheck shell=bash
# PostgreSQL from Debian packages, one cluster per instance. Sourced by stack.sh.

PG_LINK=$INST_DIR/postgres   # the cluster lives here (or a symlink, see pg_prepare)
PG_CLUSTER=$INSTANCE         # its name where it cannot live there (see pg_prepare)

pg_home() {
  if [[ -e $PG_LINK ]]; then readlink -f "$PG_LINK"; else printf '%s' "$PG_LINK"; fi
}
pg_log() { printf '%s/postgres.log' "$PG_LINK"; }   # via the link, for repo-relative messages
pg_port() { printf '%s' "$PG_PORT"; }

# The cluster must keep using the major version that created it.
pg_bindir() {
  local data ver
  data=$(pg_home)/data
  if [[ -s $data/PG_VERSION ]]; then
    ver=$(<"$data/PG_VERSION")
    [[ -x /usr/lib/postgresql/$ver/bin/postgres ]] || die "$(rel "$data") needs PostgreSQL $ver binaries"
    printf '/usr/lib/postgresql/%s/bin' "$ver"
    return
  fi
  find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1
}
pg_missing_packages() { [[ -x "$(pg_bindir)/initdb" ]] || echo postgresql; }

# initdb refuses to run as root, so as root the cluster belongs to Debian's
# `postgres` user; anyone else simply runs it as themselves.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# The postgres user must be able to reach its data dir and socket. If the repo
# sits under a directory it cannot traverse (e.g. /root), or the socket path
# would exceed the kernel's 107-byte limit, the cluster goes into postgres's
# home and .devstack/<instance>/postgres becomes a symlink to it; deleting
# .devstack then leaves that directory behind.
pg_prepare() {
  [[ -e $PG_LINK ]] && return
  mkdir -p "$INST_DIR"
  local sock="$PG_LINK/run/.s.PGSQL.$PG_PORT"
  if ((EUID != 0)); then
    mkdir -m 700 "$PG_LINK"
  elif runuser -u postgres -- test -x "$INST_DIR" && ((${#sock} < 100)); then
    mkdir -m 700 "$PG_LINK"
    chown postgres:postgres "$PG_LINK"
  else
    local target
    target=$(getent passwd postgres | cut -d: -f6)/devstack/$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)/$PG_CLUSTER
    say "postgres cannot use $(rel "$PG_LINK") directly; keeping the cluster in $target (symlinked)"
    runuser -u postgres -- mkdir -p -m 700 "$target"
    ln -s "$target" "$PG_LINK"
  fi
}

pg_init() {
  local home bin
  home=$(pg_home) bin=$(pg_bindir)
  [[ -s $home/data/PG_VERSION ]] && return
  say "initialising PostgreSQL cluster in $(rel "$PG_LINK")"
  as_pg mkdir -p -m 700 "$home/run"
  # Local socket: trust is safe because the socket dir is private to the owner.
  as_pg "$bin/initdb" -D "$home/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$home/initdb.log"
  echo "include_if_exists = 'devstack.conf'" | as_pg tee -a "$home/data/postgresql.conf" >/dev/null
}

# Rewritten on every start so port/tuning changes here need no re-init.
pg_write_conf() {
  local home
  home=$(pg_home)
  {
    echo "# Written by scripts/stack.sh on each start; edit scripts/stack/postgres.sh instead."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$home/run'"
    echo "shared_buffers = 128MB"
    echo "max_connections = 100"
    if [[ $INSTANCE == test* ]]; then
      # Test databases are recreated on every run, so crash safety buys nothing
      # there; skipping fsync makes CREATE DATABASE and migrations much faster.
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | as_pg tee "$home/data/devstack.conf" >/dev/null
}

pg_pid() { pid_from "$(pg_home)/data/postmaster.pid" postgres; }
pg_ready() { "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$1"; }

pg_start() {
  pg_prepare
  pg_init
  pg_write_conf
  local home
  home=$(pg_home)
  # -w: returns once it accepts connections, so roles can be created right after.
  # 8>&- 9>&-: see spawn in common.sh.
  as_pg "$(pg_bindir)/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 start >/dev/null 8>&- 9>&- ||
    die "postgres did not start; see $(rel "$(pg_log)")"
}

# Idempotent: the console's role (CREATEDB so pytest-django can make test DBs) and databases:
# the console's own and FerretDB's storage (see ferretdb.sh); the target platform's has its own
# cluster (target_postgres.sh).
pg_provision() {
  "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_home)/run" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE deletion' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deletion') \gexec
ALTER ROLE deletion LOGIN CREATEDB PASSWORD 'deletion';
SELECT format('CREATE DATABASE %I OWNER deletion', d)
  FROM unnest(ARRAY['deletion_console', 'ferretdb']) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;
SQL
}

pg_stop() {
  [[ -n $(pg_pid) ]] || return 0
  as_pg "$(pg_bindir)/pg_ctl" -D "$(pg_home)/data" -m fast -w -t 60 stop >/dev/null
}
