"""MongoDB (FerretDB in development): a per-process client and batched primitives."""

import os
from collections.abc import Iterator

from bson import ObjectId
from django.conf import settings
from pymongo import DeleteOne, MongoClient
from pymongo.errors import OperationFailure

from deletion_console.stores import errors, ferretdb
from deletion_console.stores.inspection import IndexNeed, IndexState, Reference
from deletion_console.stores.registry import Store

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


def count_keys(db: str, collection: str, keys: list, extra: dict | None = None) -> int:
    """How many of these _ids exist (and match extra): one exact lookup per key.

    FerretDB pushes `{_id: value}` down to an index but evaluates `{_id: {$in: [...]}}` by
    decoding the whole collection, so a list is looked up key by key; these lists are only
    ever a legacy parent's child arrays, or the target's own key.
    """
    return len(present_keys(db, collection, keys, extra))


def present_keys(db: str, collection: str, keys: list, extra: dict | None = None) -> list:
    """Those of these _ids that exist (and match extra), looked up key by key as count_keys does."""
    coll = database(db)[collection]
    return [key for key in keys if coll.count_documents({"_id": key, **(extra or {})}, limit=1)]


def first_ids(db: str, collection: str, query: dict, limit: int) -> list:
    """Up to limit _ids matching query, in no particular order."""
    return [doc["_id"] for doc in database(db)[collection].find(query, {"_id": 1}, limit=limit, batch_size=limit)]


