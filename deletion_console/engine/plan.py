"""The shape of a deletion plan, and the registry that finds the plan for a kind of target.

A plan is data: which document or row is the target, which ids to collect before anything is
deleted, and its steps: each step an ordered list of things to delete, in any store. Steps run
one after the other, except those declared `Together`, which run side by side (a tenant's
services). Each item counts (preview, verify) and deletes (one bounded batch at a time,
resumable from a stored position) through the same query, so preview and execution cannot drift.

Every job runs the same frame around the plan's own steps: validate and collect first, verify
and complete last.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

# Values of the stores' vocabulary that plans declare with (campaigns.plan names IndexNeed here).
from deletion_console.stores.inspection import IndexNeed, SchemaNeed

FIRST_STEPS = ("validate", "collect")
LAST_STEPS = ("verify", "complete")
FRAME_LABELS = {
    "validate": "Validate the target",
    "collect": "Collect child ids",
    "verify": "Verify zero residue",
    "complete": "Complete",
}


class Scope(Protocol):
    """What a plan item needs to know about the target it is working on."""

    ref: str  # the target's id as other stores refer to it (the Mongo _id as a string)
    keys: list  # the target's own key(s) in its home store

    def ids(self, entity: str, batch_size: int) -> Iterator[list]: ...

    # Deleting scopes only (a job's): the next collected ids after a stored position.
    def ids_after(self, entity: str, after: int, limit: int) -> tuple[list, int]: ...

    # Deleting scopes only: called, before a batch is sent, with what the item needs to tell
    # later how much of it went (JSON: keys each present a moment before, say). Should the reply
    # be lost (the store or the worker gone mid-batch), the next attempt asks the item's
    # `settle(scope, sent)`, so that the counts stay equal to what was deleted.
    def intend(self, sent: dict) -> None: ...


@dataclass(frozen=True)
class Batch:
    """What one bounded delete did, and where the item's next batch starts (a JSON value the
    job stores as its cursor); None once the item has nothing left to delete."""

    deleted: int
    resume_at: object = None


class CountQuery(Protocol):
    """One query counting part of what an item has of a target: what count() runs (the preview,
    the verify step) and, written out from the same object, what a certificate states."""

    @property
    def text(self) -> str:
        """The query for people, the target's id filled in (collected ids named, not listed)."""

    def run(self, scope: Scope) -> int: ...


@dataclass(frozen=True)
class Residue:
    """What an item has of a target: the sum of its queries' counts."""

    store: str
    language: str  # what the queries are written in, for people ("SQL", "Cypher", ...)
    queries: tuple[CountQuery, ...]

    def count(self, scope: Scope) -> int:
        return sum(query.run(scope) for query in self.queries)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(query.text for query in self.queries)


class Item(Protocol):
    entity: str
    store: str  # a key of the store registry (deletion_console.stores.registry)

    # The container whose entries the item deletes (for plan checks: the deletion order against
    # the store's references, and what no item covers); None for one it only unlinks from.
    covers: str | None

    def residue(self, *, ref: str, keys: list) -> Residue:
        """The queries count() runs for the target `ref` (its own key(s) `keys`)."""

    def count(self, scope: Scope) -> int: ...

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        """Delete at most about `size` of what is left, starting at `position` (None at first).
        `expected` is how many the preview counted that are not deleted yet: a hint only."""

    def indexes(self) -> tuple[IndexNeed, ...]: ...

    # What the store must have for the item's queries to run (see plan checks).
    def schema_needs(self) -> tuple[SchemaNeed, ...]: ...


@dataclass(frozen=True)
class TargetFound:
    label: str
    document: dict  # the fields later steps need (e.g. a legacy campaign's child id arrays)
    keys: list


class Target(Protocol):
    """Finds the target in its home store, and hides it from the platform while it goes (and
    shows it again if the job stops before deleting anything)."""

    store: str

    def find(self, target_id: str) -> TargetFound | None: ...

    def hide(self, found: TargetFound) -> None: ...

    def unhide(self, found: TargetFound) -> None: ...

    # Every target of the kind that exists, as other stores refer to it: what the orphan sweep
    # subtracts (engine.orphans). A target without it makes its kind's orphans unsweepable.
    def refs(self) -> Iterator[str]: ...


class Collector(Protocol):
    entity: str
    store: str

    def ids(self, found: TargetFound | None, ref: str, batch_size: int) -> Iterator[list]: ...


@dataclass(frozen=True)
class Step:
    """Items deleted in this order (children before parents), in one or several stores."""

    name: str
    label: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Together:
    """Steps independent of each other, run side by side; the next step starts once all are done."""

    name: str
    label: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Phase:
    """What a job works on at one time: one step, or several side by side."""

    name: str
    label: str
    steps: tuple[Step, ...]

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    format: str = "text"  # text, code, datetime, number, badge


@dataclass(frozen=True)
class Listing:
    """How the console lists targets of a kind: the page at /<section>/ and what it shows."""

    section: str  # the URL segment, also the navigation entry
    title: str
    page: str  # dotted path of a selector: (query=, after=, before=) -> TargetPage
    columns: tuple[Column, ...] = ()
    search_hint: str = "Name or id"


