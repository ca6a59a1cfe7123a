"""MongoDB (FerretDB in development): a per-process client and batched primitives."""

import os
from collections.abc import Iterable, Iterator

from bson import ObjectId
from django.conf import settings
from pymongo import MongoClient

_client = None
_client_pid = None


def client() -> MongoClient:
    # MongoClient is not fork-safe: Celery's prefork children must each open their own.
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        timeout_ms = int(settings.STORE_TIMEOUT_SECONDS * 1000)
        _client = MongoClient(
            settings.MONGODB_URL,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms * 20, 60_000),
            uuidRepresentation="standard",
        )
        _client_pid = os.getpid()
    return _client


def database(name: str | None = None):
    return client()[name or settings.MONGODB_DB]


def key_candidates(raw_id: str) -> list:
    """An id typed by a person may be an ObjectId's hex or a legacy string _id: try both."""
    candidates: list = [raw_id]
    if ObjectId.is_valid(raw_id):
        candidates.insert(0, ObjectId(raw_id))
    return candidates


def encode_key(value) -> tuple[str, bool]:
    return (str(value), isinstance(value, ObjectId))


def decode_key(value: str, is_object_id: bool):
    return ObjectId(value) if is_object_id else value


def count(db: str, collection: str, query: dict) -> int:
    return database(db)[collection].count_documents(query)


def stream_ids(db: str, collection: str, query: dict, batch_size: int) -> Iterator[list]:
    """Yield the matching _ids in lists of at most batch_size, holding one batch at a time."""
    cursor = database(db)[collection].find(query, {"_id": 1}, batch_size=batch_size)
    batch = []
    for doc in cursor:
        batch.append(doc["_id"])
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def delete_ids(db: str, collection: str, ids: Iterable) -> int:
    ids = list(ids)
    if not ids:
        return 0
    return database(db)[collection].delete_many({"_id": {"$in": ids}}).deleted_count


def delete_matching(db: str, collection: str, query: dict, batch_size: int) -> Iterator[int]:
    """Delete everything matching query, one bounded _id batch per round trip.

    FerretDB turns delete_many into one SQL statement binding every matched _id, so an
    unbounded delete_many on a large collection would blow the SQL parameter limit.
    Repeats until a pass finds nothing, so documents written during the pass are caught too.
    """
    while True:
        found = False
        for ids in stream_ids(db, collection, query, batch_size):
            found = True
            yield delete_ids(db, collection, ids)
        if not found:
            return
