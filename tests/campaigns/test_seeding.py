"""create_campaign(s) writes the layout of REFERENCE_DATA.md, and its counts are what the stores hold."""

import pytest
from bson import ObjectId

from campaigns import seeding
from campaigns.plan import CAMPAIGN_PLAN
from campaigns.seeding import CampaignSpec, create_campaign, create_campaigns, create_players
from deletion_console.engine.plan import get_plan
from deletion_console.stores import graph, mongo, sql

pytestmark = pytest.mark.usefixtures("clean_stores")

# collection -> (label, legacy id array)
CHILDREN = {
    "items": ("Item", "item_ids"),
    "npcs": ("NPC", "npc_ids"),
    "scenes": ("Scene", "scene_ids"),
    "quests": ("Quest", "quest_ids"),
    "places": ("Place", "place_ids"),
}
PLAYERS = ("p1", "p2", "p3")


def campaign_document(campaign_id: str) -> dict:
    return mongo.database()["campaigns"].find_one({"_id": {"$in": mongo.key_candidates(campaign_id)}})


def child_ids(campaign: dict, collection: str) -> list:
    """Children as the contract says to find them: the id arrays (legacy) or campaign_id (new)."""
    if campaign["is_new_format"]:
        found = mongo.database()[collection].find({"campaign_id": str(campaign["_id"])}, {"_id": 1})
        return [doc["_id"] for doc in found]
    return campaign[CHILDREN[collection][1]]


def stored_counts(campaign_id: str) -> dict[str, dict[str, int]]:
    campaign = campaign_document(campaign_id)
    ref = str(campaign["_id"])
    db = mongo.database()
    ids = {collection: child_ids(campaign, collection) for collection in CHILDREN}
    return {
        "mongodb": {
            "campaign_events": db["campaign_events"].count_documents({"campaign_id": ref}),
            **{c: db[c].count_documents({"_id": {"$in": ids[c]}}) for c in CHILDREN},
            "campaigns": db["campaigns"].count_documents({"_id": campaign["_id"]}),
        },
        "neo4j": {
            "PLAYS_IN": graph.read_value(
                "MATCH (:Player)-[r:PLAYS_IN]->(:Campaign {id: $ref}) RETURN count(r)", ref=ref
            ),
            **{
                label: graph.read_value(
                    f"MATCH (n:{label}) WHERE n.id IN $ids RETURN count(n)", ids=[str(i) for i in ids[c]]
                )
                for c, (label, _) in CHILDREN.items()
            },
            "Campaign": graph.read_value("MATCH (c:Campaign {id: $ref}) RETURN count(c)", ref=ref),
        },
        "postgres": {
            "session_attendance": sql.scalar(
                "SELECT count(*) FROM session_attendance a JOIN campaign_sessions s ON s.id = a.session_id "
                "WHERE s.campaign_id = %(ref)s",
                {"ref": ref},
            ),
            "campaign_sessions": sql.scalar(
                "SELECT count(*) FROM campaign_sessions WHERE campaign_id = %(ref)s", {"ref": ref}
            ),
            "player_campaigns": sql.scalar(
                "SELECT count(*) FROM player_campaigns WHERE campaign_id = %(ref)s", {"ref": ref}
            ),
        },
    }


def node_properties(label: str, ids: list) -> list[dict]:
    records, _, _ = graph.driver().execute_query(
        f"MATCH (n:{label}) WHERE n.id IN $ids RETURN properties(n) AS p", ids=[str(i) for i in ids]
    )
    return [record["p"] for record in records]


def test_new_format_campaign_counts_equal_what_the_stores_hold(rng):
    create_players(PLAYERS)
    spec = CampaignSpec(name="New", children=4, events=50, players=PLAYERS, sessions=3)

    seeded = create_campaign(spec, rng)

    assert ObjectId.is_valid(seeded.id)
    assert seeded.counts == stored_counts(seeded.id)
    assert seeded.counts["mongodb"]["campaign_events"] == 50
    assert seeded.counts["neo4j"]["Quest"] == 4
    assert seeded.counts["postgres"] == {"session_attendance": 9, "campaign_sessions": 3, "player_campaigns": 3}


def test_legacy_campaign_with_string_id_counts_equal_what_the_stores_hold(rng):
    spec = CampaignSpec(name="Legacy", new_format=False, string_id=True, children=3, events=7, players=PLAYERS[:2])

    seeded = create_campaign(spec, rng)

    campaign = campaign_document(seeded.id)
    assert campaign["_id"] == seeded.id  # stored as the string, not an ObjectId
    assert seeded.counts == stored_counts(seeded.id)
    assert seeded.counts["mongodb"]["quests"] == 3


