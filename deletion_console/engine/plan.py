"""The shape of a deletion plan, and the registry that finds the plan for a kind of target.

A plan is data: which document or row is the target, which ids to collect before anything is
deleted, and per store the ordered list of things to delete. Each item counts (preview, verify)
and deletes (one bounded batch at a time, resumable from a stored position) through the same
query, so preview and execution cannot drift.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

STORE_STEPS = ("mongodb", "neo4j", "postgres")
STORE_LABELS = {"mongodb": "MongoDB", "neo4j": "Neo4j", "postgres": "PostgreSQL"}
STEPS = ("validate", "collect", *STORE_STEPS, "verify", "complete")


class Scope(Protocol):
    """What a plan item needs to know about the target it is working on."""

    ref: str  # the target's id as other stores refer to it (the Mongo _id as a string)
    keys: list  # the target's own key(s) in its home store

    def ids(self, entity: str, batch_size: int) -> Iterator[list]: ...

    # Deleting scopes only (a job's): the next collected ids after a stored position.
    def ids_after(self, entity: str, after: int, limit: int) -> tuple[list, int]: ...


@dataclass(frozen=True)
class Batch:
    """What one bounded delete did, and where the item's next batch starts (a JSON value the
    job stores as its cursor); None once the item has nothing left to delete."""

    deleted: int
    resume_at: object = None


class Item(Protocol):
    entity: str

    def count(self, scope: Scope) -> int: ...

    def delete_batch(self, scope: Scope, position, size: int, expected: int) -> Batch:
        """Delete at most about `size` of what is left, starting at `position` (None at first).
        `expected` is how many the preview counted that are not deleted yet: a hint only."""


@dataclass(frozen=True)
class IndexNeed:
    """A field a plan looks things up by, which the store must index (see ensure_indexes)."""

    store: str  # "mongodb", "neo4j" or "postgres"
    container: str  # collection, label or table
    field: str  # field, property or column
    database: str = ""  # MongoDB only: the setting that names the database


def index_needs(plan: "Plan") -> list[IndexNeed]:
    """Every index the plan's target, collectors and items declare, each once, in plan order."""
    parts = [plan.target, *plan.collect, *(item for items in plan.stores.values() for item in items)]
    needs = [need for part in parts for need in getattr(part, "indexes", tuple)()]
    return list(dict.fromkeys([*needs, *plan.lookups]))


@dataclass(frozen=True)
class TargetFound:
    label: str
    document: dict  # the fields later steps need (e.g. a legacy campaign's child id arrays)
    keys: list


class Target(Protocol):
    """Finds the target in its home store, and hides it from the platform while it goes (and
    shows it again if the job stops before deleting anything)."""

    noun: str

    def find(self, target_id: str) -> TargetFound | None: ...

    def hide(self, found: TargetFound) -> None: ...

    def unhide(self, found: TargetFound) -> None: ...


class Collector(Protocol):
    entity: str

    def ids(self, found: TargetFound | None, ref: str, batch_size: int) -> Iterator[list]: ...


@dataclass(frozen=True)
class Plan:
    kind: str
    target: Target
    collect: tuple[Collector, ...] = ()
    # store step name -> items deleted in this order (children before parents)
    stores: dict[str, tuple[Item, ...]] = field(default_factory=dict)
    # shared entities this plan never deletes, shown on the confirm page
    kept: tuple[str, ...] = ()
    # fields the console finds targets by besides their key (the list's search), to be indexed
    lookups: tuple[IndexNeed, ...] = ()

    def items(self, store: str) -> tuple[Item, ...]:
        return self.stores.get(store, ())


def get_plan(kind: str) -> Plan:
    try:
        path = settings.DELETION_PLANS[kind]
    except KeyError:
        raise UnknownKind(kind) from None
    return import_string(path)


def kinds() -> list[str]:
    return list(settings.DELETION_PLANS)


class UnknownKind(LookupError):
    def __str__(self):
        return f"No deletion plan for targets of kind {self.args[0]!r}; known kinds: {', '.join(kinds())}."
