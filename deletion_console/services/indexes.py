"""The indexes deletion relies on, derived from the plan declarations and made to exist.

Each store's inspector knows how (stores.inspection): MongoDB and FerretDB's backend, Neo4j, and
the target PostgreSQL, which is someone else's database, so its missing indexes are reported
and created only when asked to (`apply_target`).
"""

from deletion_console.engine.plan import IndexNeed, get_plan, index_needs, kinds
from deletion_console.stores.inspection import IndexState
from deletion_console.stores.registry import stores

__all__ = ["IndexState", "ensure_indexes", "needs"]


def needs(extra: tuple[IndexNeed, ...] = ()) -> list[IndexNeed]:
    return list(dict.fromkeys([*(need for kind in kinds() for need in index_needs(get_plan(kind))), *extra]))


def ensure_indexes(*, apply_target: bool = False, extra: tuple[IndexNeed, ...] = ()) -> list[IndexState]:
    wanted = needs(extra)
    states = []
    for store in stores().values():
        own = [need for need in wanted if need.store == store.name]
        if own:
            states.extend(store.inspector.ensure_indexes(own, apply=apply_target))
    return states
