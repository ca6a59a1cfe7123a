#!/usr/bin/env bash
# Local servers for development and tests: PostgreSQL (the console's, and the target
# platform's own), Redis, RabbitMQ, FerretDB (MongoDB protocol) and Neo4j, all on 127.0.0.1,
# all state under .devstack/.
#
#   scripts/stack.sh up|status|down|env
#
# STACK_INSTANCE (default dev; tests use test) picks .devstack/<instance>/ and a
# port set, so several stacks can run side by side. PG_PORT, TARGET_PG_PORT, REDIS_PORT,
# MONGO_PORT and NEO4J_BOLT_PORT override the ports. FerretDB stores its data in the
# instance's PostgreSQL, so it starts once that is up and provisioned. Builds shared by all
# instances (FerretDB binary, Neo4j jars) live in .devstack/build/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for f in common postgres target_postgres redis rabbitmq ferretdb neo4j; do
  # shellcheck source=/dev/null
  source "$HERE/stack/$f.sh"
done

SERVICES=(postgres target-postgres redis rabbitmq ferretdb neo4j)
svc_fn() {
  local prefix=$1
  case $prefix in postgres) prefix=pg ;; target-postgres) prefix=tpg ;; esac
  printf '%s_%s' "$prefix" "$2"
}
svc() { local name=$1 op=$2; shift 2; "$(svc_fn "$name" "$op")" "$@"; }

# The port a running server was started with: the env overrides may have
# changed since, and then checking the new port would probe a stranger.
port_file() { printf '%s/%s.port' "$INST_DIR" "$1"; }
live_port() { cat "$(port_file "$1")" 2>/dev/null || svc "$1" port; }

install_missing() {
  local missing
  missing=$(pg_missing_packages; redis_missing_packages; rabbitmq_missing_packages; neo4j_missing_packages)
  # shellcheck disable=SC2086  # one package name per word
  [[ -z $missing ]] || apt_install $missing
  ferretdb_built && neo4j_built && return
  # Maven is mostly downloading while Go is mostly compiling: run them together.
  with_build_lock neo4j_build &
  local maven=$!
  with_build_lock ferretdb_build
  wait "$maven" || die "Neo4j launcher build failed (output above)"
}

wait_ready() {  # service timeout-seconds
  local name=$1 deadline=$((SECONDS + $2))
  until svc "$name" ready "$(svc "$name" port)"; do
    [[ -n $(svc "$name" pid) ]] ||
      die "$name exited during start-up; see $(rel "$(svc "$name" log)")"
    ((SECONDS < deadline)) ||
      die "$name does not accept connections on 127.0.0.1:$(svc "$name" port) after $2s; see $(rel "$(svc "$name" log)")"
    sleep 0.2
  done
}

# Prints the table; returns non-zero if anything is not up.
table() {
  local name pid port state down=0
  printf 'instance %s (%s)\n' "$INSTANCE" "$(rel "$INST_DIR")"
  printf '%-15s %-8s %-16s %-8s %s\n' SERVICE STATE ADDRESS PID LOG
  for name in "${SERVICES[@]}"; do
    pid=$(svc "$name" pid) port=$(svc "$name" port)
    [[ -z $pid ]] || port=$(live_port "$name")
    if [[ -n $pid ]] && svc "$name" ready "$port"; then state=up
    elif [[ -n $pid ]]; then state=starting down=1
    elif port_open "$port"; then state=taken down=1  # something else holds our port
    else state=down down=1
    fi
    printf '%-15s %-8s %-16s %-8s %s\n' "$name" "$state" "127.0.0.1:$port" \
      "${pid:--}" "$(rel "$(svc "$name" log)")"
  done
  return "$down"
}

cmd_up() {
  lock_instance
  install_missing
  # Neo4j is by far the slowest to boot, so it goes first and the rest start
  # while it warms up; FerretDB needs its PostgreSQL database, so it comes last.
  local name
  for name in neo4j rabbitmq redis postgres target-postgres ferretdb; do
    [[ $name != ferretdb ]] || { wait_ready postgres 60; pg_provision; }
    if [[ -n $(svc "$name" pid) && $(live_port "$name") != "$(svc "$name" port)" ]]; then
      say "restarting $name to move it from port $(live_port "$name") to $(svc "$name" port)"
      svc "$name" stop
    fi
    if [[ -z $(svc "$name" pid) ]]; then
      # Otherwise the readiness probe would happily talk to whoever holds it.
      ! port_open "$(svc "$name" port)" ||
        die "$name: 127.0.0.1:$(svc "$name" port) is already taken by another program (ss -ltnp shows which); free it or set PG_PORT/REDIS_PORT/MONGO_PORT/NEO4J_BOLT_PORT"
      say "starting $name"
      svc "$name" start
      svc "$name" port >"$(port_file "$name")"
    fi
  done
  wait_ready postgres 60
  pg_provision
  wait_ready target-postgres 60
  tpg_provision
  wait_ready redis 60
  wait_ready rabbitmq 120
  rabbitmq_provision
  wait_ready ferretdb 60
  wait_ready neo4j 180
  table
}

cmd_down() {  # [service...]: only those (the failure tests stop one server mid-job)
  lock_instance
  local name names=("$@")
  ((${#names[@]})) || names=(neo4j ferretdb rabbitmq redis postgres target-postgres)
  for name in "${names[@]}"; do
    [[ " ${SERVICES[*]} " == *" $name "* ]] || die "unknown service '$name' (one of: ${SERVICES[*]})"
  done
  # Each takes a second or three to shut down cleanly; do them all at once.
  for name in "${names[@]}"; do
    [[ -z $(svc "$name" pid) ]] || { say "stopping $name"; svc "$name" stop & }
  done
  wait
  table || true
}

cmd_env() {
  cat <<ENV
export DATABASE_URL=postgres://deletion:deletion@127.0.0.1:$PG_PORT/deletion_console
export TARGET_DATABASE_URL=postgres://deletion:deletion@127.0.0.1:$TARGET_PG_PORT/deletion_target
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export RABBITMQ_URL=$(rabbitmq_url "$RABBITMQ_CONSOLE_USER")
$(for name in "${RABBITMQ_SERVICE_USERS[@]}"; do printf 'export %s=%s\n' "$(rabbitmq_url_var "$name")" "$(rabbitmq_url "$name")"; done)
export MONGODB_URL=mongodb://127.0.0.1:$MONGO_PORT/
export FERRETDB_POSTGRESQL_URL=postgres://deletion:deletion@127.0.0.1:$PG_PORT/ferretdb
export NEO4J_URL=bolt://127.0.0.1:$NEO4J_BOLT_PORT
export NEO4J_USER=neo4j
export NEO4J_PASSWORD=neo4j-dev-password
# The local stacks are for development and tests only: DEBUG on, so the development secret key
# is accepted there (settings refuse it with DEBUG off) and 127.0.0.1 may read /metrics.
export DJANGO_DEBUG=true
ENV
}

case ${1:-} in
  up) cmd_up ;;
  status) table ;;
  down) shift; cmd_down "$@" ;;
  env) cmd_env ;;
  *) echo "usage: [STACK_INSTANCE=dev|test] $0 up|status|down [service...]|env" >&2; exit 2 ;;
esac
