"""The target PostgreSQL database (not the console's own): short connections, batched deletes."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.errors import UndefinedTable

from deletion_console.stores.inspection import IndexNeed, IndexState, Reference
from deletion_console.stores.registry import Store


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


def qualified(table: str) -> str:
    """How the console names a table: with its schema (a plan may leave out `public`)."""
    return table if "." in table else f"public.{table}"


def identifier(table: str) -> sql.Identifier:
    return sql.Identifier(*table.split("."))


# -- the store's shape, as plan checks and ensure_indexes ask it ---------------------------------

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

# Foreign keys between the given tables whose deletes do not cascade.
_REFERENCES = """
SELECT con.conname,
       cn.nspname || '.' || c.relname AS child,
       pn.nspname || '.' || p.relname AS parent
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE con.contype = 'f' AND con.confdeltype <> 'c'
  AND cn.nspname || '.' || c.relname = ANY(%(tables)s)
  AND pn.nspname || '.' || p.relname = ANY(%(tables)s)
ORDER BY con.conname
"""

_COLUMNS = "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"


class Inspector:
    """The schema is the authority: a table or column a plan names that is not there would fail
    its job half way. The target database is someone else's: missing indexes on the columns a
    plan filters on are reported, and created only when asked to."""

    has_schema = True

    def missing(self, needs, *, named_by: str) -> list[str]:
        problems = []
        with connect() as conn:
            for table, columns in needs.items():
                if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
                    problems.append(f"table {table}, named by {named_by}, does not exist")
                    continue
                schema, name = table.split(".", 1)
                present = {row[0] for row in conn.execute(_COLUMNS, [schema, name])}
                problems.extend(f"column {table}.{column} does not exist" for column in sorted(columns - present))
        return problems

    def references(self, containers) -> list[Reference]:
        with connect() as conn:
            rows = conn.execute(_REFERENCES, {"tables": sorted(containers)}).fetchall()
        return [Reference(*row) for row in rows]

    def holding(self, field: str, *, coverage, skip=frozenset()) -> list[str]:
        with connect() as conn:
            rows = conn.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE c.column_name = %s AND t.table_type = 'BASE TABLE' AND table_schema <> ALL(%s) ORDER BY 1",
                [field, list(SYSTEM_SCHEMAS)],
            ).fetchall()
        return [table for (table,) in rows if table not in skip]

    def count_holding(self, table: str, field: str, ref: str) -> int | None:
        query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %(ref)s").format(
            sql.Identifier(*table.split(".", 1)), sql.Identifier(field)
        )
        try:
            return scalar(query, {"ref": ref})
        except UndefinedTable:
            return None

    def ensure_indexes(self, needs: list[IndexNeed], *, apply: bool) -> list[IndexState]:
        states = []
        with connect() as conn:
            conn.autocommit = True
            for need in needs:
                states.append(_ensure_index(conn, need, apply=apply))
        return states


def _ensure_index(conn, need: IndexNeed, *, apply: bool) -> IndexState:
    label = f"{need.container} ({need.field})"
    present = has_index_on(conn, need.container, need.field)
    if present is None:
        return IndexState("PostgreSQL", label, "no table yet")
    if present:
        return IndexState("PostgreSQL", label, "present")
    if not apply:
        return IndexState("PostgreSQL", label, "missing")
    # CONCURRENTLY: the platform keeps writing to its table while the index builds.
    name = f"{need.container.split('.')[-1]}_{need.field}_deletion"[:63]
    conn.execute(
        sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})").format(
            sql.Identifier(name), identifier(need.container), sql.Identifier(need.field)
        )
    )
    return IndexState("PostgreSQL", label, "created")


def _ping():
    scalar("SELECT 1")


STORE = Store(name="postgres", label="PostgreSQL", ping=_ping, inspector=Inspector(), default_batch_size=5_000)
