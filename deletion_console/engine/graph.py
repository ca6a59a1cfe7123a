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
            query = f"{self._collected_unowned()} RETURN count(n)"
            for ids in scope.ids(self.collected, settings.DELETION_BATCH_SIZE["neo4j"]):
                total += graph.read_value(query, ids=[str(i) for i in ids])
        return total

    def _collected_unowned(self) -> str:
        """Collected ids reach only nodes without an owner property (the legacy layout): one
        that has it is the target's through the property, or another's, whatever an id says."""
        unowned = f" WHERE n.`{self.owner_property}` IS NULL" if self.owner_property else ""
        return f"UNWIND $ids AS id MATCH (n:`{self.label}` {{id: id}}){unowned}"

    def delete(self, scope: Scope, batch_size: int) -> Iterator[int]:
        if self.collected:
            query = f"{self._collected_unowned()} DETACH DELETE n RETURN count(*)"
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
