"""The target PostgreSQL database (not the console's own): short connections, batched deletes."""

from contextlib import contextmanager

import psycopg
from django.conf import settings


@contextmanager
def connect():
    with psycopg.connect(
        settings.TARGET_DATABASE_URL, connect_timeout=max(1, int(settings.STORE_TIMEOUT_SECONDS))
    ) as conn:
        yield conn


def scalar(query: str, params: dict | None = None):
    with connect() as conn:
        row = conn.execute(query, params or {}).fetchone()
        return row[0] if row else None
