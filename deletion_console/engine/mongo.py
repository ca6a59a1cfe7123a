"""Plan items for MongoDB: the target document, id collectors and document deletes."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from deletion_console.engine.plan import Scope, TargetFound
from deletion_console.stores import mongo


def _db(setting: str) -> str:
    return getattr(settings, setting)


@dataclass(frozen=True)
class MongoTarget:
    """The target is one document; its _id may be an ObjectId or a legacy string."""

    collection: str
    label_field: str = "name"
    keep_fields: tuple[str, ...] = ()
    hide_update: tuple[tuple[str, object], ...] = ()
    database: str = "MONGODB_DB"  # the setting that names the database
    noun: str = "document"

    def find(self, target_id: str) -> TargetFound | None:
        projection = {self.label_field: 1, **{f: 1 for f in self.keep_fields}}
        doc = mongo.database(_db(self.database))[self.collection].find_one(
            {"_id": {"$in": mongo.key_candidates(target_id)}}, projection
        )
        if doc is None:
            return None
        return TargetFound(label=str(doc.get(self.label_field) or doc["_id"]), document=doc, keys=[doc["_id"]])

    def hide(self, found: TargetFound) -> None:
        if self.hide_update:
            mongo.database(_db(self.database))[self.collection].update_one(
                {"_id": found.keys[0]}, {"$set": dict(self.hide_update)}
            )


@dataclass(frozen=True)
class CollectIds:
    """Child ids of the target: listed in the parent's array field (legacy layout) and/or
    found by a back-reference field on the children (new layout)."""

    entity: str
    collection: str
    parent_array: str | None = None
    child_field: str | None = None
    database: str = "MONGODB_DB"  # the setting that names the database

    def ids(self, found: TargetFound | None, ref: str, batch_size: int) -> Iterator[list]:
        listed = list(found.document.get(self.parent_array) or []) if found and self.parent_array else []
        for start in range(0, len(listed), batch_size):
            yield listed[start : start + batch_size]
        if self.child_field:
            yield from mongo.stream_ids(_db(self.database), self.collection, {self.child_field: ref}, batch_size)


@dataclass(frozen=True)
class MongoDocs:
    """Documents of one collection, matched by collected ids, a field equal to the target's ref,
    or (match="target") the target document itself."""

    entity: str
    collection: str
    collected: str | None = None
    field: str | None = None
    match_target: bool = False
    database: str = "MONGODB_DB"  # the setting that names the database

    def _query(self, scope: Scope) -> dict | None:
        if self.match_target:
            return {"_id": {"$in": scope.keys}}
        if self.field:
            return {self.field: scope.ref}
        return None

    def count(self, scope: Scope) -> int:
        db = _db(self.database)
        total = 0
        if self.collected:
            for ids in scope.ids(self.collected, settings.DELETION_BATCH_SIZE["mongodb"]):
                total += mongo.count(db, self.collection, {"_id": {"$in": ids}})
        query = self._query(scope)
        if query is not None:
            total += mongo.count(db, self.collection, query)
        return total

    def delete(self, scope: Scope, batch_size: int) -> Iterator[int]:
        db = _db(self.database)
        if self.collected:
            for ids in scope.ids(self.collected, batch_size):
                yield mongo.delete_ids(db, self.collection, ids)
        query = self._query(scope)
        if query is not None:
            yield from mongo.delete_matching(db, self.collection, query, batch_size)
