"""How a tenant is deleted: the one declaration of the layout in REFERENCE_DATA.md (tenants)."""

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.plan import Plan
from deletion_console.engine.sql import SqlRows, SqlTarget


def owned(entity: str, table: str) -> SqlRows:
    return SqlRows(entity, table, "tenant_id = %(ref)s", filters_on=("tenant_id",))


def through(entity: str, table: str, parent_table: str, fk: str) -> SqlRows:
    """Rows with no tenant_id of their own, reached through their parent's."""
    return SqlRows(
        entity, table, f"{fk} IN (SELECT id FROM {parent_table} WHERE tenant_id = %(ref)s)", filters_on=(fk,)
    )


TENANT_PLAN = Plan(
    kind="tenant",
    target=SqlTarget(table="public.tenants", label_field="name", noun="tenant"),
    stores={
        "mongodb": tuple(
            MongoDocs(collection, collection, field="tenant_id", database="MONGODB_EXTERNAL_DB")
            for collection in ("external_data_cache", "api_key_usage", "external_api_logs")
        ),
        "neo4j": (
            GraphRelationships("BUYS_FROM", "(:Tenant {id: $ref})-[r:BUYS_FROM]->(:Supplier)", anchor=("Tenant", "id")),
            GraphNodes("Product", "Product", owner_property="tenant_id"),
            GraphNodes("Location", "Location", owner_property="tenant_id"),
            GraphNodes("Tenant", "Tenant", owner_property="id"),
        ),
        # Children before parents within each service's schema; the registry row goes last.
        "postgres": (
            through("order_status_history", "orders.order_status_history", "orders.orders", "order_id"),
            owned("order_items", "orders.order_items"),
            owned("orders", "orders.orders"),
            owned("inventory_transactions", "inventory.inventory_transactions"),
            owned("stock_alerts", "inventory.stock_alerts"),
            owned("inventory_items", "inventory.inventory_items"),
            through(
                "purchase_order_items",
                "suppliers.purchase_order_items",
                "suppliers.purchase_orders",
                "purchase_order_id",
            ),
            owned("purchase_orders", "suppliers.purchase_orders"),
            owned("suppliers", "suppliers.suppliers"),
            owned("pos_transactions", "pos.pos_transactions"),
            owned("pos_sessions", "pos.pos_sessions"),
            owned("pos_configurations", "pos.pos_configurations"),
            through("alert_notifications", "alerts.alert_notifications", "alerts.alerts", "alert_id"),
            owned("alert_history", "alerts.alert_history"),
            owned("alerts", "alerts.alerts"),
            owned("alert_rules", "alerts.alert_rules"),
            SqlRows("tenants", "public.tenants", "id = %(ref)s"),
        ),
    },
    kept=("Supplier nodes in Neo4j (the global catalogue)",),
)
