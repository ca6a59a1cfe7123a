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
  # Loopback only. A chunk can wait in a retry countdown for a while, unacknowledged: the
  # default 30 min consumer timeout is plenty for that.
  printf 'loopback_users.guest = true\ndisk_free_limit.absolute = 50MB\n' >"$RABBITMQ_DIR/rabbitmq.conf"
  # The script, not the wrapper in /usr/sbin, which would switch to the rabbitmq user.
  spawn "$RABBITMQ_DIR/rabbitmq.pid" "$(rabbitmq_log)" env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

# Its own user for the console, and one per service that may publish deletion requests
# (README "Requests by message"): RabbitMQ refuses a publish whose user_id property is not the
# publisher's login, which is how the console knows who sent a request. Only service users may
# publish to campaign.ops; they read deletion events from campaign.progress through queues the
# server names. No user is an impersonator (that tag would let it set any user_id). Each
# password is `<user>-dev-password`; `stack.sh env` prints their URLs.
RABBITMQ_CONSOLE_USER=deletion-console
RABBITMQ_SERVICE_USERS=(orders-service campaign-service)
rabbitmq_password() { printf '%s-dev-password' "$1"; }
rabbitmq_url() { printf 'amqp://%s:%s@127.0.0.1:%s//' "$1" "$(rabbitmq_password "$1")" "$AMQP_PORT"; }
# The URL variable `stack.sh env` sets for a service user: orders-service -> RABBITMQ_ORDERS_SERVICE_URL.
rabbitmq_url_var() { local name=${1//-/_}; printf 'RABBITMQ_%s_URL' "${name^^}"; }

rabbitmq_definitions() {  # users and permissions, as rabbitmqctl import_definitions reads them
  python3 - "$RABBITMQ_CONSOLE_USER" "${RABBITMQ_SERVICE_USERS[@]}" <<'PY'
import base64, hashlib, json, sys

def user(name):
    # rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)), a fixed salt so
    # the same users give the same definitions (and provisioning is skipped when unchanged).
    salt = hashlib.sha256(name.encode()).digest()[:4]
    digest = hashlib.sha256(salt + f"{name}-dev-password".encode()).digest()
    return {"name": name, "password_hash": base64.b64encode(salt + digest).decode(),
            "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}

def grant(name, configure, write, read):
    return {"user": name, "vhost": "/", "configure": configure, "write": write, "read": read}

console, *services = sys.argv[1:]
own = r"amq\.gen-.*"
permissions = [grant(console, ".*", r"^(?!campaign\.ops$).*", ".*")] + [
    grant(name, rf"^(campaign\.ops|{own})$", rf"^(campaign\.ops|{own})$", rf"^(campaign\.progress|{own})$")
    for name in services
]
print(json.dumps({"users": [user(n) for n in [console, *services]], "vhosts": [{"name": "/"}],
                  "permissions": permissions}, indent=1))
PY
}

# Run once the node is up; again only when the definitions changed. guest, the package's
# all-powerful default user, is removed.
rabbitmq_provision() {
  local file=$RABBITMQ_DIR/definitions.json stamp
  rabbitmq_definitions >"$file.new"
  stamp=$RABBITMQ_DIR/mnesia/.provisioned-$(sha1sum <"$file.new" | cut -c1-12)
  mv "$file.new" "$file"
  [[ -f $stamp ]] && return
  env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODE" -q import_definitions "$file" >/dev/null
  env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODE" -q delete_user guest >/dev/null 2>&1 || true
  rm -f "$RABBITMQ_DIR"/mnesia/.provisioned-*
  touch "$stamp"
}

rabbitmq_stop() {
  local pid
  pid=$(rabbitmq_pid)
  [[ -z $pid ]] && return
  env "${RABBITMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODE" stop >/dev/null 2>&1 || true
  stop_pid rabbitmq "$pid" 60
}
