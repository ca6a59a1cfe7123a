"""Plan items for Neo4j: nodes (detached from everything, shared nodes included) and
relationships to shared nodes."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from deletion_console.engine.plan import Batch, IndexNeed, Scope
from deletion_console.stores import graph
from deletion_console.stores.registry import get_store


@dataclass(frozen=True)
class GraphNodes:
    """Nodes of one label owned by the target: those whose id was collected, plus those whose
    owner property equals the target's ref. DETACH DELETE also removes their relationships,
    including those to shared nodes; the shared nodes themselves stay."""

    entity: str
    label: str
    owner_property: str | None = None
    collected: str | None = None
    store: ClassVar[str] = "neo4j"

    def indexes(self):
        owner = (IndexNeed("neo4j", self.label, self.owner_property),) if self.owner_property else ()
        return owner + ((IndexNeed("neo4j", self.label, "id"),) if self.collected else ())

    @property
    def owner_key(self) -> str | None:
        """The property naming the node's owner, by which orphaned nodes are found."""
        return self.owner_property

    def owners(self) -> Iterator[tuple[object, int]]:
        """(owner ref, nodes) for every owner present on the label, in ref order."""
        return graph.stream(
            f"MATCH (n:`{self.label}`) WHERE n.`{self.owner_property}` IS NOT NULL "
            f"RETURN n.`{self.owner_property}` AS ref, count(n) ORDER BY ref"
        )

    def count(self, scope: Scope) -> int:
        total = 0
        if self.owner_property:
            total += graph.read_value(
                f"MATCH (n:`{self.label}`) WHERE n.`{self.owner_property}` = $ref RETURN count(n)",
                ref=scope.ref,
            )
        if self.collected:
            query = f"{self._collected_unowned()} RETURN count(n)"
            for ids in scope.ids(self.collected, get_store(self.store).batch_size):
                total += graph.read_value(query, ids=[str(i) for i in ids])
        return total

    def _collected_unowned(self) -> str:
        """Collected ids reach only nodes without an owner property (the legacy layout): one
        that has it is the target's through the property, or another's, whatever an id says."""
        unowned = f" WHERE n.`{self.owner_property}` IS NULL" if self.owner_property else ""
        return f"UNWIND $ids AS id MATCH (n:`{self.label}` {{id: id}}){unowned}"

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        position = position or ({"after": 0} if self.collected else {"owned": True})
        if "after" in position:
            ids, last = scope.ids_after(self.collected, position["after"], size)
            if ids:
                query = f"{self._collected_unowned()} DETACH DELETE n RETURN count(*)"
                return Batch(graph.write_value(query, ids=[str(i) for i in ids]), {"after": last})
            return Batch(0, {"owned": True} if self.owner_property else None)
        query = (
            f"MATCH (n:`{self.label}`) WHERE n.`{self.owner_property}` = $ref "
            "WITH n LIMIT $batch DETACH DELETE n RETURN count(*)"
        )
        return _limited(query, scope.ref, size, position)


@dataclass(frozen=True)
class GraphRelationships:
    """Relationships matched by a pattern that binds them to `r`, with $ref as the target.
    `anchor` is the (label, property) the pattern finds the target's node by."""

    entity: str
    pattern: str
    anchor: tuple[str, str] | None = None
    store: ClassVar[str] = "neo4j"

    def indexes(self):
        return (IndexNeed("neo4j", *self.anchor),) if self.anchor else ()

    @property
    def owner_key(self) -> str | None:
        """The anchor's property: relationships are orphaned with the node they are anchored on."""
        return self.anchor[1] if self.anchor else None

    def owners(self) -> Iterator[tuple[object, int]]:
        """(owner ref, relationships) for every anchor node that has some, in ref order: one
        query, the pattern matched once per anchor value ($ref bound to it instead)."""
        label, prop = self.anchor
        pattern = re.sub(r"\$ref\b", "owner_ref", self.pattern)
        return graph.stream(
            f"MATCH (owner:`{label}`) WHERE owner.`{prop}` IS NOT NULL WITH DISTINCT owner.`{prop}` AS owner_ref "
            f"MATCH {pattern} RETURN owner_ref, count(r) ORDER BY owner_ref"
        )

    def count(self, scope: Scope) -> int:
        return graph.read_value(f"MATCH {self.pattern} RETURN count(r)", ref=scope.ref)

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        query = f"MATCH {self.pattern} WITH r LIMIT $batch DELETE r RETURN count(*)"
        return _limited(query, scope.ref, size, position or {"owned": True})


def _limited(query: str, ref: str, size: int, position) -> Batch:
    # One transaction per batch keeps each within the server's transaction memory limit; a
    # short batch means the index had no more matches.
    deleted = graph.write_value(query, ref=ref, batch=size)
    return Batch(deleted, position if deleted >= size else None)
