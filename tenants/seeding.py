"""Tenants as REFERENCE_DATA.md lays them out: one schema per service in PostgreSQL, cached
external data in MongoDB, locations and products in Neo4j linked to a shared supplier catalogue.
Also the tenants' part of the demo data set (TenantsConfig.demo_seeder names this module)."""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from psycopg import sql

from deletion_console.devtools import insert_documents, moment, object_id, uuid_from
from deletion_console.devtools.demo import DemoPart
from deletion_console.devtools.schema import table_identifier
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as store

EXTERNAL_COLLECTIONS = ("external_data_cache", "api_key_usage", "external_api_logs")
# The labels the graph writes below MATCH by id (shared suppliers included): the demo indexes them.
LINKS_BY_ID = ("Tenant", "Location", "Product", "Supplier")


@dataclass(frozen=True)
class TenantSpec:
    id: str
    name: str
    rows: int = 3
    documents: int = 5
    suppliers: tuple[str, ...] = ("sup-1", "sup-2")


@dataclass(frozen=True)
class SeededTenant:
    id: str
    name: str
    counts: dict[str, dict[str, int]]  # per step and entity, as the tenant plan previews them
    store_counts: dict[str, dict[str, int]]  # per store and entity, as written


@dataclass(frozen=True)
class _Row:
    """What one seeded row knows when its table's columns are filled in."""

    n: int
    at: datetime
    spec: TenantSpec
    rng: random.Random


@dataclass(frozen=True)
class _Table:
    name: str  # schema.table
    columns: tuple[str, ...]  # filled by values(), after id, tenant_id and the parent key
    values: Callable[[_Row], tuple]
    parent: str | None = None
    parent_key: str | None = None
    owned: bool = True  # carries tenant_id; if not, it is reached only through its parent

    @property
    def entity(self) -> str:
        return self.name.split(".")[1]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _supplier(row: _Row) -> tuple:
    catalogue = row.spec.suppliers[row.n % len(row.spec.suppliers)] if row.spec.suppliers else None
    return (catalogue, f"Supplier {row.n + 1}")


# Parents before children: a child row picks its parent among rows already drafted.
TABLES = (
    _Table(
        "orders.orders",
        ("order_number", "status", "total", "created_at"),
        lambda r: (f"ORD-{r.n + 1:05d}", r.rng.choice(("open", "paid", "shipped")), _money(r.rng, 5, 400), r.at),
    ),
    _Table(
        "orders.order_items",
        ("product_sku", "quantity", "unit_price"),
        lambda r: (f"SKU-{r.rng.randrange(1000):04d}", r.rng.randint(1, 12), _money(r.rng, 1, 40)),
        parent="orders.orders",
        parent_key="order_id",
    ),
    _Table(
        "orders.order_status_history",
        ("status", "changed_at"),
        lambda r: (r.rng.choice(("created", "paid", "shipped")), r.at),
        parent="orders.orders",
        parent_key="order_id",
        owned=False,
    ),
    _Table(
        "inventory.inventory_items",
        ("sku", "name", "quantity", "created_at"),
        lambda r: (
            f"SKU-{r.n + 1:04d}",
            r.rng.choice(("Flour", "Butter", "Sugar", "Yeast", "Eggs")),
            r.rng.randint(0, 500),
            r.at,
        ),
    ),
    _Table(
        "inventory.inventory_transactions",
        ("quantity_change", "reason", "created_at"),
        lambda r: (r.rng.randint(-50, 50), r.rng.choice(("sale", "delivery", "waste", "count")), r.at),
        parent="inventory.inventory_items",
        parent_key="item_id",
    ),
    _Table(
        "inventory.stock_alerts",
        ("threshold", "created_at"),
        lambda r: (r.rng.randint(5, 50), r.at),
        parent="inventory.inventory_items",
        parent_key="item_id",
    ),
    _Table(
        "suppliers.suppliers",
        ("catalogue_id", "name"),
        _supplier,
    ),
    _Table(
        "suppliers.purchase_orders",
        ("status", "created_at"),
        lambda r: (r.rng.choice(("draft", "sent", "received")), r.at),
        parent="suppliers.suppliers",
        parent_key="supplier_id",
    ),
    _Table(
        "suppliers.purchase_order_items",
        ("sku", "quantity"),
        lambda r: (f"SKU-{r.rng.randrange(1000):04d}", r.rng.randint(1, 100)),
        parent="suppliers.purchase_orders",
        parent_key="purchase_order_id",
        owned=False,
    ),
    _Table(
        "pos.pos_configurations",
        ("name", "created_at"),
        lambda r: (f"Till {r.n + 1}", r.at),
    ),
    _Table(
        "pos.pos_sessions",
        ("opened_at",),
        lambda r: (r.at,),
        parent="pos.pos_configurations",
        parent_key="configuration_id",
    ),
    _Table(
        "pos.pos_transactions",
        ("amount", "created_at"),
        lambda r: (_money(r.rng, 1, 80), r.at),
        parent="pos.pos_sessions",
        parent_key="session_id",
    ),
    _Table(
        "alerts.alert_rules",
        ("name", "condition"),
        lambda r: (f"Rule {r.n + 1}", r.rng.choice(("stock < threshold", "order late", "till offline"))),
    ),
    _Table(
        "alerts.alerts",
        ("severity", "created_at"),
        lambda r: (r.rng.choice(("info", "warning", "critical")), r.at),
        parent="alerts.alert_rules",
        parent_key="rule_id",
    ),
    _Table(
        "alerts.alert_history",
        ("status", "changed_at"),
        lambda r: (r.rng.choice(("raised", "acknowledged", "resolved")), r.at),
        parent="alerts.alerts",
        parent_key="alert_id",
    ),
    _Table(
        "alerts.alert_notifications",
        ("channel", "sent_at"),
        lambda r: (r.rng.choice(("email", "sms", "push")), r.at),
        parent="alerts.alerts",
        parent_key="alert_id",
        owned=False,
    ),
)


