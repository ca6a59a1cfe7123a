"""FerretDB on PostgreSQL (the local stack's MongoDB-wire server): indexes in its backing database.

FerretDB 1.24 pushes a top-level equality down to PostgreSQL as `_jsonb->$1 @> $2`. Its own
createIndexes makes btree indexes on `_jsonb->'field'`, which `@>` cannot use; a GIN index with
`jsonb_path_ops` on the same expression can. The field name is a bound parameter, so the
planner sees it only in a custom plan: hence `plan_cache_mode = force_custom_plan`.
Each collection is a table named in the database schema's `_ferretdb_database_metadata`.
"""

import hashlib

import psycopg
from django.conf import settings
from psycopg import sql


def enabled() -> bool:
    return bool(settings.FERRETDB_POSTGRESQL_URL)


def _connect():
    return psycopg.connect(settings.FERRETDB_POSTGRESQL_URL, autocommit=True)


def ensure_custom_plans() -> bool:
    """Set force_custom_plan on the backing database; True if it had to be set (it applies to
    FerretDB's connections opened from then on)."""
    with _connect() as conn:
        if conn.execute("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan":
            return False
        database = conn.info.dbname
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET plan_cache_mode = force_custom_plan").format(sql.Identifier(database))
        )
        return True


def ensure_gin_index(database: str, collection: str, field: str) -> bool | None:
    """Create the index for equality on `field`; True if created, False if present, None if
    the collection has no table yet (FerretDB creates it with the first document or index)."""
    with _connect() as conn:
        table = table_of(conn, database, collection)
        if table is None:
            return None
        name = _index_name(table, field)
        exists = conn.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s", [database, name]
        ).fetchone()
        if exists:
            return False
        conn.execute(
            # fastupdate off: otherwise new documents' entries wait in a pending list that every
            # lookup scans in full until a vacuum merges it (measured: 13 ms per exact-key delete, not 0.3).
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING gin ((_jsonb -> {}) jsonb_path_ops) WITH (fastupdate = off)"
            ).format(sql.Identifier(name), sql.Identifier(database, table), sql.Literal(field))
        )
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(database, table)))
        return True


def table_of(conn, database: str, collection: str) -> str | None:
    metadata = sql.Identifier(database, "_ferretdb_database_metadata")
    if conn.execute("SELECT to_regclass(%s)", [f'"{database}"._ferretdb_database_metadata']).fetchone()[0] is None:
        return None
    row = conn.execute(
        sql.SQL("SELECT _jsonb->>'table' FROM {} WHERE _jsonb->'_id' = %s::jsonb").format(metadata),
        [f'"{collection}"'],
    ).fetchone()
    return row[0] if row else None


def _index_name(table: str, field: str) -> str:
    # PostgreSQL names are at most 63 bytes; a field may be long or contain any character.
    digest = hashlib.sha1(field.encode()).hexdigest()[:8]
    return f"{table[:40]}_eq_{digest}"
