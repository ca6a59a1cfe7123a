"""Demo and test data for the layout in REFERENCE_DATA.md, written in bulk to all three stores.

The few helpers here are shared by the campaign and tenant seeders: deterministic ids drawn
from a caller's random.Random, and bounded batches for the stores' bulk writes.
"""

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from bson import ObjectId

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
