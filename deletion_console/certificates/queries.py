"""The verify step's residue queries, written out for people: a MongoDB filter, Cypher or SQL
per plan item, with the target's id filled in.

Each item states its own (`residue()`): the very query objects its `count()` runs, which is what
the verify step runs, so what a certificate says was checked is what was checked. An item that
cannot state its queries is still listed, by its fields, rather than left out of a certificate.
"""

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass

from deletion_console.engine.plan import Item, Plan


def plan_items(plan: Plan) -> Iterator[tuple[str, Item]]:
    """(step, item) for every item the plan deletes and verify counts, in the plan's order.

    The one place that knows how a plan lists its items by step."""
    for step, item in plan.all_items():
        yield step.name, item


@dataclass(frozen=True)
class ResidueQuery:
    store: str  # the item's store, or the item's type when it cannot state its queries
    language: str
    queries: tuple[str, ...]  # what remains is the sum of their counts


def residue_query(item: Item, *, ref: str, keys: list) -> ResidueQuery:
    """`ref` is the target's id as the stores refer to it; `keys` its own key(s) in its home store."""
    if not callable(getattr(item, "residue", None)):
        fields = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else {"item": repr(item)}
        return ResidueQuery(type(item).__name__, "plan item", (json.dumps(fields, default=str),))
    residue = item.residue(ref=ref, keys=keys)
    return ResidueQuery(residue.store, residue.language, residue.texts)
