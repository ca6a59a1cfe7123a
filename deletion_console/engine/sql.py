"""Plan items for the target PostgreSQL database."""

from dataclasses import dataclass

from psycopg import sql

from deletion_console.engine.plan import Batch, IndexNeed, Scope, TargetFound
from deletion_console.stores import sql as store


def _table(name: str) -> sql.Composable:
    return sql.Identifier(*name.split("."))


@dataclass(frozen=True)
class SqlRows:
    """Rows of one table selected by `where`, an SQL condition that may use %(ref)s.
    `filters_on` names the columns of this table the condition selects by: each needs an index
    (see ensure_indexes), or every batch scans the table."""

    entity: str
    table: str
    where: str
    filters_on: tuple[str, ...] = ()

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
    noun: str = "row"

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
