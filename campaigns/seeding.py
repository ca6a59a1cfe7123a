"""Campaigns as REFERENCE_DATA.md lays them out, written in bulk to MongoDB, Neo4j and PostgreSQL.

Everything for a group of campaigns is drafted in memory first (except the events, which are
streamed), then written with a fixed number of statements per store for the whole group. Also the
campaigns' part of the demo data set (CampaignsConfig.demo_seeder names this module).
"""

import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from django.conf import settings

from deletion_console.devtools import GRAPH_BATCH, chunked, insert_documents, moment, object_id, uuid_from
from deletion_console.devtools.demo import DemoPart
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as store

# collection -> (graph label, legacy id array on the campaign)
CHILDREN = {
    "quests": ("Quest", "quest_ids"),
    "places": ("Place", "place_ids"),
    "scenes": ("Scene", "scene_ids"),
    "npcs": ("NPC", "npc_ids"),
    "items": ("Item", "item_ids"),
}
# (relationship type, from collection, to collection) between one campaign's children.
CHILD_LINKS = (
    ("LOCATED_AT", "quests", "places"),
    ("PART_OF", "scenes", "quests"),
    ("APPEARS_IN", "npcs", "scenes"),
    ("CARRIES", "npcs", "items"),
)
CAMPAIGN_LINKS = (("HAS_QUEST", "quests"), ("HAS_PLACE", "places"))

EVENT_TYPES = ("session_started", "dice_roll", "chat", "loot", "combat_round", "npc_spoke", "session_ended")
ROLES = ("player", "player", "player", "co-gm")
# Children in the order the campaign plan deletes them (leaves first), which the counts follow.
DELETION_ORDER = ("items", "npcs", "scenes", "quests", "places")
# Drafts held in memory at once by create_campaigns, and so the size of each bulk write.
CAMPAIGNS_PER_WRITE = 500
# The labels the graph writes below MATCH by id (shared players included): the demo indexes them.
LINKS_BY_ID = ("Campaign", "Quest", "Place", "Scene", "NPC", "Item", "Player")


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    new_format: bool = True
    string_id: bool = False
    children: int = 3
    events: int = 20
    players: tuple[str, ...] = ()
    sessions: int = 2
    owner_id: str = "owner-1"


@dataclass(frozen=True)
class SeededCampaign:
    id: str
    name: str
    counts: dict[str, dict[str, int]]


@dataclass(frozen=True)
class _Draft:
    """One campaign as it will be written, events aside (they are generated as they are written)."""

    spec: CampaignSpec
    key: ObjectId | str
    created_at: datetime
    players: tuple[str, ...]
    children: dict[str, list[dict]]  # collection -> documents
    memberships: list[tuple]  # (player_id, role, joined_at)
    sessions: list[datetime]  # scheduled_at of each session

    @property
    def ref(self) -> str:
        return str(self.key)


# -- players -----------------------------------------------------------------------------------


def create_players(player_ids: Iterable[str], display_names: dict[str, str] | None = None) -> None:
    """Shared players: (:Player {id}) nodes and players rows. Existing ones are left as they are."""
    ids = list(dict.fromkeys(player_ids))
    if not ids:
        return
    names = [(display_names or {}).get(pid, pid) for pid in ids]
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO public.players (id, display_name) SELECT * FROM unnest(%s::text[], %s::text[]) "
            "ON CONFLICT (id) DO NOTHING",
            (ids, names),
        )
    rows = [{"id": pid, "display_name": name} for pid, name in zip(ids, names, strict=True)]
    for batch in chunked(rows, GRAPH_BATCH):
        graph.write_value(
            "UNWIND $rows AS row MERGE (p:Player {id: row.id}) ON CREATE SET p.display_name = row.display_name",
            rows=batch,
        )


# -- campaigns ---------------------------------------------------------------------------------


def create_campaign(spec: CampaignSpec, rng: random.Random) -> SeededCampaign:
    return create_campaigns([spec], rng)[0]