def stream_ids(db: str, collection: str, query: dict, batch_size: int) -> Iterator[list]:
    """Yield the matching _ids in lists of at most batch_size, holding one batch at a time."""
    cursor = database(db)[collection].find(query, {"_id": 1}, batch_size=min(batch_size, 10_000))
    batch = []
    for doc in cursor:
        batch.append(doc["_id"])
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def owner_counts(db: str, collection: str, field: str) -> Iterator[tuple[object, int]]:
    """(value, documents) for every value of `field` in the collection, in value order: one
    pass, grouped by the server (FerretDB evaluates it in Go, without an index, in one scan
    whatever the number of owners, where one count per owner would scan once each)."""
    pipeline = [{"$group": {"_id": f"${field}", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    for row in database(db)[collection].aggregate(pipeline, batchSize=10_000):
        yield row["_id"], row["n"]


def delete_where(db: str, collection: str, query: dict) -> int:
    return database(db)[collection].delete_many(query).deleted_count


def delete_keys(db: str, collection: str, keys: list, extra: dict | None = None) -> int:
    """Delete these _ids (where they also match extra) in one round trip: a bulk of exact-key
    deletes, each served by an index on FerretDB and on MongoDB alike, where one `$in` filter
    would make FerretDB decode the whole collection."""
    if not keys:
        return 0
    checked = _not_pushed_down(extra or {})
    ops = [DeleteOne({"_id": key, **checked}) for key in keys]
    return database(db)[collection].bulk_write(ops, ordered=False).deleted_count


def _not_pushed_down(conditions: dict) -> dict:
    # The same conditions, written as one-value $in, which FerretDB checks in Go on the one
    # document its `_id` index found instead of handing them to PostgreSQL: there, an owner's
    # equality tempts the planner into a bitmap over every owned document (measured: 3 ms per
    # key on a freshly loaded 65,000-document owner, 0.25 ms with the `_id` lookup alone).
    return {field: {"$in": [value]} if value is not None else value for field, value in conditions.items()}


def delete_whole(db: str, collection: str, query: dict) -> int | None:
    """Delete everything matching query in one delete_many, or None if the store refused it as
    too big (then nothing was deleted).

    FerretDB (1.24, PostgreSQL backend) evaluates a filter by fetching what its pushed-down
    equalities select and filtering the rest in Go, then deletes by one statement binding every
    matched _id: a delete_many is linear in its matches but refused beyond 65,535 of them, and a
    range added to the owner filter is not pushed down, so each slice would fetch everything
    still owned (quadratic). Past that, the caller deletes `first_ids` by exact keys, linear
    whatever the total.
    """
    try:
        return delete_where(db, collection, query)
    except OperationFailure as exc:
        if not errors.is_too_many_matches(exc):
            raise
        return None


# -- the store's shape, as plan checks and ensure_indexes ask it ---------------------------------


def container(database_name: str, collection: str) -> str:
    """How the console names a collection: with its database, where a plan may use several."""
    return f"{database_name}.{collection}"


def _split(name: str) -> tuple[str, str]:
    # A database name cannot hold a dot; a collection name can.
    database_name, collection = name.split(".", 1)
    return database_name, collection


class Inspector:
    """No schema to ask: a collection a plan names that is not there has nothing to delete yet.

    Indexes: a portable createIndexes per field a plan looks documents up by (a real MongoDB uses
    them; `_id` is always indexed there). FerretDB on PostgreSQL: also the GIN index its
    pushed-down equality can use, per such field and `_id` (see stores.ferretdb).
    """

    has_schema = False

    def missing(self, needs, *, named_by: str) -> list[str]:
        present: dict[str, set[str]] = {}
        problems = []
        for name in needs:
            database_name, collection = _split(name)
            if database_name not in present:
                present[database_name] = set(database(database_name).list_collection_names())
            if collection not in present[database_name]:
                problems.append(f"collection {name} does not exist (nothing to delete there yet)")
        return problems

    def references(self, containers) -> list[Reference]:
        return []

    def holding(self, field: str, *, coverage, skip=frozenset()) -> list[str]:
        found = []
        for setting in coverage.mongo_databases:
            database_name = getattr(settings, setting)
            db = database(database_name)
            for collection in sorted(db.list_collection_names()):
                name = container(database_name, collection)
                if name in skip or collection.startswith("system."):
                    continue
                if db[collection].find_one({field: {"$exists": True}}, {"_id": 1}) is not None:
                    found.append(name)
        return found

    def count_holding(self, name: str, field: str, ref: str) -> int:
        return count(*_split(name), {field: ref})

    def ensure_indexes(self, needs: list[IndexNeed], *, apply: bool) -> list[IndexState]:
        states = []
        for need in needs:
            database_name = getattr(settings, need.database or "MONGODB_DB")
            label = f"{database_name}.{need.container} {{{need.field}: 1}}"
            if need.field != "_id":
                collection = database(database_name)[need.container]
                existing = {tuple(spec["key"].items()) for spec in collection.list_indexes()}
                created = ((need.field, 1),) not in existing
                collection.create_index([(need.field, 1)])  # a no-op when it exists
                states.append(IndexState("MongoDB", label, "created" if created else "present"))
            if ferretdb.enabled():
                states.append(_ensure_ferretdb(database_name, need))
        if needs and ferretdb.enabled() and ferretdb.ensure_custom_plans():
            states.append(IndexState("FerretDB", "plan_cache_mode = force_custom_plan", "created"))
        return states


def _ensure_ferretdb(database_name: str, need: IndexNeed) -> IndexState:
    label = f"{database_name}.{need.container} GIN (_jsonb->'{need.field}') jsonb_path_ops"
    created = ferretdb.ensure_gin_index(database_name, need.container, need.field)
    if created is None:
        # FerretDB creates the table with the collection: make it, empty, so the index can exist.
        database(database_name).create_collection(need.container, check_exists=False)
        created = ferretdb.ensure_gin_index(database_name, need.container, need.field)
    return IndexState("FerretDB", label, "created" if created else "present")


def _ping():
    client().admin.command("ping")


STORE = Store(
    name="mongodb",
    label="MongoDB",
    ping=_ping,
    inspector=Inspector(),
    encode_key=encode_key,
    decode_key=decode_key,
    default_batch_size=20_000,
)
