"""The residue queries a certificate states: readable, and counting what the verify step counts."""

import json
import re
from dataclasses import dataclass

import pytest
from bson import ObjectId

from campaigns.plan import CAMPAIGN_PLAN
from deletion_console.certificates.queries import plan_items, residue_query
from deletion_console.engine.scope import LiveScope
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as target_sql
from tenants.plan import TENANT_PLAN
from tenants.seeding import TenantSpec, create_tenant


def rendered(plan, entity, ref="c-1", keys=("c-1",)):
    (item,) = [item for _, item in plan_items(plan) if item.entity == entity]
    return residue_query(item, ref=ref, keys=list(keys))


def test_plan_items_follow_the_plan_step_by_step():
    steps = [step for step, _ in plan_items(CAMPAIGN_PLAN)]

    assert steps == sorted(steps, key=["mongodb", "neo4j", "postgres"].index)
    assert [item.entity for step, item in plan_items(CAMPAIGN_PLAN) if step == "postgres"] == [
        "session_attendance",
        "campaign_sessions",
        "player_campaigns",
    ]


def test_sql_is_written_out_with_the_target_id_quoted():
    query = rendered(CAMPAIGN_PLAN, "session_attendance", ref="it's")

    assert (query.store, query.language) == ("postgres", "SQL")
    assert query.queries == (
        'SELECT count(*) FROM "session_attendance" WHERE session_id IN '
        "(SELECT id FROM campaign_sessions WHERE campaign_id = 'it''s')",
    )


def test_cypher_is_written_out_per_way_a_node_belongs_to_the_target():
    assert rendered(CAMPAIGN_PLAN, "PLAYS_IN").queries == (
        'MATCH (:Player)-[r:PLAYS_IN]->(:Campaign {id: "c-1"}) RETURN count(r)',
    )
    assert rendered(CAMPAIGN_PLAN, "Item").queries == (
        'MATCH (n:`Item`) WHERE n.`campaign_id` = "c-1" RETURN count(n)',
        "UNWIND <the items ids collected before the first delete> AS id "
        "MATCH (n:`Item` {id: id}) WHERE n.`campaign_id` IS NULL RETURN count(n)",
    )


def test_mongodb_filters_name_the_database_collection_and_the_target_key():
    oid = ObjectId("65f1c0ffee0000000000abcd")

    assert rendered(CAMPAIGN_PLAN, "items").queries == (
        'game.items.countDocuments({"_id": {"$in": <the items ids collected before the first delete>}, '
        '"campaign_id": null})',
        'game.items.countDocuments({"campaign_id": "c-1"})',
    )
    assert rendered(CAMPAIGN_PLAN, "campaigns", ref=str(oid), keys=[oid]).queries == (
        'game.campaigns.countDocuments({"_id": {"$in": [ObjectId("65f1c0ffee0000000000abcd")]}})',
    )


def test_an_item_of_an_unknown_kind_is_still_stated_by_its_fields():
    @dataclass(frozen=True)
    class S3Objects:
        entity: str
        bucket: str

    query = residue_query(S3Objects("avatars", "tenant-avatars"), ref="t-1", keys=["t-1"])

    assert query.store == "S3Objects"
    assert json.loads(query.queries[0]) == {"entity": "avatars", "bucket": "tenant-avatars"}


def run(store: str, text: str) -> int:
    """Run a rendered query as written, against the real store."""
    if store == "postgres":
        return target_sql.scalar(text)
    if store == "neo4j":
        return graph.read_value(text)
    database, collection, query = re.fullmatch(r"(\w+)\.(\w+)\.countDocuments\((.*)\)", text).groups()
    return mongo.database(database)[collection].count_documents(json.loads(query))


@pytest.mark.usefixtures("clean_stores")
def test_the_rendered_queries_count_what_the_verify_step_counts(rng):
    create_tenant(TenantSpec(id="t-neighbour", name="Neighbour"), rng)
    tenant = create_tenant(TenantSpec(id="t-target", name="Target"), rng)
    scope = LiveScope(TENANT_PLAN, tenant.id)

    for _, item in plan_items(TENANT_PLAN):
        query = residue_query(item, ref=scope.ref, keys=scope.keys)
        found = sum(run(query.store, text) for text in query.queries)
        assert found == item.count(scope) > 0, item.entity
