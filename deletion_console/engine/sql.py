"""Plan items for the target PostgreSQL database."""

from dataclasses import dataclass
from typing import ClassVar

from psycopg import sql

from deletion_console.engine.plan import Batch, IndexNeed, Scope, TargetFound
from deletion_console.stores import sql as store


def _table(name: str) -> sql.Composable:
    return sql.Identifier(*name.split("."))


@dataclass(frozen=True)
class SqlRows:
    """Rows of one table selected by `where`, an SQL condition that may use %(ref)s.
    `filters_on` names the columns of this table the condition selects by: each needs an index
    (see ensure_indexes), or every batch scans the table. `owner` names the column when the
    condition is plain ownership (`owner = %(ref)s`), which lets a list count rows per target."""

    entity: str
    table: str
    where: str
    filters_on: tuple[str, ...] = ()
    owner: str | None = None
    store: ClassVar[str] = "postgres"

    @classmethod
    def owned(cls, entity: str, table: str, owner: str) -> "SqlRows":
        return cls(entity, table, f"{owner} = %(ref)s", filters_on=(owner,), owner=owner)

    @classmethod
    def through(cls, entity: str, table: str, *, parent: str, fk: str, owner: str) -> "SqlRows":
        """Rows with no owner column of their own, reached through their parent's."""
        where = f"{fk} IN (SELECT id FROM {parent} WHERE {owner} = %(ref)s)"
        return cls(entity, table, where, filters_on=(fk,))

    def indexes(self):
        return tuple(IndexNeed("postgres", self.table, column) for column in self.filters_on)

    def _condition(self) -> sql.Composable:
        return sql.SQL(self.where)

    def count(self, scope: Scope) -> int:
        query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(_table(self.table), self._condition())
        return store.scalar(query, {"ref": scope.ref})

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
    store: ClassVar[str] = "postgres"

    def find(self, target_id: str) -> TargetFound | None:
        query = sql.SQL("SELECT {} FROM {} WHERE id = %(id)s").format(
            sql.Identifier(self.label_field), _table(self.table)
        )
        with store.connect() as conn:
            row = conn.execute(query, {"id": target_id}).fetchone()
        if row is None:
            return None
        return TargetFound(label=str(row[0] or target_id), document={}, keys=[target_id])

    def hide(self, found: TargetFound) -> None:
        return None

    def unhide(self, found: TargetFound) -> None:
        return None
