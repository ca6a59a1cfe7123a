"""The demo data set: the contract's layout in every store, deterministic, seeded once.

One demo is seeded for the whole module. Tests that seed again use the same seed and sizes,
so the stores end each test exactly as the fixture left them.
"""

import io
import random
import uuid

import pytest
from bson import ObjectId
from django.conf import settings
from django.core.management import call_command

from deletion_console.devtools.demo import seed_demo
from deletion_console.devtools.schema import CONTRACT_TABLES
from deletion_console.stores import graph, mongo, sql
from tenants.seeding import TABLES, _tenant_specs
from tests.fixtures.stores import reset_stores

SIZES = {"seed": 7, "campaigns": 6, "large_events": 500, "tenants": 2, "large_tenant_rows": 30}
EXTERNAL_COLLECTIONS = {"external_data_cache", "api_key_usage", "external_api_logs"}
ID_ARRAYS = ("quest_ids", "place_ids", "scene_ids", "npc_ids", "item_ids")
CHILD_COLLECTIONS = ("quests", "places", "scenes", "npcs", "items")
# Tenant tables without tenant_id, reached through their parent: table -> (parent, key).
THROUGH_PARENT = {
    "orders.order_status_history": ("orders.orders", "order_id"),
    "suppliers.purchase_order_items": ("suppliers.purchase_orders", "purchase_order_id"),
    "alerts.alert_notifications": ("alerts.alerts", "alert_id"),
}
RELATIONSHIPS = {"PLAYS_IN", "BUYS_FROM"}
CAMPAIGN_TABLES = {"public.players", "public.player_campaigns", "public.campaign_sessions", "public.session_attendance"}


@pytest.fixture(scope="module")
def demo():
    reset_stores()
    output = io.StringIO()
    summary = seed_demo(**SIZES, stdout=output)
    return summary, output.getvalue()


@pytest.fixture
def summary(demo):
    return demo[0]


def table_named(entity: str) -> str:
    return next(name for name in CONTRACT_TABLES if name.split(".")[1] == entity)


def stored_count(store: str, entity: str) -> int:
    if store == "mongodb":
        db = settings.MONGODB_EXTERNAL_DB if entity in EXTERNAL_COLLECTIONS else settings.MONGODB_DB
        return mongo.database(db)[entity].count_documents({})
    if store == "neo4j":
        pattern = f"()-[x:{entity}]->()" if entity in RELATIONSHIPS else f"(x:{entity})"
        return graph.read_value(f"MATCH {pattern} RETURN count(x)")
    return sql.scalar(f"SELECT count(*) FROM {table_named(entity)}")


