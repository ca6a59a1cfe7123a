# shellcheck shell=bash
# Redis from the Debian package, run by us (not the systemd unit). Sourced by stack.sh.

REDIS_DIR=$INST_DIR/redis

redis_missing_packages() { command -v redis-server >/dev/null || echo redis-server; }
redis_log() { printf '%s/redis.log' "$REDIS_DIR"; }
redis_port() { printf '%s' "$REDIS_PORT"; }
redis_pid() { pid_from "$REDIS_DIR/redis.pid" redis-server; }
redis_ready() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

redis_start() {
  mkdir -p "$REDIS_DIR"
  local persist=()
  # Test data is throwaway; dev keeps Redis's default RDB snapshots in its dir.
  [[ $INSTANCE == test ]] && persist=(--save "" --appendonly no)
  # Foreground under setsid (not --daemonize) so we know the pid immediately.
  spawn "$REDIS_DIR/redis.pid" "$(redis_log)" \
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" "${persist[@]}"
}

redis_stop() {
  local pid
  pid=$(redis_pid)
  [[ -z $pid ]] || stop_pid redis "$pid" 30
}
