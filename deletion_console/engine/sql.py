"""Plan items for the target PostgreSQL database."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from psycopg import sql

from deletion_console.engine.plan import Batch, IndexNeed, Residue, SchemaNeed, Scope, TargetFound
from deletion_console.stores import sql as store

STORE = "postgres"
LANGUAGE = "SQL"


def _table(name: str) -> sql.Composable:
    return store.identifier(name)


@dataclass(frozen=True)
class RowCount:
    """SELECT count(*) of the rows of `table` where `condition` holds, `%(ref)s` bound to the ref."""

    table: str
    condition: str
    ref: str

    def _query(self) -> sql.Composed:
        return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(_table(self.table), sql.SQL(self.condition))

    def run(self, scope: Scope) -> int:
        return store.scalar(self._query(), {"ref": self.ref})

    @property
    def text(self) -> str:
        literal = "'" + self.ref.replace("'", "''") + "'"
        return self._query().as_string(None).replace("%%", "%").replace("%(ref)s", literal)


@dataclass(frozen=True)
class SqlRows:
    """Rows of one table selected by `where`, an SQL condition that may use %(ref)s.
    `filters_on` names the columns of this table the condition selects by: each needs an index
    (see ensure_indexes), or every batch scans the table. `owner` names the column when the
    condition is plain ownership (`owner = %(ref)s`), which lets a list count rows per target.
    `via` (parent table, foreign key, the parent's owner column) names the ownership of rows
    reached through their parent's (see `through`)."""

    entity: str
    table: str
    where: str
    filters_on: tuple[str, ...] = ()
    owner: str | None = None
    via: tuple[str, str, str] | None = None
    store: ClassVar[str] = STORE

    @classmethod
    def owned(cls, entity: str, table: str, owner: str) -> "SqlRows":
        return cls(entity, table, f"{owner} = %(ref)s", filters_on=(owner,), owner=owner)

    @classmethod
    def through(cls, entity: str, table: str, *, parent: str, fk: str, owner: str) -> "SqlRows":
        """Rows with no owner column of their own, reached through their parent's."""
        where = f"{fk} IN (SELECT id FROM {parent} WHERE {owner} = %(ref)s)"
        return cls(entity, table, where, filters_on=(fk,), via=(parent, fk, owner))

    def indexes(self):
        return tuple(IndexNeed(STORE, self.table, column) for column in self.filters_on)

    @property
    def covers(self) -> str:
        return store.qualified(self.table)

    def schema_needs(self):
        columns = tuple(dict.fromkeys(column for column in (*self.filters_on, self.owner) if column))
        return (SchemaNeed(STORE, self.covers, columns),)

    @property
    def owner_key(self) -> str | None:
        """The column naming the row's owner (its parent's, for rows reached through it)."""
        return self.owner or (self.via[2] if self.via else None)

    def owners(self) -> Iterator[tuple[object, int]]:
        """(owner ref, rows) for every owner present in the table, in ref order: one grouped scan."""
        if self.owner:
            query = sql.SQL("SELECT {o}, count(*) FROM {t} WHERE {o} IS NOT NULL GROUP BY 1 ORDER BY 1").format(
                o=sql.Identifier(self.owner), t=_table(self.table)
            )
        else:
            parent, fk, owner = self.via
            query = sql.SQL(
                "SELECT p.{o}, count(*) FROM {t} AS c JOIN {p} AS p ON p.id = c.{fk} "
                "WHERE p.{o} IS NOT NULL GROUP BY 1 ORDER BY 1"
            ).format(o=sql.Identifier(owner), t=_table(self.table), p=_table(parent), fk=sql.Identifier(fk))
        return store.stream(query)

    def _condition(self) -> sql.Composable:
        return sql.SQL(self.where)

    def residue(self, *, ref: str, keys: list) -> Residue:
        return Residue(STORE, LANGUAGE, (RowCount(self.table, self.where, ref),))

    def count(self, scope: Scope) -> int:
        return self.residue(ref=scope.ref, keys=scope.keys).count(scope)

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        # Rows are picked by ctid so that tables without a primary key batch the same way; one
        # committed statement per batch keeps row locks and WAL per transaction bounded.
        query = sql.SQL(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {cond} LIMIT %(batch)s))"
        ).format(table=_table(self.table), cond=self._condition())
        with store.connect() as conn:
            deleted = conn.execute(query, {"ref": scope.ref, "batch": size}).rowcount
        return Batch(deleted, {"owned": True} if deleted >= size else None)


@dataclass(frozen=True)
class SqlTarget:
    """The target is one row of a table with a text primary key `id`."""

    table: str
    label_field: str = "name"
    store: ClassVar[str] = STORE

    def schema_needs(self):
        return (SchemaNeed(STORE, store.qualified(self.table), ("id", self.label_field)),)

    def find(self, target_id: str) -> TargetFound | None:
        query = sql.SQL("SELECT {} FROM {} WHERE id = %(id)s").format(
            sql.Identifier(self.label_field), _table(self.table)
        )
        with store.connect() as conn:
            row = conn.execute(query, {"id": target_id}).fetchone()
        if row is None:
            return None
        return TargetFound(label=str(row[0] or target_id), document={}, keys=[target_id])

    def refs(self) -> Iterator[str]:
        for (key,) in store.stream(sql.SQL("SELECT id FROM {}").format(_table(self.table))):
            yield str(key)

    def hide(self, found: TargetFound) -> None:
        return None

    def unhide(self, found: TargetFound) -> None:
        return None
