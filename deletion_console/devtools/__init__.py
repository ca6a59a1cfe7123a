"""Development tooling: the seeding framework (demo and test data for the layout in
REFERENCE_DATA.md, written in bulk to all three stores) and the deletion benchmark.

Only management commands and the tests import it; no module the console runs does. Each kind's
own seeder lives in the kind's package (`campaigns/seeding.py`), declared on its AppConfig. The
few helpers here are shared by those seeders: deterministic ids drawn from a caller's
random.Random, and bounded batches for the stores' bulk writes.
"""

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import import_module
from itertools import islice
from types import ModuleType

from bson import ObjectId
from django.apps import apps

# FerretDB turns one insert_many into one SQL statement binding every document: batches of this
# size stay well under SQLite's bind limit and still run at full speed.
MONGO_BATCH = 5000
# One Neo4j statement is one transaction held in the server's heap.
GRAPH_BATCH = 5000

EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


def moment(rng: random.Random, days: int = 700) -> datetime:
    """A whole-second instant within `days` after EPOCH (whole seconds survive every store)."""
    return EPOCH + timedelta(seconds=rng.randrange(days * 86400))


def object_id(rng: random.Random, at: datetime | None = None) -> ObjectId:
    # A real timestamp prefix keeps generation_time meaningful and ids roughly time-ordered.
    at = at or moment(rng)
    return ObjectId(int(at.timestamp()).to_bytes(4, "big") + rng.randbytes(8))


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def chunked(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_documents(collection, documents: Iterable[dict]) -> int:
    """insert_many in bounded batches; ordered=False lets the server write a batch in one go."""
    written = 0
    for batch in chunked(documents, MONGO_BATCH):
        collection.insert_many(batch, ordered=False)
        written += len(batch)
    return written


def kind_seeders() -> dict[str, ModuleType]:
    """The seeder module of every installed kind that declares one (its AppConfig's `demo_seeder`),
    by app label, in INSTALLED_APPS order."""
    return {
        config.label: import_module(config.demo_seeder)
        for config in apps.get_app_configs()
        if getattr(config, "demo_seeder", None)
    }
