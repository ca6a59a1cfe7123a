"""The fourth store's plan item: the entries of one bucket whose `field` is the target's ref."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from psycopg import sql

from deletion_console.engine.plan import Batch, IndexNeed, Residue, SchemaNeed, Scope
from tests.stores_fourth import store


@dataclass(frozen=True)
class EntryCount:
    """The count, its values written in: the text a certificate states is the statement run."""

    bucket: str
    field: str
    ref: str

    def statement(self) -> sql.Composed:
        return sql.SQL("SELECT count(*) FROM {} WHERE bucket = {} AND value->>{} = {}").format(
            store.TABLE, sql.Literal(self.bucket), sql.Literal(self.field), sql.Literal(self.ref)
        )

    def run(self, scope: Scope) -> int:
        return store.scalar(self.statement())

    @property
    def text(self) -> str:
        return self.statement().as_string(None)


@dataclass(frozen=True)
class Entries:
    entity: str
    bucket: str
    field: str
    store: ClassVar[str] = store.NAME

    @property
    def covers(self) -> str:
        return self.bucket

    @property
    def owner_key(self) -> str:
        return self.field

    def indexes(self):
        return (IndexNeed(store.NAME, self.bucket, self.field),)

    def schema_needs(self):
        return (SchemaNeed(store.NAME, self.bucket, (self.field,)),)

    def residue(self, *, ref: str, keys: list) -> Residue:
        return Residue(store.NAME, "SQL", (EntryCount(self.bucket, self.field, ref),))

    def count(self, scope: Scope) -> int:
        return self.residue(ref=scope.ref, keys=scope.keys).count(scope)

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        deleted = store.execute(
            sql.SQL(
                "DELETE FROM {t} WHERE (bucket, key) IN (SELECT bucket, key FROM {t}"
                " WHERE bucket = %(bucket)s AND value->>%(field)s = %(ref)s LIMIT %(size)s)"
            ).format(t=store.TABLE),
            {"bucket": self.bucket, "field": self.field, "ref": scope.ref, "size": size},
        )
        return Batch(deleted, {"owned": True} if deleted >= size else None)

    def owners(self) -> Iterator[tuple[object, int]]:
        query = sql.SQL(
            "SELECT value->>%(field)s, count(*) FROM {} WHERE bucket = %(bucket)s AND value ? %(field)s"
            " GROUP BY 1 ORDER BY 1"
        ).format(store.TABLE)
        return store.rows(query, {"bucket": self.bucket, "field": self.field})
