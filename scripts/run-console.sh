#!/usr/bin/env bash
# Serve the console against the dev stack: migrate, seed demo data once, make sure the demo
# admin exists, then run daphne, a Celery worker, Celery beat and the consumer of deletion requests by
# message until Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
eval "$(scripts/stack.sh env)"
# Human-readable log lines on a terminal; production keeps the default, one JSON object a line.
LOG_FORMAT=${LOG_FORMAT:-console}
set +a
PY=.devstack/venv/bin/python
PORT=${PORT:-8000}
LOGS=.devstack/${STACK_INSTANCE:-dev}/logs
mkdir -p "$LOGS"

$PY manage.py migrate --no-input
$PY manage.py ensure_indexes
$PY manage.py seed_demo
$PY manage.py create_demo_admin

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping the console, worker, beat and consumer..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY -m celery -A deletion_console.config worker -Q deletion-tasks --loglevel INFO >"$LOGS/worker.log" 2>&1 &
pids+=($!)
$PY -m celery -A deletion_console.config beat -s "$LOGS/beat-schedule" --loglevel INFO >"$LOGS/beat.log" 2>&1 &
pids+=($!)
$PY manage.py consume_deletion_requests >"$LOGS/consumer.log" 2>&1 &
pids+=($!)
$PY -m daphne -b 127.0.0.1 -p "$PORT" deletion_console.config.asgi:application &
pids+=($!)

echo "Console: http://127.0.0.1:$PORT/   health: http://127.0.0.1:$PORT/health/"
echo "Worker, beat and consumer logs: $LOGS/"
wait -n "${pids[@]}"