def create_tenant(spec: TenantSpec, rng: random.Random) -> SeededTenant:
    created_at = moment(rng)
    postgres = _write_rows(spec, created_at, rng)
    neo4j = _write_graph(spec, rng)
    mongodb = _write_documents(spec, created_at, rng)
    by_store = {"mongodb": mongodb, "neo4j": neo4j, "postgres": postgres}
    return SeededTenant(
        id=spec.id, name=spec.name, counts=_per_step({**postgres, **neo4j, **mongodb}), store_counts=by_store
    )


def _per_step(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """What was written, keyed like the tenant plan's preview: per step, per entity."""
    from deletion_console.engine.plan import get_plan  # the plan is the contract the seeder writes to

    plan = get_plan("tenant")
    return {step.name: {item.entity: counts.get(item.entity, 0) for item in step.items} for step in plan.deletion_steps}


# -- PostgreSQL --------------------------------------------------------------------------------


def _write_rows(spec: TenantSpec, created_at: datetime, rng: random.Random) -> dict[str, int]:
    ids: dict[str, list] = {}
    counts: dict[str, int] = {}
    with store.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO public.tenants (id, name, created_at) VALUES (%s, %s, %s)", (spec.id, spec.name, created_at)
        )
        for table in TABLES:
            rows = _table_rows(table, spec, ids, created_at, rng)
            ids[table.name] = [row[0] for row in rows]
            counts[table.entity] = len(rows)
            _copy(cur, table, rows)
    # Children before parents, the order the tenant plan deletes in.
    return {entity: counts[entity] for entity in reversed(counts)} | {"tenants": 1}


def _table_rows(
    table: _Table, spec: TenantSpec, ids: dict[str, list], created_at: datetime, rng: random.Random
) -> list[tuple]:
    parents = ids[table.parent] if table.parent else None
    if parents == []:
        return []
    rows = []
    for n in range(spec.rows):
        row = [uuid_from(rng)]
        if table.owned:
            row.append(spec.id)
        if parents is not None:
            # Round robin, so every parent has children whenever there are as many rows.
            row.append(parents[n % len(parents)])
        at = created_at + timedelta(hours=rng.randrange(24 * 365))
        row.extend(table.values(_Row(n=n, at=at, spec=spec, rng=rng)))
        rows.append(tuple(row))
    return rows


def _copy(cur, table: _Table, rows: list[tuple]) -> None:
    if not rows:
        return
    columns = [
        "id",
        *(["tenant_id"] if table.owned else []),
        *([table.parent_key] if table.parent else []),
        *table.columns,
    ]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        table_identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


# -- Neo4j -------------------------------------------------------------------------------------

_TENANT_GRAPH = """
CREATE (t:Tenant {id: $tenant, name: $name})
WITH t
UNWIND $locations AS location
CREATE (t)-[:HAS_LOCATION]->(l:Location {id: location.id, tenant_id: $tenant, name: location.name})
WITH l, location
UNWIND location.products AS product
CREATE (l)-[:STOCKS]->(:Product {id: product.id, tenant_id: $tenant, name: product.name})
"""
# Suppliers are a shared catalogue: MERGE reuses the node another tenant may already buy from.
_BUYS_FROM = """
MATCH (t:Tenant {id: $tenant})
UNWIND $suppliers AS supplier
MERGE (s:Supplier {id: supplier})
CREATE (t)-[:BUYS_FROM]->(s)
"""


