# shellcheck shell=bash
# RabbitMQ from the Debian package, run by us as the instance's own node (not the systemd
# unit): its own node name, ports, Erlang cookie and data under the instance dir. Sourced by stack.sh.

RABBITMQ_DIR=$INST_DIR/rabbitmq
RABBITMQ_NODE=rabbit-$INSTANCE@localhost

rabbitmq_missing_packages() { [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || echo rabbitmq-server; }
rabbitmq_log() { printf '%s/rabbitmq.log' "$RABBITMQ_DIR"; }
rabbitmq_port() { printf '%s' "$AMQP_PORT"; }
rabbitmq_pid() { pid_from "$RABBITMQ_DIR/rabbitmq.pid" rabbitmq-server; }
# The AMQP listener opens only once the broker has booted.
rabbitmq_ready() { port_open "$1"; }

# The environment every rabbitmq command of this instance needs (the cookie lives in HOME).
RABBITMQ_ENV=(
  HOME="$RABBITMQ_DIR" RABBITMQ_NODENAME="$RABBITMQ_NODE"
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT"
  RABBITMQ_DIST_PORT=$((AMQP_PORT + 1)) ERL_EPMD_PORT=$((AMQP_PORT + 2)) ERL_EPMD_ADDRESS=127.0.0.1
  RABBITMQ_MNESIA_BASE="$RABBITMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBITMQ_DIR/log"
  RABBITMQ_CONFIG_FILE="$RABBITMQ_DIR/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBITMQ_DIR/enabled_plugins"
  RABBITMQ_PID_FILE="$RABBITMQ_DIR/node.pid" RABBITMQ_LOGS=-
)

rabbitmq_start() {
  mkdir -p "$RABBITMQ_DIR/log"
  [[ -f $RABBITMQ_DIR/enabled_plugins ]] || echo '[].' >"$RABBITMQ_DIR/enabled_plugins"
  # Loopback only; guest may connect from there. A chunk can wait in a retry countdown for a
  # while, unacknowledged: the default 30 min consumer timeout is plenty for that.
  printf 'loopback_users.guest = true\ndisk_free_limit.absolute = 50MB\n' >"$RABBITMQ_DIR/rabbitmq.conf"
  # The script, not the wrapper in /usr/sbin, which would switch to the rabbitmq user.
  spawn "$RABBITMQ_DIR/rabbitmq.pid" "$(rabbitmq_log)" env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

rabbitmq_stop() {
  local pid
  pid=$(rabbitmq_pid)
  [[ -z $pid ]] && return
  env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODE" stop >/dev/null 2>&1 || true
  stop_pid rabbitmq "$pid" 60
}