def test_legacy_children_are_reachable_only_through_the_campaigns_id_arrays(rng):
    seeded = create_campaign(CampaignSpec(name="Legacy", new_format=False, children=3), rng)

    campaign = campaign_document(seeded.id)
    assert campaign["is_new_format"] is False
    for collection, (label, array) in CHILDREN.items():
        ids = campaign[array]
        assert len(ids) == 3
        assert mongo.database()[collection].count_documents({"campaign_id": {"$exists": True}}) == 0
        assert all("campaign_id" not in props for props in node_properties(label, ids))
        # Legacy data mixes key types.
        assert {type(i) for i in ids} == {ObjectId, str}


def test_new_format_children_and_their_nodes_point_back_at_the_campaign(rng):
    seeded = create_campaign(CampaignSpec(name="New", children=2), rng)

    campaign = campaign_document(seeded.id)
    assert not any(array in campaign for _, array in CHILDREN.values())
    for collection, (label, _) in CHILDREN.items():
        docs = list(mongo.database()[collection].find({}))
        assert [doc["campaign_id"] for doc in docs] == [seeded.id, seeded.id]
        assert all(isinstance(doc["_id"], ObjectId) for doc in docs)
        props = node_properties(label, [doc["_id"] for doc in docs])
        assert [p["campaign_id"] for p in props] == [seeded.id, seeded.id]


def test_graph_links_a_campaigns_children_as_the_contract_describes(rng):
    seeded = create_campaign(CampaignSpec(name="Linked", new_format=False, children=3, players=PLAYERS), rng)

    def linked(pattern: str) -> int:
        return graph.read_value(f"MATCH (c:Campaign {{id: $ref}}) MATCH {pattern} RETURN count(*)", ref=seeded.id)

    assert linked("(c)-[:HAS_QUEST]->(:Quest)") == 3
    assert linked("(c)-[:HAS_PLACE]->(:Place)") == 3
    assert linked("(c)-[:HAS_QUEST]->(:Quest)-[:LOCATED_AT]->(:Place)<-[:HAS_PLACE]-(c)") == 3
    assert linked("(c)-[:HAS_QUEST]->(:Quest)<-[:PART_OF]-(:Scene)") == 3
    assert linked("(c)-[:HAS_QUEST]->(:Quest)<-[:PART_OF]-(:Scene)<-[:APPEARS_IN]-(:NPC)") == 3
    assert linked("(c)-[:HAS_QUEST]->(:Quest)<-[:PART_OF]-(:Scene)<-[:APPEARS_IN]-(:NPC)-[:CARRIES]->(:Item)") == 3
    assert linked("(:Player)-[:PLAYS_IN]->(c)") == 3


def test_campaigns_seeded_together_each_hold_exactly_their_own_counts(rng, monkeypatch):
    # Small groups, so that a few campaigns already cross several bulk writes.
    monkeypatch.setattr(seeding, "CAMPAIGNS_PER_WRITE", 2)
    specs = [
        CampaignSpec(name="A", players=PLAYERS, events=5),
        CampaignSpec(name="B", new_format=False, players=PLAYERS[:2], children=2, sessions=1),
        CampaignSpec(name="C", string_id=True, players=PLAYERS[1:], children=1, events=0),
        CampaignSpec(name="D", new_format=False, string_id=True, players=(), sessions=0),
        CampaignSpec(name="E", children=0, events=3),
    ]

    seeded = create_campaigns(specs, rng)

    assert [s.name for s in seeded] == ["A", "B", "C", "D", "E"]
    assert len({s.id for s in seeded}) == 5
    for campaign in seeded:
        assert campaign.counts == stored_counts(campaign.id), campaign.name


def test_create_campaign_creates_the_players_it_needs_and_never_duplicates_them(rng):
    create_players(["p1"])
    create_campaign(CampaignSpec(name="One", players=PLAYERS), rng)
    create_campaign(CampaignSpec(name="Two", players=PLAYERS), rng)
    create_players(PLAYERS)

    assert sql.scalar("SELECT count(*) FROM players") == 3
    assert graph.read_value("MATCH (p:Player) RETURN count(p)") == 3
    assert graph.read_value("MATCH (:Player {id: 'p2'})-[r:PLAYS_IN]->() RETURN count(r)") == 2


def test_counts_are_keyed_like_the_campaign_plan(rng):
    seeded = create_campaign(CampaignSpec(name="Keys"), rng)

    for store in (step.name for step in get_plan("campaign").deletion_steps):
        assert list(seeded.counts[store]) == [item.entity for item in CAMPAIGN_PLAN.items(store)]
