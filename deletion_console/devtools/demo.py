"""The demo data set: what every installed kind's seeder contributes, written to all three stores.
Deterministic: a seed always yields the same ids and names.

A kind takes part by naming its seeder module on its AppConfig (`demo_seeder`); that module
offers `add_demo_arguments(parser)` (its `seed_demo` options), `seed_demo(rng, **options)`
returning a DemoPart, `demo_present()` and `LINKS_BY_ID` (the labels its graph writes MATCH by
id). Nothing here names a kind.
"""

import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from random import Random

from django.conf import settings
from pymongo.errors import OperationFailure

from deletion_console.devtools import kind_seeders
from deletion_console.devtools.indexes import ensure_indexes
from deletion_console.devtools.schema import ensure_target_schema, truncate_contract_tables
from deletion_console.stores import errors, graph, mongo

STORES = ("mongodb", "neo4j", "postgres")


@dataclass(frozen=True)
class DemoPart:
    """What one kind's demo seeder wrote."""

    targets: tuple  # the kind's seeded targets (each with an id, a name and its counts)
    # Everything written, per store and entity, shared entities (players, suppliers) included once.
    counts: dict[str, dict[str, int]]
    seconds: float = 0.0
    note: str = ""  # one line for the report, such as a write rate


@dataclass(frozen=True)
class DemoSummary:
    skipped: bool  # demo data was already there and reset was not asked for
    parts: dict[str, DemoPart] = field(default_factory=dict)  # per kind, by its app label ("campaigns")
    # Everything seeded, per store and entity (collection, label or relationship, table).
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def __getattr__(self, name: str):
        # summary.campaigns, summary.tenants: a kind's seeded targets, by its app label.
        parts = self.__dict__.get("parts", {})
        if name in parts:
            return parts[name].targets
        raise AttributeError(name)


def add_demo_arguments(parser) -> None:
    for seeder in kind_seeders().values():
        seeder.add_demo_arguments(parser)


def seed_demo(*, seed: int = 42, reset: bool = False, stdout=None, **options) -> DemoSummary:
    """Seed every kind's demo data; `options` go to each kind's seeder, which takes the ones it knows."""
    out = stdout or sys.stdout
    started = time.perf_counter()
    ensure_target_schema()
    if reset:
        wipe_seeded_data()
    elif demo_data_present():
        out.write("Demo data is already present; nothing seeded (use --reset to start over).\n")
        return DemoSummary(skipped=True)
    ensure_indexes()

    rng = Random(seed)
    parts = {label: seeder.seed_demo(rng, **options) for label, seeder in kind_seeders().items()}
    summary = DemoSummary(
        skipped=False, parts=parts, counts=_totals(parts.values()), elapsed_seconds=time.perf_counter() - started
    )
    _report(summary, seed, out)
    return summary


def demo_data_present() -> bool:
    return any(seeder.demo_present() for seeder in kind_seeders().values())


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


# -- summary -----------------------------------------------------------------------------------


def _totals(parts) -> dict[str, dict[str, int]]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for part in parts:
        for store, entities in part.counts.items():
            totals[store].update(entities)
    return {store: dict(totals[store]) for store in STORES}


def _report(summary: DemoSummary, seed: int, out) -> None:
    kinds = ", ".join(f"{len(part.targets)} {label}" for label, part in summary.parts.items())
    out.write(f"Seeded demo data (seed {seed}): {kinds}\n")
    out.write(f"{'store':<9} {'entity':<24} {'count':>10}\n")
    for store, entities in summary.counts.items():
        for entity, count in sorted(entities.items()):
            out.write(f"{store:<9} {entity:<24} {count:>10,}\n")
    for part in summary.parts.values():
        if part.note:
            out.write(f"{part.note}\n")
    out.write(f"Total {summary.elapsed_seconds:.1f} s\n")
