"""How a tenant is deleted: the one declaration of the layout in REFERENCE_DATA.md (tenants)."""

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.plan import Plan
from deletion_console.engine.sql import SqlRows, SqlTarget

OWNED = "tenant_id = %(ref)s"


def through(parent_table: str, fk: str) -> str:
    """Rows with no tenant_id of their own, reached through their parent's."""
    return f"{fk} IN (SELECT id FROM {parent_table} WHERE tenant_id = %(ref)s)"


TENANT_PLAN = Plan(
    kind="tenant",
    target=SqlTarget(table="public.tenants", label_field="name", noun="tenant"),
    stores={
        "mongodb": tuple(
            MongoDocs(collection, collection, field="tenant_id", database="MONGODB_EXTERNAL_DB")
            for collection in ("external_data_cache", "api_key_usage", "external_api_logs")
        ),
        "neo4j": (
            GraphRelationships("BUYS_FROM", "(:Tenant {id: $ref})-[r:BUYS_FROM]->(:Supplier)"),
            GraphNodes("Product", "Product", owner_property="tenant_id"),
            GraphNodes("Location", "Location", owner_property="tenant_id"),
            GraphNodes("Tenant", "Tenant", owner_property="id"),
        ),
        # Children before parents within each service's schema; the registry row goes last.
        "postgres": (
            SqlRows("order_status_history", "orders.order_status_history", through("orders.orders", "order_id")),
            SqlRows("order_items", "orders.order_items", OWNED),
            SqlRows("orders", "orders.orders", OWNED),
            SqlRows("inventory_transactions", "inventory.inventory_transactions", OWNED),
            SqlRows("stock_alerts", "inventory.stock_alerts", OWNED),
            SqlRows("inventory_items", "inventory.inventory_items", OWNED),
            SqlRows(
                "purchase_order_items",
                "suppliers.purchase_order_items",
                through("suppliers.purchase_orders", "purchase_order_id"),
            ),
            SqlRows("purchase_orders", "suppliers.purchase_orders", OWNED),
            SqlRows("suppliers", "suppliers.suppliers", OWNED),
            SqlRows("pos_transactions", "pos.pos_transactions", OWNED),
            SqlRows("pos_sessions", "pos.pos_sessions", OWNED),
            SqlRows("pos_configurations", "pos.pos_configurations", OWNED),
            SqlRows("alert_notifications", "alerts.alert_notifications", through("alerts.alerts", "alert_id")),
            SqlRows("alert_history", "alerts.alert_history", OWNED),
            SqlRows("alerts", "alerts.alerts", OWNED),
            SqlRows("alert_rules", "alerts.alert_rules", OWNED),
            SqlRows("tenants", "public.tenants", "id = %(ref)s"),
        ),
    },
    kept=("Supplier nodes in Neo4j (the global catalogue)",),
)
