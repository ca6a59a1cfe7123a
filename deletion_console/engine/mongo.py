"""Plan items for MongoDB: the target document, id collectors and document deletes."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from bson import ObjectId
from django.conf import settings

from deletion_console.engine.plan import Batch, IndexNeed, Residue, SchemaNeed, Scope, TargetFound
from deletion_console.stores import mongo

LANGUAGE = "MongoDB filter"


def _db(setting: str) -> str:
    return getattr(settings, setting)


@dataclass(frozen=True)
class DocumentCount:
    """countDocuments of `conditions` in one collection, restricted to exact `_id`s: the given
    `keys`, or the ids collected for the entity `collected` (looked up key by key, see
    stores.mongo.count_keys); without either, one count of the conditions."""

    database: str  # its name, not the setting's
    collection: str
    conditions: dict
    keys: tuple | None = None
    collected: str | None = None

    def run(self, scope: Scope) -> int:
        if self.collected:
            batches = scope.ids(self.collected, settings.DELETION_MONGODB_ID_LIST)
            return sum(mongo.count_keys(self.database, self.collection, keys, self.conditions) for keys in batches)
        if self.keys is not None:
            return mongo.count_keys(self.database, self.collection, list(self.keys), self.conditions)
        return mongo.count(self.database, self.collection, self.conditions)

    @property
    def text(self) -> str:
        parts = []
        if self.collected:
            parts.append(f'"_id": {{"$in": <the {self.collected} ids collected before the first delete>}}')
        elif self.keys is not None:
            parts.append(f'"_id": {{"$in": [{", ".join(map(_bson, self.keys))}]}}')
        parts.extend(f"{json.dumps(name)}: {json.dumps(value)}" for name, value in self.conditions.items())
        return f"{mongo.container(self.database, self.collection)}.countDocuments({{{', '.join(parts)}}})"


def _bson(key) -> str:
    return f'ObjectId("{key}")' if isinstance(key, ObjectId) else json.dumps(key)


@dataclass(frozen=True)
class MongoTarget:
    """The target is one document; its _id may be an ObjectId or a legacy string."""

    collection: str
    label_field: str = "name"
    keep_fields: tuple[str, ...] = ()
    hide_update: tuple[tuple[str, object], ...] = ()
    unhide_update: tuple[tuple[str, object], ...] = ()
    database: str = "MONGODB_DB"  # the setting that names the database
    store: ClassVar[str] = "mongodb"

    def indexes(self):
        return (IndexNeed("mongodb", self.collection, "_id", self.database),)

    def find(self, target_id: str) -> TargetFound | None:
        projection = {self.label_field: 1, **{f: 1 for f in self.keep_fields}}
        collection = mongo.database(_db(self.database))[self.collection]
        # One exact lookup per candidate key: FerretDB serves `_id` equality from its primary
        # key but evaluates `$in` by scanning the collection.
        doc = next(
            filter(None, (collection.find_one({"_id": key}, projection) for key in mongo.key_candidates(target_id))),
            None,
        )
        if doc is None:
            return None
        return TargetFound(label=str(doc.get(self.label_field) or doc["_id"]), document=doc, keys=[doc["_id"]])

    def refs(self) -> Iterator[str]:
        collection = mongo.database(_db(self.database))[self.collection]
        for doc in collection.find({}, {"_id": 1}, batch_size=10_000):
            yield str(doc["_id"])

    def hide(self, found: TargetFound) -> None:
        self._set(found, self.hide_update)

    def unhide(self, found: TargetFound) -> None:
        self._set(found, self.unhide_update)

    def _set(self, found: TargetFound, fields: tuple) -> None:
        if fields:
            mongo.database(_db(self.database))[self.collection].update_one(
                {"_id": found.keys[0]}, {"$set": dict(fields)}
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
    store: ClassVar[str] = "mongodb"

    def indexes(self):
        return (IndexNeed("mongodb", self.collection, self.child_field, self.database),) if self.child_field else ()

    def ids(self, found: TargetFound | None, ref: str, batch_size: int) -> Iterator[list]:
        listed = list(found.document.get(self.parent_array) or []) if found and self.parent_array else []
        for start in range(0, len(listed), batch_size):
            yield listed[start : start + batch_size]
        if self.child_field:
            yield from mongo.stream_ids(_db(self.database), self.collection, {self.child_field: ref}, batch_size)


@dataclass(frozen=True)
class MongoDocs:
    """Documents of one collection, matched by collected ids, a field equal to the target's ref,
    or (match_target) the target document itself."""

    entity: str
    collection: str
    collected: str | None = None
    field: str | None = None
    match_target: bool = False
    database: str = "MONGODB_DB"  # the setting that names the database
    store: ClassVar[str] = "mongodb"

    def indexes(self):
        # Every path ends in exact-key deletes (an owner-field delete too, past one statement's size).
        by_key = (IndexNeed("mongodb", self.collection, "_id", self.database),)
        by_owner = (IndexNeed("mongodb", self.collection, self.field, self.database),) if self.field else ()
        return by_key + by_owner

    @property
    def covers(self) -> str:
        return mongo.container(_db(self.database), self.collection)

    def schema_needs(self):
        return (SchemaNeed(self.store, self.covers, (self.field,) if self.field else ()),)

    @property
    def owner_key(self) -> str | None:
        """The field naming the document's owner, by which orphaned documents are found."""
        return self.field

    def owners(self) -> Iterator[tuple[object, int]]:
        """(owner ref, documents) for every owner present in the collection, in ref order."""
        return mongo.owner_counts(_db(self.database), self.collection, self.field)

    def residue(self, *, ref: str, keys: list) -> Residue:
        db = _db(self.database)
        queries = []
        if self.match_target:
            queries.append(DocumentCount(db, self.collection, self._unowned(), keys=tuple(keys)))
        elif self.collected:
            queries.append(DocumentCount(db, self.collection, self._unowned(), collected=self.collected))
        if self.field:
            queries.append(DocumentCount(db, self.collection, {self.field: ref}))
        return Residue(self.store, LANGUAGE, tuple(queries))

    def count(self, scope: Scope) -> int:
        return self.residue(ref=scope.ref, keys=scope.keys).count(scope)

    def _unowned(self) -> dict:
        """Collected ids reach only documents without an owner field (the legacy layout): one
        that has it is the target's through the field, or another's, whatever an array says."""
        return {self.field: None} if self.field else {}

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        db = _db(self.database)
        position = position or ({"after": 0} if self.collected or self.match_target else {"owned": True})
        if "after" in position:
            keys, last = self._keys_after(scope, position["after"], size)
            if keys:
                # Only the ones there: the batch's intent names documents that existed, so that
                # settling it counts what this batch deleted, not ids that never matched.
                present = mongo.present_keys(db, self.collection, keys, self._unowned())
                return Batch(self._delete_keys(scope, present, self._unowned()), {"after": last})
            return Batch(0, {"owned": True} if self.field else None)
        owned = {self.field: scope.ref}
        # One delete_many (one statement: it deletes all or nothing) once the preview says what
        # is left fits in one statement, unless that was already tried and refused (the preview
        # was stale): then key by key to the end.
        if position.get("whole", True) and expected <= settings.DELETION_MONGODB_STATEMENT_MAX:
            if expected:  # none expected: a lost reply would be settled as none deleted anyway
                scope.intend({"whole": expected})
            deleted = mongo.delete_whole(db, self.collection, owned)
            if deleted is not None:
                return Batch(deleted, None)
        keys = mongo.first_ids(db, self.collection, owned, size)
        if not keys:
            return Batch(0, None)
        return Batch(self._delete_keys(scope, keys, owned), {"owned": True, "whole": False})

    def _delete_keys(self, scope: Scope, keys: list, conditions: dict) -> int:
        if not keys:
            return 0
        scope.intend({"keys": [mongo.encode_key(key) for key in keys]})
        return mongo.delete_keys(_db(self.database), self.collection, keys, conditions)

    def settle(self, scope: Scope, sent: dict) -> int:
        """How much of a batch whose reply was lost went: of its keys (each there just before
        it was sent), those gone now. Of a delete_many, which is one statement on FerretDB (all
        or nothing), what the preview counted as left less what is left now: exact unless a
        writer changed the owner's documents since the preview."""
        db = _db(self.database)
        if "whole" in sent:
            return max(sent["whole"] - mongo.count(db, self.collection, {self.field: scope.ref}), 0)
        keys = [mongo.decode_key(*key) for key in sent["keys"]]
        return len(keys) - mongo.count_keys(db, self.collection, keys)

    def _keys_after(self, scope: Scope, after: int, size: int) -> tuple[list, int]:
        if self.match_target:
            return (scope.keys, 1) if after == 0 else ([], after)
        return scope.ids_after(self.collected, after, size)
