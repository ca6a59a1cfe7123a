"""The verify step's residue queries, written out for people: a MongoDB filter, Cypher or SQL
per plan item, with the target's id filled in.

Read from the plan items' public fields only, and kept in step with each item's `count()`,
which is what the verify step runs. An item of a kind not known here is still listed, by its
fields, rather than left out of a certificate.
"""

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bson import ObjectId
from django.conf import settings

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.orphans import OrphanedData
from deletion_console.engine.plan import Item, Plan
from deletion_console.engine.sql import SqlRows


def plan_items(plan: Plan) -> Iterator[tuple[str, Item]]:
    """(step, item) for every item the plan deletes and verify counts, in the plan's order.

    The one place that knows how a plan lists its items by step."""
    for step, item in plan.all_items():
        yield step.name, item


@dataclass(frozen=True)
class ResidueQuery:
    store: str  # "mongodb", "neo4j", "postgres", or the item's type when unknown
    language: str
    queries: tuple[str, ...]  # what remains is the sum of their counts


def residue_query(item: Item, *, ref: str, keys: list) -> ResidueQuery:
    """`ref` is the target's id as the stores refer to it; `keys` its own key(s) in its home store."""
    for kind, render in _RENDERERS:
        if isinstance(item, kind):
            return render(item, ref, keys)
    fields = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else {"item": repr(item)}
    return ResidueQuery(type(item).__name__, "plan item", (json.dumps(fields, default=str),))


def _mongo(item: MongoDocs, ref: str, keys: list) -> ResidueQuery:
    collection = f"{getattr(settings, item.database)}.{item.collection}"
    # Collected ids reach only documents without an owner field (see MongoDocs._unowned).
    unowned = f", {json.dumps(item.field)}: null" if item.field else ""
    filters = []
    if item.match_target:
        filters.append(f'{{"_id": {{"$in": [{", ".join(map(_bson, keys))}]}}{unowned}}}')
    elif item.collected:
        filters.append(f'{{"_id": {{"$in": <the {item.collected} ids collected before the first delete>}}{unowned}}}')
    if item.field:
        filters.append(f"{{{json.dumps(item.field)}: {json.dumps(ref)}}}")
    return ResidueQuery("mongodb", "MongoDB filter", tuple(f"{collection}.countDocuments({f})" for f in filters))


def _bson(key) -> str:
    return f'ObjectId("{key}")' if isinstance(key, ObjectId) else json.dumps(key)


def _graph_nodes(item: GraphNodes, ref: str, keys: list) -> ResidueQuery:
    label = _cypher_name(item.label)
    queries = []
    if item.owner_property:
        queries.append(
            f"MATCH (n:{label}) WHERE n.{_cypher_name(item.owner_property)} = {json.dumps(ref)} RETURN count(n)"
        )
    if item.collected:
        unowned = f" WHERE n.{_cypher_name(item.owner_property)} IS NULL" if item.owner_property else ""
        queries.append(
            f"UNWIND <the {item.collected} ids collected before the first delete> AS id "
            f"MATCH (n:{label} {{id: id}}){unowned} RETURN count(n)"
        )
    return ResidueQuery("neo4j", "Cypher", tuple(queries))


def _graph_relationships(item: GraphRelationships, ref: str, keys: list) -> ResidueQuery:
    pattern = re.sub(r"\$ref\b", lambda _: json.dumps(ref), item.pattern)
    return ResidueQuery("neo4j", "Cypher", (f"MATCH {pattern} RETURN count(r)",))


def _cypher_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _sql(item: SqlRows, ref: str, keys: list) -> ResidueQuery:
    table = ".".join('"' + part.replace('"', '""') + '"' for part in item.table.split("."))
    literal = "'" + ref.replace("'", "''") + "'"
    where = item.where.replace("%%", "%").replace("%(ref)s", literal)
    return ResidueQuery("postgres", "SQL", (f"SELECT count(*) FROM {table} WHERE {where}",))


def _orphaned(item: OrphanedData, ref: str, keys: list) -> ResidueQuery:
    # The owner item's own query, once per orphaned owner the clean-up collected.
    inner = residue_query(
        item.inner, ref=f"<each orphaned {item.owner_kind} collected before the first delete>", keys=[]
    )
    return ResidueQuery(inner.store, inner.language, inner.queries)


_RENDERERS = (
    (OrphanedData, _orphaned),
    (MongoDocs, _mongo),
    (GraphNodes, _graph_nodes),
    (GraphRelationships, _graph_relationships),
    (SqlRows, _sql),
)