def create_campaigns(specs: Iterable[CampaignSpec], rng: random.Random) -> list[SeededCampaign]:
    specs = list(specs)
    create_players(pid for spec in specs for pid in spec.players)
    seeded = []
    # MongoDB is written while PostgreSQL and Neo4j are: each store's server does its own work,
    # which roughly halves the time for many campaigns. Drafting (the only use of rng) stays here.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-mongodb") as mongodb:
        for group in chunked(specs, CAMPAIGNS_PER_WRITE):
            drafts = [_draft(spec, rng) for spec in group]
            contents = mongodb.submit(_write_contents, drafts)
            _write_rows(drafts)
            _write_graph(drafts)
            contents.result()
            # The campaign documents last of all: until one exists nothing lists that campaign,
            # so an interrupted seed never shows a half-written one.
            insert_documents(_collection("campaigns"), (_campaign_document(draft) for draft in drafts))
            seeded.extend(_seeded(draft) for draft in drafts)
    return seeded


def _draft(spec: CampaignSpec, rng: random.Random) -> _Draft:
    created_at = moment(rng)
    key = str(uuid_from(rng)) if spec.string_id else object_id(rng, created_at)
    players = tuple(dict.fromkeys(spec.players))
    children = {
        collection: [_child(spec, str(key), created_at, f"{label} {n + 1}", n, rng) for n in range(spec.children)]
        for collection, (label, _) in CHILDREN.items()
    }
    memberships = [(pid, rng.choice(ROLES), created_at + timedelta(days=rng.randrange(30))) for pid in players]
    sessions = [created_at + timedelta(days=7 * (n + 1), hours=rng.randrange(12, 22)) for n in range(spec.sessions)]
    return _Draft(spec, key, created_at, players, children, memberships, sessions)


def _child(spec: CampaignSpec, ref: str, created_at: datetime, name: str, n: int, rng: random.Random) -> dict:
    if spec.new_format:
        return {"_id": object_id(rng, created_at), "name": name, "campaign_id": ref}
    # Legacy data mixes key types: every third child has a string _id.
    key = str(uuid_from(rng)) if n % 3 == 2 else object_id(rng, created_at)
    return {"_id": key, "name": name}


def _seeded(draft: _Draft) -> SeededCampaign:
    spec, per_child = draft.spec, draft.spec.children
    players = len(draft.players)
    return SeededCampaign(
        id=draft.ref,
        name=spec.name,
        counts={
            "mongodb": {"campaign_events": spec.events, **dict.fromkeys(DELETION_ORDER, per_child), "campaigns": 1},
            "neo4j": {"PLAYS_IN": players, **{CHILDREN[c][0]: per_child for c in DELETION_ORDER}, "Campaign": 1},
            "postgres": {
                "session_attendance": spec.sessions * players,
                "campaign_sessions": spec.sessions,
                "player_campaigns": players,
            },
        },
    )


# -- MongoDB -----------------------------------------------------------------------------------


def _collection(name: str):
    return mongo.database(settings.MONGODB_DB)[name]


def _write_contents(drafts: list[_Draft]) -> None:
    """Everything of the campaigns in MongoDB except the campaign documents themselves."""
    insert_documents(_collection("campaign_events"), (event for draft in drafts for event in _events(draft)))
    for collection in CHILDREN:
        insert_documents(_collection(collection), (doc for draft in drafts for doc in draft.children[collection]))


def _campaign_document(draft: _Draft) -> dict:
    doc = {
        "_id": draft.key,
        "name": draft.spec.name,
        "owner_id": draft.spec.owner_id,
        "is_new_format": draft.spec.new_format,
        "status": "active",
        "created_at": draft.created_at,
    }
    if not draft.spec.new_format:
        for collection, (_, array) in CHILDREN.items():
            doc[array] = [child["_id"] for child in draft.children[collection]]
    return doc


def _events(draft: _Draft) -> Iterator[dict]:
    # Each campaign's events draw from their own generator, seeded by the campaign id, so the
    # number of events never shifts the ids of the campaigns drafted after it.
    rng = random.Random(draft.ref)
    at = draft.created_at
    for seq in range(draft.spec.events):
        at += timedelta(seconds=rng.randrange(1, 120))
        yield {
            "_id": object_id(rng, at),
            "campaign_id": draft.ref,
            "seq": seq,
            "type": EVENT_TYPES[rng.randrange(len(EVENT_TYPES))],
            "at": at,
        }


# -- Neo4j -------------------------------------------------------------------------------------


