"""A plan checked against the live stores: the order of its deletes against the references each
store enforces, the existence of everything it names, and what it does not cover.

Problems that would make a deletion fail half way or miss data by construction block a job
before its first delete (the validate step) and fail `check_plans`: a parent table deleted
before (or beside) a table whose rows reference it without ON DELETE CASCADE; a table or column
the plan names that PostgreSQL does not have. A store without a schema to ask (MongoDB, Neo4j)
has nothing to delete yet where a name is found nowhere: a warning only. What each store has is
its inspector's to say (stores.inspection), what each item needs is the item's: this module only
asks them, store by store, as the store registry lists them.

Coverage: containers whose rows, documents or nodes carry the plan's owner field but that no
plan item deletes (a service forgotten, the failure seed 004 describes). They are found by
looking through every table, collection and label, so the list is kept for a while
(DELETION_COVERAGE_CACHE_SECONDS); the target's own data in them is counted on every preview.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings

from deletion_console.engine.plan import Plan, schema_needs
from deletion_console.stores.registry import Store, get_store, stores
from deletion_console.stores.registry import label as store_label


@dataclass(frozen=True)
class Container:
    store: str
    name: str  # as the store names it: schema.table, database.collection, label


@dataclass(frozen=True)
class LeftBehind:
    store: str
    container: str
    count: int

    @property
    def store_label(self) -> str:
        return store_label(self.store)


@dataclass
class Report:
    kind: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncovered: list[Container] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.uncovered


def check_plan(plan: Plan) -> Report:
    report = Report(kind=plan.kind, errors=blocking_problems(plan))
    report.warnings = [
        warning for store in stores().values() if not store.inspector.has_schema for warning in _missing(plan, store)
    ]
    report.uncovered = _find_uncovered(plan)
    _remember(plan, report.uncovered)
    return report


def blocking_problems(plan: Plan) -> list[str]:
    """In every store with a schema that the plan deletes from: what it names that is not there
    or, all there, its deletes out of order with the references between them."""
    problems = []
    for store in stores().values():
        positions = _positions(plan, store.name)
        if not store.inspector.has_schema or not positions:
            continue
        missing = _missing(plan, store)
        if missing:
            problems.extend(missing)  # the references of containers that are not there cannot be read
            continue
        problems.extend(_out_of_order(store, positions))
    return problems


def _missing(plan: Plan, store: Store) -> list[str]:
    wanted: dict[str, set[str]] = {}
    for need in schema_needs(plan):
        if need.store == store.name:
            wanted.setdefault(need.container, set()).update(need.fields)
    if not wanted:
        return []
    return store.inspector.missing(wanted, named_by=f"the {plan.kind} plan")


@dataclass(frozen=True)
class _Position:
    container: str
    phase: int  # index of the phase among the plan's
    index: int  # of the item within its step
    step: str
    entity: str


def _positions(plan: Plan, store: str) -> list[_Position]:
    """Where the plan deletes from each of the store's containers."""
    return [
        _Position(_covers(item), phase_index, item_index, step.name, item.entity)
        for phase_index, phase in enumerate(plan.phases)
        for step in phase.steps
        for item_index, item in enumerate(step.items)
        if item.store == store and _covers(item)
    ]


def _covers(item) -> str | None:
    return getattr(item, "covers", None)


def _out_of_order(store: Store, positions: list[_Position]) -> list[str]:
    problems = []
    for reference in store.inspector.references({p.container for p in positions}):
        for parent_at in (p for p in positions if p.container == reference.parent):
            for child_at in (p for p in positions if p.container == reference.child != reference.parent):
                if _deleted_after(child_at, parent_at):
                    problems.append(
                        f"{parent_at.step}.{parent_at.entity} deletes rows of {reference.parent} before "
                        f"{child_at.step}.{child_at.entity} deletes the rows of {reference.child} that reference "
                        f"them (foreign key {reference.name}, no ON DELETE CASCADE): delete {reference.child} first"
                    )
    return problems


def _deleted_after(child_at: _Position, parent_at: _Position) -> bool:
    """Whether the child's rows may still be there when the parent's go: a later phase, a later
    item of the same step, or a step running beside the parent's (no order between them)."""
    if child_at.phase != parent_at.phase:
        return child_at.phase > parent_at.phase
    return child_at.step != parent_at.step or child_at.index > parent_at.index


# -- coverage ----------------------------------------------------------------------------------


def _find_uncovered(plan: Plan) -> list[Container]:
    if plan.coverage is None:
        return []
    found = []
    for store in stores().values():
        covered = {_covers(item) for _, item in plan.all_items() if item.store == store.name and _covers(item)}
        holding = store.inspector.holding(plan.coverage.field, coverage=plan.coverage, skip=covered)
        found.extend(Container(store.name, name) for name in holding)
    return found


_cache: dict[str, tuple[float, list[Container]]] = {}


def _remember(plan: Plan, uncovered: list[Container]) -> None:
    _cache[plan.kind] = (time.monotonic(), uncovered)


def uncovered(plan: Plan) -> list[Container]:
    seen = _cache.get(plan.kind)
    if seen is None or time.monotonic() - seen[0] > settings.DELETION_COVERAGE_CACHE_SECONDS:
        _remember(plan, _find_uncovered(plan))
    return _cache[plan.kind][1]


def forget() -> None:
    """Look for uncovered containers afresh next time (after a schema change)."""
    _cache.clear()


def left_behind(plan: Plan, ref: str) -> list[LeftBehind]:
    """The target's own data in containers no plan item covers: what a deletion would leave."""
    if plan.coverage is None:
        return []
    owner = plan.coverage.field
    found = []
    for container in uncovered(plan):
        count = get_store(container.store).inspector.count_holding(container.name, owner, ref)
        if count is None:
            # Gone since it was found (the list is kept for a while): nothing is left there.
            forget()
            continue
        if count:
            found.append(LeftBehind(container.store, container.name, count))
    return found
