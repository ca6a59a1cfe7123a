"""Plan items for Neo4j: nodes (detached from everything, shared nodes included) and
relationships to shared nodes."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from deletion_console.engine.plan import Scope
from deletion_console.stores import graph


@dataclass(frozen=True)
class GraphNodes:
    """Nodes of one label owned by the target: those whose id was collected, plus those whose
    owner property equals the target's ref. DETACH DELETE also removes their relationships,
    including those to shared nodes; the shared nodes themselves stay."""

    entity: str
    label: str
    owner_property: str | None = None
    collected: str | None = None

    def count(self, scope: Scope) -> int:
        total = 0
        if self.owner_property:
            total += graph.read_value(
                f"MATCH (n:`{self.label}`) WHERE n.`{self.owner_property}` = $ref RETURN count(n)",
                ref=scope.ref,
            )
        if self.collected:
            # Nodes already counted through their owner property must not be counted twice.
            owned_elsewhere = (
                f"n.`{self.owner_property}` IS NULL OR n.`{self.owner_property}` <> $ref"
                if self.owner_property
                else "true"
            )
            query = f"UNWIND $ids AS id MATCH (n:`{self.label}` {{id: id}}) WHERE {owned_elsewhere} RETURN count(n)"
            for ids in scope.ids(self.collected, settings.DELETION_BATCH_SIZE["neo4j"]):
                total += graph.read_value(query, ids=[str(i) for i in ids], ref=scope.ref)
        return total

    def delete(self, scope: Scope, batch_size: int) -> Iterator[int]:
        if self.collected:
            query = f"UNWIND $ids AS id MATCH (n:`{self.label}` {{id: id}}) DETACH DELETE n RETURN count(*)"
            for ids in scope.ids(self.collected, batch_size):
                yield graph.write_value(query, ids=[str(i) for i in ids])
        if self.owner_property:
            query = (
                f"MATCH (n:`{self.label}`) WHERE n.`{self.owner_property}` = $ref "
                "WITH n LIMIT $batch DETACH DELETE n RETURN count(*)"
            )
            yield from _until_none_left(query, scope.ref, batch_size)


@dataclass(frozen=True)
class GraphRelationships:
    """Relationships matched by a pattern that binds them to `r`, with $ref as the target."""

    entity: str
    pattern: str

    def count(self, scope: Scope) -> int:
        return graph.read_value(f"MATCH {self.pattern} RETURN count(r)", ref=scope.ref)

    def delete(self, scope: Scope, batch_size: int) -> Iterator[int]:
        query = f"MATCH {self.pattern} WITH r LIMIT $batch DELETE r RETURN count(*)"
        yield from _until_none_left(query, scope.ref, batch_size)


def _until_none_left(query: str, ref: str, batch_size: int) -> Iterator[int]:
    # One transaction per batch keeps each within the server's transaction memory limit.
    while True:
        deleted = graph.write_value(query, ref=ref, batch=batch_size)
        if not deleted:
            return
        yield deleted
