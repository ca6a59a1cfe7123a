"""The demo data set: players shared by campaigns of every format and size, and tenants with
data in every service. Deterministic: a seed always yields the same ids and names."""

import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from pymongo.errors import OperationFailure

from deletion_console.seeding import uuid_from
from deletion_console.seeding.campaigns import CampaignSpec, SeededCampaign, create_campaigns, create_players
from deletion_console.seeding.indexes import ensure_indexes
from deletion_console.seeding.schema import ensure_target_schema, truncate_contract_tables
from deletion_console.seeding.tenants import SeededTenant, TenantSpec, create_tenant
from deletion_console.stores import errors, graph, mongo

PLAYER_POOL = 40
# Every campaign has one of these regulars, so players are shared even in a small demo.
REGULARS = 3
SUPPLIER_POOL = 8
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
SHOP_PLACES = ("Northside", "Harbour", "Old Town", "Riverside", "Hillcrest", "Market Street")
SHOP_KINDS = ("Bakery", "Café", "Deli", "Patisserie")


@dataclass(frozen=True)
class DemoSummary:
    skipped: bool  # demo data was already there and reset was not asked for
    campaigns: tuple[SeededCampaign, ...] = ()
    tenants: tuple[SeededTenant, ...] = ()
    players: tuple[str, ...] = ()
    suppliers: tuple[str, ...] = ()
    # Everything seeded, per store and entity (collection, label or relationship, table).
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    campaign_seconds: float = 0.0  # writing the campaigns, their events included


def seed_demo(
    *,
    seed: int = 42,
    campaigns: int = 24,
    large_events: int = 100_000,
    tenants: int = 3,
    large_tenant_rows: int = 6_300,
    reset: bool = False,
    stdout=None,
) -> DemoSummary:
    out = stdout or sys.stdout
    started = time.perf_counter()
    ensure_target_schema()
    if reset:
        wipe_seeded_data()
    elif demo_data_present():
        out.write("Demo data is already present; nothing seeded (use --reset to start over).\n")
        return DemoSummary(skipped=True)
    ensure_indexes()

    rng = random.Random(seed)
    players = _create_player_pool(rng)
    campaign_specs = _campaign_specs(campaigns, large_events, players, rng)
    tenant_specs = _tenant_specs(tenants, large_tenant_rows, rng)

    campaigns_started = time.perf_counter()
    seeded_campaigns = create_campaigns(campaign_specs, rng)
    campaign_seconds = time.perf_counter() - campaigns_started
    seeded_tenants = [create_tenant(spec, rng) for spec in tenant_specs]

    suppliers = tuple(sorted({s for spec in tenant_specs for s in spec.suppliers}))
    summary = DemoSummary(
        skipped=False,
        campaigns=tuple(seeded_campaigns),
        tenants=tuple(seeded_tenants),
        players=players,
        suppliers=suppliers,
        counts=_totals(seeded_campaigns, seeded_tenants, players, suppliers),
        elapsed_seconds=time.perf_counter() - started,
        campaign_seconds=campaign_seconds,
    )
    _report(summary, seed, out)
    return summary


def demo_data_present() -> bool:
    return mongo.database(settings.MONGODB_DB)["campaigns"].find_one({}, {"_id": 1}) is not None


def wipe_seeded_data() -> None:
    """Remove everything the seeder owns: both Mongo databases, every Neo4j node, the contract tables."""
    client = mongo.client()
    client.drop_database(settings.MONGODB_DB)
    client.drop_database(settings.MONGODB_EXTERNAL_DB)
    delete_all_graph_nodes()
    truncate_contract_tables()


def empty_seeded_data() -> bool:
    """Like wipe_seeded_data, but keeping the Mongo collections and so their indexes (test data
    is small); a collection too large for one delete on FerretDB is dropped instead. Returns
    whether one was, so its indexes are to be made again."""
    dropped = False
    for name in (settings.MONGODB_DB, settings.MONGODB_EXTERNAL_DB):
        db = mongo.database(name)
        for collection in db.list_collection_names():
            try:
                db[collection].delete_many({})
            except OperationFailure as exc:
                if not errors.is_too_many_matches(exc):
                    raise
                db[collection].drop()
                dropped = True
    delete_all_graph_nodes()
    truncate_contract_tables()
    return dropped


def delete_all_graph_nodes() -> None:
    # CALL ... IN TRANSACTIONS keeps each transaction small whatever the graph's size; it is only
    # allowed in an auto-commit transaction, hence session.run rather than execute_query.
    with graph.driver().session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


# -- what the demo contains --------------------------------------------------------------------


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


# -- summary -----------------------------------------------------------------------------------


def _totals(campaigns, tenants, players, suppliers) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(Counter)
    for counts in (*(c.counts for c in campaigns), *(t.store_counts for t in tenants)):
        for store, entities in counts.items():
            totals[store].update(entities)
    # Shared entities, seeded once whatever uses them.
    totals["neo4j"]["Player"] = len(players)
    totals["neo4j"]["Supplier"] = len(suppliers)
    totals["postgres"]["players"] = len(players)
    return {store: dict(totals[store]) for store in ("mongodb", "neo4j", "postgres")}


def _report(summary: DemoSummary, seed: int, out) -> None:
    out.write(f"Seeded demo data (seed {seed}): {len(summary.campaigns)} campaigns, {len(summary.tenants)} tenants\n")
    out.write(f"{'store':<9} {'entity':<24} {'count':>10}\n")
    for store, entities in summary.counts.items():
        for entity, count in sorted(entities.items()):
            out.write(f"{store:<9} {entity:<24} {count:>10,}\n")
    events = summary.counts["mongodb"].get("campaign_events", 0)
    rate = events / summary.campaign_seconds if summary.campaign_seconds else 0
    out.write(
        f"Campaigns written in {summary.campaign_seconds:.1f} s ({events:,} events, {rate:,.0f} events/s); "
        f"total {summary.elapsed_seconds:.1f} s\n"
    )
