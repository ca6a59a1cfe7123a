"""The target PostgreSQL database (not the console's own): short connections, batched deletes."""

from contextlib import contextmanager

import psycopg
from django.conf import settings


@contextmanager
def connect():
    # A row lock held by the platform must not hang a step forever: waiting is bounded, and
    # the error that ends the wait (LockNotAvailable, QueryCanceled) is retried as transient.
    with psycopg.connect(
        settings.TARGET_DATABASE_URL,
        connect_timeout=max(1, int(settings.STORE_TIMEOUT_SECONDS)),
        options=f"-c lock_timeout={settings.TARGET_LOCK_TIMEOUT} "
        f"-c statement_timeout={settings.TARGET_STATEMENT_TIMEOUT}",
    ) as conn:
        yield conn


def scalar(query: str, params: dict | None = None):
    with connect() as conn:
        row = conn.execute(query, params or {}).fetchone()
        return row[0] if row else None
