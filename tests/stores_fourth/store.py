"""A fourth store, declared only here: a key-value store of JSON entries in buckets, kept in one
PostgreSQL table (`kv.entries`, reached by KV_STORE_URL), schemaless as a document store is.

Its store module is this file (the driver, the inspector, the declaration); its plan item is in
tests.stores_fourth.items; tests.stores_fourth.settings adds it to DELETION_STORES. Nothing in
plan checks, ensure_indexes or the certificates knows about it.
"""

import hashlib
from collections.abc import Iterator

import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.types.json import Jsonb

from deletion_console.stores.inspection import IndexNeed, IndexState, Reference
from deletion_console.stores.registry import Store

NAME = "kv"
TABLE = sql.Identifier("kv", "entries")


def connect() -> psycopg.Connection:
    return psycopg.connect(settings.KV_STORE_URL, autocommit=True)


def create() -> None:
    with connect() as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS kv")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kv.entries"
            " (bucket text NOT NULL, key text NOT NULL, value jsonb NOT NULL, PRIMARY KEY (bucket, key))"
        )


def drop() -> None:
    with connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS kv CASCADE")


def put(bucket: str, entries: dict[str, dict]) -> None:
    rows = [(bucket, key, Jsonb(value)) for key, value in entries.items()]
    with connect() as conn:
        conn.cursor().executemany("INSERT INTO kv.entries VALUES (%s, %s, %s)", rows)


def scalar(query: sql.Composable, params=None):
    with connect() as conn:
        return conn.execute(query, params).fetchone()[0]


def rows(query: sql.Composable, params=None) -> Iterator[tuple]:
    with connect() as conn:
        yield from conn.execute(query, params)


def execute(query: sql.Composable, params=None) -> int:
    with connect() as conn:
        return conn.execute(query, params).rowcount


def _index_name(need: IndexNeed) -> str:
    digest = hashlib.sha1(f"{need.container}\0{need.field}".encode()).hexdigest()[:12]
    return f"entries_{digest}"


class Inspector:
    """Entries are schemaless: a bucket or field no entry has is nothing to delete yet. Indexes:
    one partial expression index per (bucket, field), the store's own to make."""

    has_schema = False

    def missing(self, needs, *, named_by: str) -> list[str]:
        problems = []
        for bucket, fields in needs.items():
            present = scalar(sql.SQL("SELECT count(*) FROM {} WHERE bucket = %s").format(TABLE), [bucket])
            if not present:
                problems.append(f"bucket {bucket} holds no entry (nothing to delete there yet)")
                continue
            for field in sorted(fields):
                query = sql.SQL("SELECT count(*) FROM {} WHERE bucket = %s AND value ? %s").format(TABLE)
                if not scalar(query, [bucket, field]):
                    problems.append(f"no entry of bucket {bucket} has the field {field}")
        return problems

    def references(self, containers) -> list[Reference]:
        return []

    def holding(self, field: str, *, coverage, skip=frozenset()) -> list[str]:
        query = sql.SQL("SELECT DISTINCT bucket FROM {} WHERE value ? %s ORDER BY 1").format(TABLE)
        return [bucket for (bucket,) in rows(query, [field]) if bucket not in skip]

    def count_holding(self, bucket: str, field: str, ref: str) -> int:
        query = sql.SQL("SELECT count(*) FROM {} WHERE bucket = %s AND value->>%s = %s").format(TABLE)
        return scalar(query, [bucket, field, ref])

    def ensure_indexes(self, needs: list[IndexNeed], *, apply: bool) -> list[IndexState]:
        states = []
        for need in needs:
            name = _index_name(need)
            present = scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'kv' AND indexname = %s", [name])
            if not present:
                execute(
                    sql.SQL("CREATE INDEX {} ON {} ((value->>{})) WHERE bucket = {}").format(
                        sql.Identifier(name), TABLE, sql.Literal(need.field), sql.Literal(need.container)
                    )
                )
            state = "present" if present else "created"
            states.append(IndexState("Key-value store", f"{need.container} (value->>'{need.field}')", state))
        return states


def _ping():
    scalar(sql.SQL("SELECT 1"))


STORE = Store(name=NAME, label="Key-value store", ping=_ping, inspector=Inspector(), default_batch_size=500)
