# shellcheck shell=bash
# Paths, ports and small helpers shared by scripts/stack.sh and its service files.
# Sourced, not run.
# shellcheck disable=SC2034  # the variables are used by the files that source this

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=$ROOT/.devstack
BUILD_DIR=$STACK_DIR/build
INSTANCE=${STACK_INSTANCE:-dev}

say() { printf 'stack: %s\n' "$*" >&2; }   # stderr, so `stack.sh env` output stays eval-able
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }
rel() { printf '%s' "${1#"$ROOT"/}"; }    # paths in messages relative to the repo root

[[ $INSTANCE =~ ^[A-Za-z0-9_-]+$ ]] || die "bad STACK_INSTANCE '$INSTANCE'"
INST_DIR=$STACK_DIR/$INSTANCE

# Fixed per-instance ports so dev and test can run side by side; env vars override.
case $INSTANCE in
  dev)  _defaults=(55432 56379 57017 57687 55672 55433) ;;
  test) _defaults=(55532 56479 57117 57787 55772 55533) ;;
  *)    _defaults=("" "" "" "") ;;
esac
PG_PORT=${PG_PORT:-${_defaults[0]}}
REDIS_PORT=${REDIS_PORT:-${_defaults[1]}}
MONGO_PORT=${MONGO_PORT:-${_defaults[2]}}
NEO4J_BOLT_PORT=${NEO4J_BOLT_PORT:-${_defaults[3]}}
# RabbitMQ takes three ports from here (AMQP, Erlang distribution, epmd).
AMQP_PORT=${AMQP_PORT:-${_defaults[4]:-}}
[[ -n $AMQP_PORT || ! $REDIS_PORT =~ ^[0-9]+$ ]] || AMQP_PORT=$((REDIS_PORT + 10))
# The target platform's own PostgreSQL, next to the console's.
TARGET_PG_PORT=${TARGET_PG_PORT:-${_defaults[5]:-}}
[[ -n $TARGET_PG_PORT || ! $PG_PORT =~ ^[0-9]+$ ]] || TARGET_PG_PORT=$((PG_PORT + 1))
for _v in PG_PORT REDIS_PORT MONGO_PORT NEO4J_BOLT_PORT AMQP_PORT TARGET_PG_PORT; do
  [[ ${!_v} =~ ^[0-9]+$ ]] || die "instance '$INSTANCE' has no default ports: set PG_PORT, REDIS_PORT, MONGO_PORT and NEO4J_BOLT_PORT"
done
unset _v _defaults

# A pid counts only if the process is alive *and* is what we expect, so a stale
# pid file whose number got reused by something else reads as "down".
pid_alive() {  # pid cmdline-substring
  [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && grep -qaF -- "$2" "/proc/$1/cmdline"
}
pid_from() {  # pidfile cmdline-substring -> prints pid if alive
  local pid=""
  [[ -s $1 ]] && read -r pid <"$1"
  if pid_alive "$pid" "$2"; then printf '%s' "$pid"; fi
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# setsid detaches from the caller's terminal/process group, so Ctrl-C in the
# shell that ran `make stack-up` does not take the servers down with it.
# 8>&- 9>&-: servers must not inherit the lock fds, or they would hold the
# locks for as long as they run and block every later stack.sh.
spawn() {  # pidfile logfile cmd...
  local pidfile=$1 log=$2; shift 2
  printf '\n=== %s started by scripts/stack.sh\n' "$(date -Is)" >>"$log"
  setsid "$@" </dev/null >>"$log" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
}

lock_instance() {
  mkdir -p "$INST_DIR"
  exec 9>"$INST_DIR/stack.lock"
  flock -w 300 9 || die "another stack.sh has been busy with instance $INSTANCE for 5 minutes"
}

stop_pid() {  # name pid timeout-seconds
  local name=$1 pid=$2 deadline=$((SECONDS + $3))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "$name (pid $pid) ignored SIGTERM for $3s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
}

apt_install() {
  ((EUID == 0)) || die "missing packages: $*; install them with: sudo apt-get install $*"
  say "installing $* (apt)"
  # Lock timeout: a dev and a test `up` may install at the same moment.
  local apt=(apt-get -qq -o DPkg::Lock::Timeout=300)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

# Builds are shared by all instances; serialise them across concurrent `up`s.
with_build_lock() {
  mkdir -p "$BUILD_DIR"
  (
    flock 8
    "$@"
  ) 8>"$BUILD_DIR/build.lock"
}
