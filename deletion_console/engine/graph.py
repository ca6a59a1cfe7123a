"""Plan items for Neo4j: nodes (detached from everything, shared nodes included) and
relationships to shared nodes."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from deletion_console.engine.plan import Batch, IndexNeed, Residue, SchemaNeed, Scope
from deletion_console.stores import graph
from deletion_console.stores.graph import name
from deletion_console.stores.registry import get_store

STORE = "neo4j"
LANGUAGE = "Cypher"


@dataclass(frozen=True)
class CypherCount:
    """A Cypher count, `$ref` bound to the target's ref; with `collected`, run once per batch of
    the ids collected for that entity, bound to `$ids`."""

    query: str
    ref: str
    collected: str | None = None

    def run(self, scope: Scope) -> int:
        if not self.collected:
            return graph.read_value(self.query, ref=self.ref)
        batches = scope.ids(self.collected, get_store(STORE).batch_size)
        return sum(graph.read_value(self.query, ids=[str(i) for i in ids]) for ids in batches)

    @property
    def text(self) -> str:
        text = re.sub(r"\$ref\b", lambda _: json.dumps(self.ref), self.query)
        if self.collected:
            placeholder = f"<the {self.collected} ids collected before the first delete>"
            text = re.sub(r"\$ids\b", lambda _: placeholder, text)
        return text


@dataclass(frozen=True)
class GraphNodes:
    """Nodes of one label owned by the target: those whose id was collected, plus those whose
    owner property equals the target's ref. DETACH DELETE also removes their relationships,
    including those to shared nodes; the shared nodes themselves stay."""

    entity: str
    label: str
    owner_property: str | None = None
    collected: str | None = None
    store: ClassVar[str] = STORE

    def indexes(self):
        owner = (IndexNeed(STORE, self.label, self.owner_property),) if self.owner_property else ()
        return owner + ((IndexNeed(STORE, self.label, "id"),) if self.collected else ())

    @property
    def covers(self) -> str:
        return self.label

    def schema_needs(self):
        return (SchemaNeed(STORE, self.label, (self.owner_property,) if self.owner_property else ()),)

    @property
    def owner_key(self) -> str | None:
        """The property naming the node's owner, by which orphaned nodes are found."""
        return self.owner_property

    def owners(self) -> Iterator[tuple[object, int]]:
        """(owner ref, nodes) for every owner present on the label, in ref order."""
        return graph.stream(
            f"MATCH (n:{name(self.label)}) WHERE n.{name(self.owner_property)} IS NOT NULL "
            f"RETURN n.{name(self.owner_property)} AS ref, count(n) ORDER BY ref"
        )

    def residue(self, *, ref: str, keys: list) -> Residue:
        queries = []
        if self.owner_property:
            owned = f"MATCH (n:{name(self.label)}) WHERE n.{name(self.owner_property)} = $ref RETURN count(n)"
            queries.append(CypherCount(owned, ref))
        if self.collected:
            queries.append(CypherCount(f"{self._collected_unowned()} RETURN count(n)", ref, self.collected))
        return Residue(STORE, LANGUAGE, tuple(queries))

    def count(self, scope: Scope) -> int:
        return self.residue(ref=scope.ref, keys=scope.keys).count(scope)

    def _collected_unowned(self) -> str:
        """Collected ids reach only nodes without an owner property (the legacy layout): one
        that has it is the target's through the property, or another's, whatever an id says."""
        unowned = f" WHERE n.{name(self.owner_property)} IS NULL" if self.owner_property else ""
        return f"UNWIND $ids AS id MATCH (n:{name(self.label)} {{id: id}}){unowned}"

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        position = position or ({"after": 0} if self.collected else {"owned": True})
        if "after" in position:
            ids, last = scope.ids_after(self.collected, position["after"], size)
            if ids:
                found = graph.read_value(
                    f"{self._collected_unowned()} RETURN collect(elementId(n))", ids=[str(i) for i in ids]
                )
                return Batch(_delete_elements(scope, NODES, found), {"after": last})
            return Batch(0, {"owned": True} if self.owner_property else None)
        query = (
            f"MATCH (n:{name(self.label)}) WHERE n.{name(self.owner_property)} = $ref "
            "WITH n LIMIT $batch RETURN collect(elementId(n))"
        )
        return _limited(scope, NODES, query, size, position)

    def settle(self, scope: Scope, sent: dict) -> int:
        return _settle(NODES, sent)


@dataclass(frozen=True)
class GraphRelationships:
    """Relationships matched by a pattern that binds them to `r`, with $ref as the target.
    `anchor` is the (label, property) the pattern finds the target's node by."""

    entity: str
    pattern: str
    anchor: tuple[str, str] | None = None
    store: ClassVar[str] = STORE
    # Relationships go from or to nodes that stay: they cover no label of their own.
    covers: ClassVar[None] = None

    def indexes(self):
        return (IndexNeed(STORE, *self.anchor),) if self.anchor else ()

    def schema_needs(self):
        return ()

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
            f"MATCH (owner:{name(label)}) WHERE owner.{name(prop)} IS NOT NULL "
            f"WITH DISTINCT owner.{name(prop)} AS owner_ref "
            f"MATCH {pattern} RETURN owner_ref, count(r) ORDER BY owner_ref"
        )

    def residue(self, *, ref: str, keys: list) -> Residue:
        return Residue(STORE, LANGUAGE, (CypherCount(f"MATCH {self.pattern} RETURN count(r)", ref),))

    def count(self, scope: Scope) -> int:
        return self.residue(ref=scope.ref, keys=scope.keys).count(scope)

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        query = f"MATCH {self.pattern} WITH r LIMIT $batch RETURN collect(elementId(r))"
        return _limited(scope, RELATIONSHIPS, query, size, position or {"owned": True})

    def settle(self, scope: Scope, sent: dict) -> int:
        return _settle(RELATIONSHIPS, sent)


# How a batch's elements are found again by their element ids (an id seek each), to delete them
# and to tell later which are gone.
NODES = "MATCH (n) WHERE elementId(n) IN $elements"
RELATIONSHIPS = "MATCH ()-[n]->() WHERE elementId(n) IN $elements"


def _limited(scope: Scope, kind: str, select: str, size: int, position) -> Batch:
    # A short batch means the index had no more matches.
    found = graph.read_value(select, ref=scope.ref, batch=size)
    return Batch(_delete_elements(scope, kind, found), position if len(found) >= size else None)


def _delete_elements(scope: Scope, kind: str, elements: list[str]) -> int:
    """Delete the batch's elements, found by a read first, in one write transaction (which keeps
    each within the server's transaction memory limit). Found first so that the batch can say
    what it sends: a commit whose reply is lost (the server stopped, the driver retrying the
    write) is then settled by id, where a retried `LIMIT` delete would count only its own."""
    if not elements:
        return 0
    scope.intend({"elements": elements})
    delete = "DETACH DELETE n" if kind == NODES else "DELETE n"
    return graph.write_value(f"{kind} {delete} RETURN count(*)", elements=elements)


def _settle(kind: str, sent: dict) -> int:
    left = graph.read_value(f"{kind} RETURN count(n)", elements=sent["elements"])
    return len(sent["elements"]) - left
