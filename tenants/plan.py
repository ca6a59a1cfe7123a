"""How a tenant is deleted: the one declaration of the layout in REFERENCE_DATA.md (tenants).

One step per service, as seed 004 deletes them, run side by side: no service's data refers to
another's. The registry (the tenants row and the Tenant node) goes last, once every service has
succeeded, so a failed service can still be found and resumed through it.
"""

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.plan import Column, Coverage, Listing, Plan, Step, Together
from deletion_console.engine.sql import SqlRows, SqlTarget

OWNER = "tenant_id"


def owned(entity: str, table: str) -> SqlRows:
    return SqlRows.owned(entity, table, OWNER)


def through(entity: str, table: str, parent: str, fk: str) -> SqlRows:
    return SqlRows.through(entity, table, parent=parent, fk=fk, owner=OWNER)


# Within each service, children before parents.
SERVICES = (
    Step(
        "orders",
        "Orders",
        (
            # Would also go with its order (ON DELETE CASCADE); deleted first so it is counted.
            through("order_status_history", "orders.order_status_history", "orders.orders", "order_id"),
            owned("order_items", "orders.order_items"),
            owned("orders", "orders.orders"),
        ),
    ),
    Step(
        "inventory",
        "Inventory",
        (
            owned("inventory_transactions", "inventory.inventory_transactions"),
            owned("stock_alerts", "inventory.stock_alerts"),
            owned("inventory_items", "inventory.inventory_items"),
        ),
    ),
    Step(
        "suppliers",
        "Suppliers",
        (
            through(
                "purchase_order_items",
                "suppliers.purchase_order_items",
                "suppliers.purchase_orders",
                "purchase_order_id",
            ),
            owned("purchase_orders", "suppliers.purchase_orders"),
            owned("suppliers", "suppliers.suppliers"),
        ),
    ),
    Step(
        "pos",
        "POS",
        (
            owned("pos_transactions", "pos.pos_transactions"),
            owned("pos_sessions", "pos.pos_sessions"),
            owned("pos_configurations", "pos.pos_configurations"),
        ),
    ),
    Step(
        "alerts",
        "Alerts",
        (
            through("alert_notifications", "alerts.alert_notifications", "alerts.alerts", "alert_id"),
            owned("alert_history", "alerts.alert_history"),
            owned("alerts", "alerts.alerts"),
            owned("alert_rules", "alerts.alert_rules"),
        ),
    ),
    Step(
        "external",
        "External data",
        tuple(
            MongoDocs(collection, collection, field=OWNER, database="MONGODB_EXTERNAL_DB")
            for collection in ("external_data_cache", "api_key_usage", "external_api_logs")
        ),
    ),
    Step(
        "graph",
        "Graph",
        (
            GraphRelationships("BUYS_FROM", "(:Tenant {id: $ref})-[r:BUYS_FROM]->(:Supplier)", anchor=("Tenant", "id")),
            GraphNodes("Product", "Product", owner_property=OWNER),
            GraphNodes("Location", "Location", owner_property=OWNER),
        ),
    ),
)

TENANT_PLAN = Plan(
    kind="tenant",
    noun="tenant",
    plural="tenants",
    step_noun="service",
    target=SqlTarget(table="public.tenants", label_field="name"),
    steps=(
        Together("services", "Services", SERVICES),
        Step(
            "registry",
            "Tenant registry",
            (SqlRows("tenants", "public.tenants", "id = %(ref)s"), GraphNodes("Tenant", "Tenant", owner_property="id")),
        ),
    ),
    kept=("Supplier nodes in Neo4j (the global catalogue)",),
    listing=Listing(
        section="tenants",
        title="Tenants",
        page="tenants.selectors.tenant_page",
        columns=(
            Column("id", "Id", "code"),
            Column("created_at", "Created", "datetime"),
            Column("rows", "Rows with its tenant_id", "number"),
        ),
    ),
    coverage=Coverage(field=OWNER, mongo_databases=("MONGODB_EXTERNAL_DB",)),
)