def _write_graph(spec: TenantSpec, rng: random.Random) -> dict[str, int]:
    locations = [
        {"id": f"{spec.id}-location-{n + 1}", "name": f"Shop {n + 1}", "products": []} for n in range(spec.rows)
    ]
    for n in range(spec.rows if locations else 0):
        product = {"id": str(uuid_from(rng)), "name": f"Product {n + 1}"}
        locations[n % len(locations)]["products"].append(product)
    suppliers = list(dict.fromkeys(spec.suppliers))
    graph.write_value(_TENANT_GRAPH, tenant=spec.id, name=spec.name, locations=locations)
    if suppliers:
        graph.write_value(_BUYS_FROM, tenant=spec.id, suppliers=suppliers)
    products = sum(len(location["products"]) for location in locations)
    return {"BUYS_FROM": len(suppliers), "Product": products, "Location": len(locations), "Tenant": 1}


# -- MongoDB -----------------------------------------------------------------------------------


def _write_documents(spec: TenantSpec, created_at: datetime, rng: random.Random) -> dict[str, int]:
    db = mongo.database(settings.MONGODB_EXTERNAL_DB)
    counts = {}
    for collection in EXTERNAL_COLLECTIONS:
        documents = [_external_document(collection, spec, n, created_at, rng) for n in range(spec.documents)]
        counts[collection] = insert_documents(db[collection], documents)
    return counts


def _external_document(collection: str, spec: TenantSpec, n: int, created_at: datetime, rng: random.Random) -> dict:
    at = created_at + timedelta(minutes=rng.randrange(60 * 24 * 365))
    doc = {"_id": object_id(rng, at), "tenant_id": spec.id}
    if collection == "external_data_cache":
        doc |= {"source": rng.choice(("weather", "holidays", "traffic")), "key": f"cache-{n + 1}", "fetched_at": at}
    elif collection == "api_key_usage":
        doc |= {"endpoint": rng.choice(("/forecast", "/events", "/geocode")), "calls": rng.randint(1, 500), "day": at}
    else:
        doc |= {
            "endpoint": rng.choice(("/forecast", "/events")),
            "status_code": rng.choice((200, 200, 429, 500)),
            "at": at,
        }
    return doc


# -- the demo ----------------------------------------------------------------------------------

DEMO_TENANTS = 3
DEMO_LARGE_TENANT_ROWS = 6_300
SUPPLIER_POOL = 8
SHOP_PLACES = ("Northside", "Harbour", "Old Town", "Riverside", "Hillcrest", "Market Street")
SHOP_KINDS = ("Bakery", "Café", "Deli", "Patisserie")


def add_demo_arguments(parser) -> None:
    parser.add_argument("--tenants", type=int, default=DEMO_TENANTS, help=f"number of tenants (default {DEMO_TENANTS})")
    parser.add_argument(
        "--large-tenant-rows",
        type=int,
        default=DEMO_LARGE_TENANT_ROWS,
        help="rows per table of the largest tenant (default 6,300: about 100,000 rows in all)",
    )


def demo_present() -> bool:
    return store.scalar("SELECT EXISTS (SELECT 1 FROM public.tenants)")


def seed_demo(
    rng: random.Random, *, tenants: int = DEMO_TENANTS, large_tenant_rows: int = DEMO_LARGE_TENANT_ROWS, **_
) -> DemoPart:
    """Tenants with data in every service, one large, one medium, the rest small."""
    specs = _tenant_specs(tenants, large_tenant_rows, rng)
    seeded = tuple(create_tenant(spec, rng) for spec in specs)
    totals: dict[str, Counter] = {name: Counter() for name in ("mongodb", "neo4j", "postgres")}
    for tenant in seeded:
        for store_name, entities in tenant.store_counts.items():
            totals[store_name].update(entities)
    # Shared entities, seeded once whatever uses them.
    totals["neo4j"]["Supplier"] = len({s for spec in specs for s in spec.suppliers})
    return DemoPart(targets=seeded, counts={name: dict(entities) for name, entities in totals.items()})


def _tenant_specs(count: int, large_rows: int, rng: random.Random) -> list[TenantSpec]:
    catalogue = [f"supplier-{n + 1:02d}" for n in range(SUPPLIER_POOL)]
    return [
        TenantSpec(
            id=str(uuid_from(rng)),
            name=f"{rng.choice(SHOP_PLACES)} {rng.choice(SHOP_KINDS)} {n + 1}",
            # One large tenant (rows per table: 16 tables make large_rows x 16 rows), one medium,
            # the rest small.
            rows=large_rows if n == 0 else (min(400, large_rows) if n == 1 else rng.randint(4, 25)),
            documents=rng.randint(10, 200),
            suppliers=tuple(rng.sample(catalogue, rng.randint(2, 4))),
        )
        for n in range(count)
    ]
