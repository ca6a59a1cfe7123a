# shellcheck shell=bash
# The target platform's PostgreSQL: a second cluster of the same binaries, holding only the
# platform's database, so that it can go away on its own while the console's database (and
# FerretDB's storage) stays up, as on a real platform. Sourced by stack.sh after postgres.sh.

# The pg_* functions, run against this cluster (bash scopes the locals into what they call).
as_target_pg() {
  local PG_LINK=$INST_DIR/target-postgres PG_CLUSTER=$INSTANCE-target PG_PORT=$TARGET_PG_PORT
  "$@"
}

tpg_port() { printf '%s' "$TARGET_PG_PORT"; }
tpg_log() { as_target_pg pg_log; }
tpg_pid() { as_target_pg pg_pid; }
tpg_ready() { as_target_pg pg_ready "$1"; }
tpg_start() { as_target_pg pg_start; }
tpg_stop() { as_target_pg pg_stop; }

# Idempotent: the console's role and the platform's database.
tpg_provision() {
  as_target_pg _tpg_provision
}
_tpg_provision() {
  "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_home)/run" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE deletion' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deletion') \gexec
ALTER ROLE deletion LOGIN CREATEDB PASSWORD 'deletion';
SELECT 'CREATE DATABASE deletion_target OWNER deletion'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'deletion_target') \gexec
SQL
}
