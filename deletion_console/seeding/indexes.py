"""Indexes on the fields the deletion plans select by. Idempotent: safe to run before every seed.

MongoDB (FerretDB 1.24 on SQLite accepts createIndexes; its query planner still scans for
filters other than _id, but a real MongoDB uses them): the owner field of every collection a
plan deletes by. Neo4j: `id` on every label, which the seeder's relationship MATCHes and the
engine's collected-id deletes look up, and the owner property the plans match on.
"""

from django.conf import settings

from deletion_console.stores import graph, mongo

MONGO_INDEXES = {
    "MONGODB_DB": {
        "campaign_events": "campaign_id",
        "quests": "campaign_id",
        "places": "campaign_id",
        "scenes": "campaign_id",
        "npcs": "campaign_id",
        "items": "campaign_id",
    },
    "MONGODB_EXTERNAL_DB": {
        "external_data_cache": "tenant_id",
        "api_key_usage": "tenant_id",
        "external_api_logs": "tenant_id",
    },
}

GRAPH_ID_LABELS = (
    "Campaign",
    "Quest",
    "Place",
    "Scene",
    "NPC",
    "Item",
    "Player",
    "Tenant",
    "Location",
    "Product",
    "Supplier",
)
GRAPH_OWNER_PROPERTIES = {
    "Quest": "campaign_id",
    "Place": "campaign_id",
    "Scene": "campaign_id",
    "NPC": "campaign_id",
    "Item": "campaign_id",
    "Location": "tenant_id",
    "Product": "tenant_id",
}
# Index creation returns before the index is populated; queries meanwhile fall back to scans.
GRAPH_INDEX_WAIT_SECONDS = 60


def ensure_indexes() -> None:
    ensure_mongo_indexes()
    ensure_graph_indexes()


def ensure_mongo_indexes() -> None:
    for database_setting, fields in MONGO_INDEXES.items():
        db = mongo.database(getattr(settings, database_setting))
        for collection, field in fields.items():
            # create_index is a no-op when an identical index exists.
            # Compound with _id: the engine filters by owner and walks the matches in _id order.
            db[collection].create_index([(field, 1), ("_id", 1)])


def graph_index_statements() -> dict[str, str]:
    """Index name -> the statement creating it."""
    indexes = {f"{label.lower()}_id": (label, "id") for label in GRAPH_ID_LABELS}
    indexes |= {f"{label.lower()}_{prop}": (label, prop) for label, prop in GRAPH_OWNER_PROPERTIES.items()}
    return {
        name: f"CREATE INDEX {name} IF NOT EXISTS FOR (n:`{label}`) ON (n.`{prop}`)"
        for name, (label, prop) in indexes.items()
    }


def ensure_graph_indexes() -> None:
    existing = set(graph.read_value("SHOW INDEXES YIELD name RETURN collect(name)") or [])
    missing = {name: statement for name, statement in graph_index_statements().items() if name not in existing}
    for statement in missing.values():
        graph.write_value(statement)
    if missing:
        graph.write_value(f"CALL db.awaitIndexes({GRAPH_INDEX_WAIT_SECONDS})")
