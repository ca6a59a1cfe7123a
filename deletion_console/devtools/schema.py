"""The target database's tables: create them if missing, or empty them.

Each kind's package owns its part of the layout as a SQL script, declared on its AppConfig
(`reference_schema`, a file name inside the package); nothing here names a kind.
"""

import re
from pathlib import Path

from django.apps import apps
from psycopg import sql

from deletion_console.stores import sql as store

# Two processes creating the same table at once can both pass IF NOT EXISTS and then collide on
# the catalog's unique index: serialise them.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('deletion_console.devtools.schema'));\n"
_CREATE_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS ([\w.]+)", re.MULTILINE)


def schema_files() -> list[Path]:
    """Every installed kind's reference schema, in INSTALLED_APPS order."""
    return [
        Path(config.path) / config.reference_schema
        for config in apps.get_app_configs()
        if getattr(config, "reference_schema", None)
    ]


def contract_tables() -> tuple[str, ...]:
    """Every table the reference schemas create, as "schema.table"."""
    return tuple(name for path in schema_files() for name in _CREATE_TABLE.findall(path.read_text()))


def __getattr__(name: str):
    # CONTRACT_TABLES reads the app registry, so it is worked out when first asked for.
    if name == "CONTRACT_TABLES":
        return contract_tables()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def table_identifier(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def ensure_target_schema() -> None:
    """Create the contract's schemas, tables and indexes that do not exist yet."""
    script = _LOCK + "\n".join(path.read_text() for path in schema_files())
    with store.connect() as conn:
        # No parameters, so psycopg sends the whole script as one simple query (one transaction).
        conn.execute(script)


def truncate_contract_tables() -> None:
    """Empty every contract table at once (one TRUNCATE satisfies every foreign key between them)."""
    tables = sql.SQL(", ").join(table_identifier(name) for name in contract_tables())
    with store.connect() as conn:
        # RESTART IDENTITY: session ids start from 1 again, so a re-seed produces the same rows.
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
