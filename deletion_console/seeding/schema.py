"""The target database's tables: create them if missing, or empty them."""

from pathlib import Path

from psycopg import sql

from deletion_console.stores import sql as store

SCHEMA_FILE = Path(__file__).with_name("target_schema.sql")

# Every table target_schema.sql creates, as "schema.table".
CONTRACT_TABLES = (
    "public.players",
    "public.player_campaigns",
    "public.campaign_sessions",
    "public.session_attendance",
    "public.tenants",
    "orders.orders",
    "orders.order_items",
    "orders.order_status_history",
    "inventory.inventory_items",
    "inventory.inventory_transactions",
    "inventory.stock_alerts",
    "suppliers.suppliers",
    "suppliers.purchase_orders",
    "suppliers.purchase_order_items",
    "pos.pos_configurations",
    "pos.pos_sessions",
    "pos.pos_transactions",
    "alerts.alert_rules",
    "alerts.alerts",
    "alerts.alert_history",
    "alerts.alert_notifications",
)


def table_identifier(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def ensure_target_schema() -> None:
    """Create the contract's schemas, tables and indexes that do not exist yet."""
    with store.connect() as conn:
        # No parameters, so psycopg sends the whole script as one simple query.
        conn.execute(SCHEMA_FILE.read_text())


def truncate_contract_tables() -> None:
    """Empty every contract table at once (one TRUNCATE satisfies every foreign key between them)."""
    tables = sql.SQL(", ").join(table_identifier(name) for name in CONTRACT_TABLES)
    with store.connect() as conn:
        # RESTART IDENTITY: session ids start from 1 again, so a re-seed produces the same rows.
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