def _write_graph(drafts: list[_Draft]) -> None:
    for batch in _graph_batches(drafts):
        graph.write_value(_SUBGRAPH_STATEMENT, campaigns=[_subgraph(draft) for draft in batch])


def _graph_batches(drafts: list[_Draft]) -> Iterator[list[_Draft]]:
    """Groups of whole campaigns of about GRAPH_BATCH nodes: one group is one transaction."""
    batch, nodes = [], 0
    for draft in drafts:
        size = 1 + len(CHILDREN) * draft.spec.children
        if batch and nodes + size > GRAPH_BATCH:
            yield batch
            batch, nodes = [], 0
        batch.append(draft)
        nodes += size
    if batch:
        yield batch


def _subgraph(draft: _Draft) -> dict:
    owner = {"campaign_id": draft.ref} if draft.spec.new_format else {}
    nodes = {
        collection: [{"id": str(child["_id"]), "name": child["name"], **owner} for child in children]
        for collection, children in draft.children.items()
    }
    return {"id": draft.ref, "name": draft.spec.name, "players": list(draft.players), **nodes}


def _subgraph_statement() -> str:
    """One statement creating whole campaigns: each node is linked as it is created, from the
    lists that hold it, so no relationship has to look its ends up by id."""
    owned_through = {collection: rel_type for rel_type, collection in CAMPAIGN_LINKS}
    lines = ["UNWIND $campaigns AS c", "CREATE (campaign:Campaign {id: c.id, name: c.name})", "WITH campaign, c"]
    for collection, (label, _) in CHILDREN.items():
        owned = collection in owned_through
        link = f"CREATE (campaign)-[:{owned_through[collection]}]->(n) " if owned else ""
        lines.append(
            f"CALL ({'campaign, c' if owned else 'c'}) {{ UNWIND c.{collection} AS props CREATE (n:{label}) "
            f"SET n = props {link}RETURN collect(n) AS {collection} }}"
        )
    for rel_type, source, target in CHILD_LINKS:
        # Round robin, so that every source and every target is linked at least once.
        links = f"CASE WHEN size({source}) > size({target}) THEN size({source}) ELSE size({target}) END"
        lines.append(
            f"CALL ({source}, {target}) {{ UNWIND CASE WHEN size({source}) = 0 OR size({target}) = 0 THEN [] "
            f"ELSE range(0, {links} - 1) END AS i "
            f"WITH {source}[i % size({source})] AS a, {target}[i % size({target})] AS b "
            f"CREATE (a)-[:{rel_type}]->(b) }}"
        )
    lines.append(
        "CALL (campaign, c) { UNWIND c.players AS player_id MATCH (p:Player {id: player_id}) "
        "CREATE (p)-[:PLAYS_IN]->(campaign) }"
    )
    return "\n".join(lines)


_SUBGRAPH_STATEMENT = _subgraph_statement()


# -- PostgreSQL --------------------------------------------------------------------------------

# Sessions and their attendance in one statement: the sessions' ids exist only once inserted.
_SESSIONS_SQL = """
WITH new_sessions AS (
    INSERT INTO public.campaign_sessions (campaign_id, scheduled_at)
    SELECT * FROM unnest(%(session_campaigns)s::text[], %(session_times)s::timestamptz[])
    RETURNING id, campaign_id
)
INSERT INTO public.session_attendance (session_id, player_id)
SELECT s.id, m.player_id
FROM new_sessions AS s
JOIN unnest(%(member_campaigns)s::text[], %(member_players)s::text[]) AS m (campaign_id, player_id)
    USING (campaign_id)
"""


def _write_rows(drafts: list[_Draft]) -> None:
    with store.connect() as conn, conn.cursor() as cur:
        with cur.copy("COPY public.player_campaigns (player_id, campaign_id, role, joined_at) FROM STDIN") as copy:
            for draft in drafts:
                for player_id, role, joined_at in draft.memberships:
                    copy.write_row((player_id, draft.ref, role, joined_at))
        sessions = [(d.ref, at) for d in drafts for at in d.sessions]
        if sessions:
            members = [(d.ref, pid) for d in drafts for pid in d.players]
            cur.execute(
                _SESSIONS_SQL,
                {
                    "session_campaigns": [ref for ref, _ in sessions],
                    "session_times": [at for _, at in sessions],
                    "member_campaigns": [ref for ref, _ in members],
                    "member_players": [pid for _, pid in members],
                },
            )