def stored_counts_like(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {store: {entity: stored_count(store, entity) for entity in entities} for store, entities in counts.items()}


def campaign_documents() -> list[dict]:
    return list(mongo.database()["campaigns"].find({}))


def test_every_collection_label_and_table_holds_what_the_summary_reports(summary):
    assert not summary.skipped
    assert stored_counts_like(summary.counts) == summary.counts
    # Nothing seeded that the summary does not account for (ensure_indexes may leave collections empty).
    collections = {
        name
        for db in (mongo.database(), mongo.database(settings.MONGODB_EXTERNAL_DB))
        for name in db.list_collection_names()
        if db[name].find_one({}, {"_id": 1}) is not None
    }
    assert collections == set(summary.counts["mongodb"])
    labels = {record["label"] for record in graph.driver().execute_query("CALL db.labels() YIELD label")[0]}
    assert labels <= set(summary.counts["neo4j"])
    assert {name.split(".")[1] for name in CONTRACT_TABLES} == set(summary.counts["postgres"])


def test_summary_table_is_printed_with_the_elapsed_time(demo):
    summary, output = demo
    assert "campaign_events" in output
    assert f"{summary.counts['mongodb']['campaign_events']:,}" in output
    assert "events/s" in output


def test_legacy_campaigns_list_their_children_and_the_children_do_not_point_back(summary):
    legacy = [doc for doc in campaign_documents() if not doc["is_new_format"]]
    assert legacy
    for campaign in legacy:
        ref = str(campaign["_id"])
        for collection, array in zip(CHILD_COLLECTIONS, ID_ARRAYS, strict=True):
            ids = campaign[array]
            children = list(mongo.database()[collection].find({"_id": {"$in": ids}}))
            assert len(children) == len(ids) > 0
            assert not any("campaign_id" in child for child in children)
        assert graph.read_value("MATCH (n) WHERE n.campaign_id = $ref RETURN count(n)", ref=ref) == 0


def test_new_format_campaigns_children_and_nodes_carry_the_campaign_id(summary):
    seeded = {campaign.id: campaign for campaign in summary.campaigns}
    new_format = [doc for doc in campaign_documents() if doc["is_new_format"]]
    assert new_format
    for campaign in new_format:
        ref = str(campaign["_id"])
        assert not any(array in campaign for array in ID_ARRAYS)
        children = sum(mongo.database()[c].count_documents({"campaign_id": ref}) for c in CHILD_COLLECTIONS)
        nodes = graph.read_value("MATCH (n) WHERE n.campaign_id = $ref RETURN count(n)", ref=ref)
        expected = sum(seeded[ref].counts["mongodb"][c] for c in CHILD_COLLECTIONS)
        assert children == nodes == expected > 0


def test_campaign_ids_are_both_object_ids_and_string_uuids(summary):
    ids = [doc["_id"] for doc in campaign_documents()]
    strings = [i for i in ids if isinstance(i, str)]
    assert strings and any(isinstance(i, ObjectId) for i in ids)
    assert all(uuid.UUID(i).version == 4 for i in strings)
    assert sorted(map(str, ids)) == sorted(c.id for c in summary.campaigns)


def test_campaign_sizes_range_from_a_few_events_to_the_largest(summary):
    events = sorted(c.counts["mongodb"]["campaign_events"] for c in summary.campaigns)
    assert events[0] < 10
    assert events[-1] == SIZES["large_events"]
    per_campaign = {c.id: c.counts["mongodb"]["campaign_events"] for c in summary.campaigns}
    stored = {ref: mongo.database()["campaign_events"].count_documents({"campaign_id": ref}) for ref in per_campaign}
    assert stored == per_campaign


def test_players_are_shared_by_several_campaigns(summary):
    shared_in_graph = graph.read_value(
        "MATCH (p:Player)-[:PLAYS_IN]->(c:Campaign) WITH p, count(c) AS n WHERE n > 1 RETURN count(p)"
    )
    shared_in_sql = sql.scalar(
        "SELECT count(*) FROM (SELECT player_id FROM player_campaigns GROUP BY player_id HAVING count(*) > 1) s"
    )
    assert shared_in_graph == shared_in_sql > 0


def tenant_rows(table: str, tenant_id: str) -> int:
    if table in THROUGH_PARENT:
        parent, key = THROUGH_PARENT[table]
        condition = f"{key} IN (SELECT id FROM {parent} WHERE tenant_id = %(t)s)"
    else:
        condition = "id = %(t)s" if table == "public.tenants" else "tenant_id = %(t)s"
    return sql.scalar(f"SELECT count(*) FROM {table} WHERE {condition}", {"t": tenant_id})


def test_every_tenant_has_data_in_every_table_collection_and_graph_label(summary):
    assert len(summary.tenants) == SIZES["tenants"]
    for tenant in summary.tenants:
        tables = {
            name.split(".")[1]: tenant_rows(name, tenant.id) for name in CONTRACT_TABLES if name not in CAMPAIGN_TABLES
        }
        assert tables == tenant.store_counts["postgres"]
        documents = {
            c: mongo.database(settings.MONGODB_EXTERNAL_DB)[c].count_documents({"tenant_id": tenant.id})
            for c in EXTERNAL_COLLECTIONS
        }
        assert documents == tenant.store_counts["mongodb"]
        graph_counts = {
            "BUYS_FROM": graph.read_value(
                "MATCH (:Tenant {id: $t})-[r:BUYS_FROM]->(:Supplier) RETURN count(r)", t=tenant.id
            ),
            "Product": graph.read_value("MATCH (n:Product {tenant_id: $t}) RETURN count(n)", t=tenant.id),
            "Location": graph.read_value(
                "MATCH (:Tenant {id: $t})-[:HAS_LOCATION]->(n:Location {tenant_id: $t}) RETURN count(n)", t=tenant.id
            ),
            "Tenant": graph.read_value("MATCH (n:Tenant {id: $t}) RETURN count(n)", t=tenant.id),
        }
        assert graph_counts == tenant.store_counts["neo4j"]
        assert all(count > 0 for store in tenant.store_counts.values() for count in store.values())
    stocked = graph.read_value("MATCH (:Location)-[:STOCKS]->(p:Product) RETURN count(DISTINCT p)")
    assert stocked == summary.counts["neo4j"]["Product"]


def test_the_same_seed_seeds_the_same_campaigns_and_tenants(summary):
    again = seed_demo(**SIZES, reset=True, stdout=io.StringIO())

    assert [(c.id, c.name, c.counts) for c in again.campaigns] == [(c.id, c.name, c.counts) for c in summary.campaigns]
    assert [(t.id, t.name, t.counts) for t in again.tenants] == [(t.id, t.name, t.counts) for t in summary.tenants]
    assert again.counts == summary.counts


def test_a_second_run_without_reset_seeds_nothing(summary):
    output = io.StringIO()

    result = seed_demo(**SIZES, stdout=output)

    assert result.skipped
    assert "already present" in output.getvalue()
    assert stored_counts_like(summary.counts) == summary.counts


def test_the_command_without_reset_leaves_existing_demo_data_alone(summary):
    output = io.StringIO()

    call_command("seed_demo", "--campaigns", "2", "--large-events", "10", stdout=output)

    assert "already present" in output.getvalue()
    assert stored_counts_like(summary.counts) == summary.counts


def test_the_default_demo_has_a_tenant_of_at_least_100000_rows_and_smaller_ones():
    specs = _tenant_specs(3, 6_300, random.Random(42))

    sizes = [spec.rows * len(TABLES) + 1 for spec in specs]  # every table gets `rows` rows, plus the registry row
    assert sizes[0] >= 100_000 and sizes[1] < sizes[0] and sizes[2] < sizes[1]
