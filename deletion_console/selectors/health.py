"""Is every dependency reachable, and how fast does it answer?

One round of checks opens a connection to each dependency, so its report is kept for
HEALTH_CACHE_SECONDS in this process's cache and every caller within that time gets the same one.
"""

import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from kombu import Connection

from deletion_console.config.celery import app
from deletion_console.stores.registry import STORES


def _console_db():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=settings.STORE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def _events_broker():
    with Connection(settings.DELETION_EVENTS_URL, connect_timeout=settings.STORE_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1)


def _celery_worker():
    # Return on the first reply: the check asks for at least one worker, not a census.
    replies = app.control.ping(timeout=1.0, limit=1)
    if not replies:
        raise RuntimeError("no Celery worker answered; start one with `celery -A deletion_console.config worker`")
    return f"{next(iter(replies[0]))} answered"


CHECKS = {
    "console_db": _console_db,
    # Every store the plans delete from, as the store registry lists them.
    **{name: store.ping for name, store in STORES.items()},
    "redis": _redis,
    "events_broker": _events_broker,
    "celery_worker": _celery_worker,
}


def check(name: str) -> dict:
    started = time.perf_counter()
    try:
        detail = CHECKS[name]()
        result = {"ok": True}
        if detail:
            result["detail"] = detail
    except Exception as exc:  # a health check reports every failure, whatever its kind
        result = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


CACHE_KEY = "deletion-console-health-report"


def check_all() -> dict:
    """A fresh round of checks, one per dependency, kept for the callers that follow."""
    results = {name: check(name) for name in CHECKS}
    down = [name for name, result in results.items() if not result["ok"]]
    report = {"ok": not down, "down": down, "dependencies": results, "checked_at": timezone.now().isoformat()}
    cache.set(CACHE_KEY, report, timeout=settings.HEALTH_CACHE_SECONDS)
    return report


def cached_report() -> dict | None:
    """The report of the latest round, if it is at most HEALTH_CACHE_SECONDS old."""
    return cache.get(CACHE_KEY)


def report() -> dict:
    """The latest report, or a fresh round once it is too old."""
    return cached_report() or check_all()