# -- the demo ----------------------------------------------------------------------------------

DEMO_CAMPAIGNS = 24
DEMO_LARGE_EVENTS = 100_000
PLAYER_POOL = 40
# Every campaign has one of these regulars, so players are shared even in a small demo.
REGULARS = 3
# Events per campaign after the largest one, cycled: from a handful to thousands.
EVENT_TIERS = (3, 8, 20, 60, 150, 400, 1000, 2500, 6000)

TITLES = (
    "Shadows of",
    "Curse of",
    "Secrets of",
    "The Lost Crown of",
    "Echoes of",
    "Storm over",
    "Ashes of",
    "Masks of",
)
PLACES = ("Arkham", "Greywater", "Thornvale", "Ravenhold", "Saltmarsh", "Emberfall", "Duskmoor", "Ironspire")
FIRST_NAMES = ("Aria", "Bram", "Cass", "Dorian", "Elin", "Fenn", "Greta", "Hugo", "Ines", "Jonah", "Kira", "Lior")
LAST_NAMES = ("Blackwood", "Vale", "Ashby", "Marsh", "Thorne", "Reyes", "Okafor", "Lindqvist")


def add_demo_arguments(parser) -> None:
    parser.add_argument(
        "--campaigns", type=int, default=DEMO_CAMPAIGNS, help=f"number of campaigns (default {DEMO_CAMPAIGNS})"
    )
    parser.add_argument(
        "--large-events",
        type=int,
        default=DEMO_LARGE_EVENTS,
        help=f"events of the largest campaign (default {DEMO_LARGE_EVENTS})",
    )


def demo_present() -> bool:
    return _collection("campaigns").find_one({}, {"_id": 1}) is not None


def seed_demo(
    rng: random.Random, *, campaigns: int = DEMO_CAMPAIGNS, large_events: int = DEMO_LARGE_EVENTS, **_
) -> DemoPart:
    """Players shared by campaigns of every format and size, the largest with `large_events` events."""
    players = _create_player_pool(rng)
    specs = _campaign_specs(campaigns, large_events, players, rng)
    started = time.perf_counter()
    seeded = create_campaigns(specs, rng)
    seconds = time.perf_counter() - started
    totals: dict[str, Counter] = {name: Counter() for name in ("mongodb", "neo4j", "postgres")}
    for campaign in seeded:
        for name, entities in campaign.counts.items():
            totals[name].update(entities)
    # Shared entities, seeded once whatever uses them.
    totals["neo4j"]["Player"] = len(players)
    totals["postgres"]["players"] = len(players)
    events = totals["mongodb"]["campaign_events"]
    rate = events / seconds if seconds else 0
    return DemoPart(
        targets=tuple(seeded),
        counts={name: dict(entities) for name, entities in totals.items()},
        seconds=seconds,
        note=f"Campaigns written in {seconds:.1f} s ({events:,} events, {rate:,.0f} events/s)",
    )


def _create_player_pool(rng: random.Random) -> tuple[str, ...]:
    ids = tuple(f"player-{n + 1:03d}" for n in range(PLAYER_POOL))
    names = {pid: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for pid in ids}
    create_players(ids, names)
    return ids


def _campaign_specs(count: int, large_events: int, players: tuple[str, ...], rng: random.Random) -> list[CampaignSpec]:
    regulars, others = players[:REGULARS], players[REGULARS:]
    titles: Counter = Counter()
    specs = []
    for n in range(count):
        title = f"{rng.choice(TITLES)} {rng.choice(PLACES)}"
        titles[title] += 1
        largest = n == 0
        specs.append(
            CampaignSpec(
                name=f"{title} #{titles[title]}",
                # Every third campaign predates the new format; every fourth has a string UUID _id.
                new_format=n % 3 != 1,
                string_id=n % 4 == 1,
                children=25 if largest else rng.randint(1, 8),
                events=large_events if largest else min(EVENT_TIERS[(n - 1) % len(EVENT_TIERS)], large_events),
                players=(regulars[n % REGULARS], *rng.sample(others, rng.randint(1, 5))),
                sessions=8 if largest else rng.randint(0, 4),
                owner_id=f"gm-{rng.randint(1, 6)}",
            )
        )
    return specs
