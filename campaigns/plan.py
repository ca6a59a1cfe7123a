"""How a campaign is deleted: the one declaration of the layout in REFERENCE_DATA.md (campaigns).

Another schema means editing this file, not the engine.
"""

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.mongo import CollectIds, MongoDocs, MongoTarget
from deletion_console.engine.plan import Column, Coverage, IndexNeed, Listing, Plan, Step
from deletion_console.engine.sql import SqlRows

# (entity, collection, legacy id array on the campaign, graph label). Listed leaves first:
# an NPC points at scenes and items, a scene at a quest, a quest at a place.
CHILDREN = (
    ("items", "items", "item_ids", "Item"),
    ("npcs", "npcs", "npc_ids", "NPC"),
    ("scenes", "scenes", "scene_ids", "Scene"),
    ("quests", "quests", "quest_ids", "Quest"),
    ("places", "places", "place_ids", "Place"),
)

CAMPAIGN_PLAN = Plan(
    kind="campaign",
    noun="campaign",
    plural="campaigns",
    step_noun="store",
    target=MongoTarget(
        collection="campaigns",
        label_field="name",
        keep_fields=tuple(array for _, _, array, _ in CHILDREN) + ("is_new_format",),
        # The platform hides a campaign in this state at once, before any of it is gone.
        hide_update=(("status", "deleting"),),
        unhide_update=(("status", "active"),),
    ),
    collect=tuple(
        CollectIds(entity, collection, parent_array=array, child_field="campaign_id")
        for entity, collection, array, _ in CHILDREN
    ),
    # One store after the other, as seed 000 orders them.
    steps=(
        Step(
            "mongodb",
            "MongoDB",
            (
                MongoDocs("campaign_events", "campaign_events", field="campaign_id"),
                # By collected id (legacy children have no back-reference), then by back-reference:
                # a child written after the collect step is deleted too, and verify would see it.
                *(
                    MongoDocs(entity, collection, collected=entity, field="campaign_id")
                    for entity, collection, _, _ in CHILDREN
                ),
                # Last: while it exists, a resumed or repeated job can still find the legacy id arrays.
                MongoDocs("campaigns", "campaigns", match_target=True),
            ),
        ),
        Step(
            "neo4j",
            "Neo4j",
            (
                GraphRelationships(
                    "PLAYS_IN", "(:Player)-[r:PLAYS_IN]->(:Campaign {id: $ref})", anchor=("Campaign", "id")
                ),
                *(
                    GraphNodes(label, label, owner_property="campaign_id", collected=entity)
                    for entity, _, _, label in CHILDREN
                ),
                GraphNodes("Campaign", "Campaign", owner_property="id"),
            ),
        ),
        Step(
            "postgres",
            "PostgreSQL",
            (
                # No ON DELETE CASCADE from sessions: attendance must go first.
                SqlRows.through(
                    "session_attendance",
                    "session_attendance",
                    parent="campaign_sessions",
                    fk="session_id",
                    owner="campaign_id",
                ),
                SqlRows.owned("campaign_sessions", "campaign_sessions", "campaign_id"),
                SqlRows.owned("player_campaigns", "player_campaigns", "campaign_id"),
            ),
        ),
    ),
    kept=("Player nodes in Neo4j", "players rows in PostgreSQL"),
    lookups=(IndexNeed("mongodb", "campaigns", "name"),),  # the list's search by name prefix
    listing=Listing(
        section="campaigns",
        title="Campaigns",
        page="campaigns.selectors.campaign_page",
        columns=(
            Column("id", "Id", "code"),
            Column("format", "Format", "badge"),
            Column("owner_id", "Owner"),
            Column("created_at", "Created", "datetime"),
        ),
    ),
    coverage=Coverage(field="campaign_id"),
)
