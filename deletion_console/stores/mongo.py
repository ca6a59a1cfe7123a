"""MongoDB (FerretDB in development): a per-process client and batched primitives."""

import os
from collections.abc import Iterator

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


def ids_filter(ids: list) -> dict:
    # A single key is looked up by equality, which FerretDB answers from its primary key.
    return {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": ids}}


def stream_ids(db: str, collection: str, query: dict, batch_size: int, sort: bool = False) -> Iterator[list]:
    """Yield the matching _ids in lists of at most batch_size, holding one batch at a time."""
    cursor = database(db)[collection].find(query, {"_id": 1}, batch_size=min(batch_size, 10_000))
    if sort:
        cursor = cursor.sort("_id", 1)
    batch = []
    for doc in cursor:
        batch.append(doc["_id"])
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def delete_where(db: str, collection: str, query: dict) -> int:
    return database(db)[collection].delete_many(query).deleted_count


def delete_matching(db: str, collection: str, query: dict, batch_size: int) -> Iterator[int]:
    """Delete everything matching query in slices of at most batch_size, one round trip each.

    FerretDB evaluates every filter but plain _id equality by scanning the collection, and an
    `_id: {$in: [...]}` list costs more the longer it is; so each slice is the query narrowed
    to a contiguous `_id` range taken from one sorted pass over the matching ids: one scan per
    slice whatever its size. A slice must still stay bounded because FerretDB binds every
    matched _id of a delete into one SQL statement. Repeats until a pass finds nothing, so
    documents written during the pass are caught too.
    """
    coll = database(db)[collection]
    while True:
        found = False
        for ids in stream_ids(db, collection, query, batch_size, sort=True):
            found = True
            for low, high in _same_type_runs(ids):
                yield coll.delete_many({"$and": [query, {"_id": {"$gte": low, "$lte": high}}]}).deleted_count
        if not found:
            return


def _same_type_runs(sorted_ids: list) -> Iterator[tuple]:
    # Range operators only match values of the bound's own BSON type, and a sorted batch may
    # hold string _ids followed by ObjectIds: one range per run of one type.
    start = 0
    for i in range(1, len(sorted_ids) + 1):
        if i == len(sorted_ids) or type(sorted_ids[i]) is not type(sorted_ids[start]):
            yield sorted_ids[start], sorted_ids[i - 1]
            start = i