@dataclass(frozen=True)
class Coverage:
    """The owner field that marks a row, document or node as the target's: containers holding
    it that no plan item deletes are data the plan would leave behind (see plan checks)."""

    field: str
    mongo_databases: tuple[str, ...] = ("MONGODB_DB",)  # settings naming the databases to look in


@dataclass(frozen=True)
class Plan:
    kind: str
    noun: str  # "campaign"
    plural: str  # "campaigns"
    target: Target
    steps: tuple[Step | Together, ...]
    collect: tuple[Collector, ...] = ()
    # what one of the plan's steps is, in the words of the people who run it ("store", "service")
    step_noun: str = "step"
    # shared entities this plan never deletes, shown on the confirm page
    kept: tuple[str, ...] = ()
    # fields the console finds targets by besides their key (the list's search), to be indexed
    lookups: tuple[IndexNeed, ...] = ()
    listing: Listing | None = None
    coverage: Coverage | None = None
    _phases: tuple[Phase, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        own = tuple(
            Phase(part.name, part.label, part.steps if isinstance(part, Together) else (part,)) for part in self.steps
        )
        frame = {name: Phase(name, FRAME_LABELS[name], (Step(name, FRAME_LABELS[name]),)) for name in FRAME_LABELS}
        phases = (*(frame[n] for n in FIRST_STEPS), *own, *(frame[n] for n in LAST_STEPS))
        names = [step.name for phase in phases for step in phase.steps]
        if len(set(names)) != len(names) or set(names) & {p.name for p in own if len(p.steps) > 1}:
            raise ValueError(f"plan {self.kind!r}: step and phase names must be unique ({names})")
        object.__setattr__(self, "_phases", phases)

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self._phases

    @property
    def deletion_steps(self) -> tuple[Step, ...]:
        """The plan's own steps, in order (side-by-side ones in their declared order)."""
        return tuple(step for phase in self.deletion_phases for step in phase.steps)

    @property
    def deletion_phases(self) -> tuple[Phase, ...]:
        return self._phases[len(FIRST_STEPS) : -len(LAST_STEPS)]

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(step.name for phase in self._phases for step in phase.steps)

    def phase(self, name: str) -> Phase:
        return next(phase for phase in self._phases if phase.name == name)

    def phase_of(self, step: str) -> Phase:
        return next(phase for phase in self._phases if step in phase.step_names)

    def next_phase(self, phase: Phase) -> Phase | None:
        index = self._phases.index(phase)
        return self._phases[index + 1] if index + 1 < len(self._phases) else None

    def steps_after(self, phase: Phase) -> set[str]:
        """The names of the steps of every phase that follows `phase`."""
        later = self._phases[self._phases.index(phase) + 1 :]
        return {name for following in later for name in following.step_names}

    def step(self, name: str) -> Step:
        return next(step for phase in self._phases for step in phase.steps if step.name == name)

    def items(self, step: str) -> tuple[Item, ...]:
        return self.step(step).items

    def all_items(self) -> Iterator[tuple[Step, Item]]:
        for step in self.deletion_steps:
            for item in step.items:
                yield step, item

    def store_of(self, step: str, entity: str) -> str | None:
        return next((item.store for item in self.items(step) if item.entity == entity), None)

    def stores(self) -> list[str]:
        """The stores the plan deletes from, in the order it first reaches them."""
        return list(dict.fromkeys(item.store for _, item in self.all_items()))


def index_needs(plan: Plan) -> list[IndexNeed]:
    """Every index the plan's target, collectors and items declare, each once, in plan order."""
    parts = [plan.target, *plan.collect, *(item for _, item in plan.all_items())]
    needs = [need for part in parts for need in getattr(part, "indexes", tuple)()]
    return list(dict.fromkeys([*needs, *plan.lookups]))


def schema_needs(plan: Plan) -> list[SchemaNeed]:
    """What the plan's items, then its target, need of each store's schema, in plan order."""
    parts = [*(item for _, item in plan.all_items()), plan.target]
    return [need for part in parts for need in getattr(part, "schema_needs", tuple)()]


def get_plan(kind: str) -> Plan:
    path = settings.DELETION_PLANS.get(kind)
    if path is not None:
        return import_string(path)
    # Not declared: perhaps derived from a declared kind's plan (the cleaning of its orphaned
    # data), by what DELETION_DERIVED_PLANS names: it knows what the derived plan reads besides.
    for derive in map(import_string, settings.DELETION_DERIVED_PLANS):
        derived = derive(kind)
        if derived is not None:
            return derived
    raise UnknownKind(kind)


def kinds() -> list[str]:
    return list(settings.DELETION_PLANS)


def plans() -> list[Plan]:
    return [get_plan(kind) for kind in kinds()]


def plan_for_section(section: str) -> Plan:
    for plan in plans():
        if plan.listing and plan.listing.section == section:
            return plan
    raise UnknownKind(section)


def listing_page(plan: Plan) -> Callable:
    return import_string(plan.listing.page)


class UnknownKind(LookupError):
    def __str__(self):
        return f"No deletion plan for targets of kind {self.args[0]!r}; known kinds: {', '.join(kinds())}."
