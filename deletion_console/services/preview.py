"""The dry run: what a deletion would remove, counted by the same plan items that delete it."""

from dataclasses import dataclass, field

from deletion_console.engine.plan import get_plan
from deletion_console.engine.scope import LiveScope
from deletion_console.selectors import plan_checks


@dataclass
class Preview:
    kind: str
    target_id: str
    label: str
    exists: bool
    noun: str
    # {step: {entity: n}}, in the plan's order
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    # Data the target owns that no plan item deletes (see selectors.plan_checks).
    left_behind: list[plan_checks.LeftBehind] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(entities.values()) for entities in self.counts.values())

    def step_totals(self) -> dict[str, int]:
        return {step: sum(entities.values()) for step, entities in self.counts.items()}

    def stored(self) -> dict:
        """What a background preview keeps of it (JSON): the rest is the plan's."""
        return {
            "target_id": self.target_id,
            "label": self.label,
            "exists": self.exists,
            "counts": self.counts,
            "left_behind": [[gap.store, gap.container, gap.count] for gap in self.left_behind],
        }

    @classmethod
    def from_stored(cls, kind: str, data: dict) -> "Preview":
        plan = get_plan(kind)
        return cls(
            kind=kind,
            target_id=data["target_id"],
            label=data["label"],
            exists=data["exists"],
            noun=plan.noun,
            counts=data["counts"],
            kept=plan.kept,
            left_behind=[plan_checks.LeftBehind(*gap) for gap in data["left_behind"]],
        )


def identify(kind: str, target_id: str) -> Preview:
    """The target as a preview shows it before anything is counted: its id as the store
    names it, its label and whether it exists (one lookup, whatever its size)."""
    plan = get_plan(kind)
    scope = LiveScope(plan, target_id)
    return Preview(
        kind=kind,
        target_id=scope.ref,
        label=scope.found.label if scope.found else target_id,
        exists=scope.found is not None,
        noun=plan.noun,
        kept=plan.kept,
    )


def preview(kind: str, target_id: str) -> Preview:
    plan = get_plan(kind)
    scope = LiveScope(plan, target_id)
    counts = {step.name: {item.entity: item.count(scope) for item in step.items} for step in plan.deletion_steps}
    return Preview(
        kind=kind,
        target_id=scope.ref,
        label=scope.found.label if scope.found else target_id,
        exists=scope.found is not None,
        noun=plan.noun,
        counts=counts,
        kept=plan.kept,
        left_behind=plan_checks.left_behind(plan, scope.ref),
    )
