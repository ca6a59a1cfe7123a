"""The target PostgreSQL database (not the console's own): short connections, batched deletes."""

from collections.abc import Iterator
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


def stream(query, params: dict | None = None, *, batch: int = 10_000) -> Iterator[tuple]:
    """The rows of a query through a server-side cursor, `batch` at a time: never held whole."""
    with connect() as conn, conn.cursor(name="deletion_console_stream") as cur:
        cur.itersize = batch
        cur.execute(query, params or {})
        yield from cur


def has_index_on(conn, table: str, column: str) -> bool | None:
    """Whether an index of table starts with column; None if the table does not exist."""
    row = conn.execute("SELECT to_regclass(%s)::oid", [table]).fetchone()
    if row is None or row[0] is None:
        return None
    return conn.execute(
        "SELECT EXISTS (SELECT FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = %s AND a.attname = %s)",
        [row[0], column],
    ).fetchone()[0]
