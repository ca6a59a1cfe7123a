"""The dry run: what a deletion would remove, counted by the same plan items that delete it."""

from dataclasses import dataclass, field

from deletion_console.engine.plan import STORE_STEPS, get_plan
from deletion_console.engine.scope import LiveScope


@dataclass
class Preview:
    kind: str
    target_id: str
    label: str
    exists: bool
    noun: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(sum(entities.values()) for entities in self.counts.values())

    def store_totals(self) -> dict[str, int]:
        return {store: sum(entities.values()) for store, entities in self.counts.items()}


def preview(kind: str, target_id: str) -> Preview:
    plan = get_plan(kind)
    scope = LiveScope(plan, target_id)
    counts = {store: {item.entity: item.count(scope) for item in plan.items(store)} for store in STORE_STEPS}
    return Preview(
        kind=kind,
        target_id=scope.ref,
        label=scope.found.label if scope.found else target_id,
        exists=scope.found is not None,
        noun=plan.target.noun,
        counts=counts,
        kept=plan.kept,
    )
