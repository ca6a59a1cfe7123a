"""What the console asks a store about its own shape, whatever the store: the inspector each
store declaration brings (stores.registry), and the plain values it answers with.

Plan checks, ensure_indexes and the coverage search loop over the declared stores and ask
their inspectors; none of them knows which stores exist or how each is asked.
"""

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class IndexNeed:
    """A field a plan looks things up by, which the store must index (see ensure_indexes)."""

    store: str  # a key of the store registry
    container: str  # collection, label, table: whatever the store keeps entries in
    field: str  # field, property or column
    database: str = ""  # for a store with several databases: the setting that names the database


@dataclass(frozen=True)
class IndexState:
    store: str  # the label of the server holding the index ("FerretDB" for its backend's)
    index: str
    state: str  # "created", "present", "missing" (not ours to create without --apply), "no table yet"


@dataclass(frozen=True)
class SchemaNeed:
    """A container a plan item's queries read, and the fields they name: checked against the store
    before a job deletes anything (an error where the store has a schema, a warning where not)."""

    store: str
    container: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """Entries of `child` that refer to entries of `parent` and do not go with them: the child's
    must be deleted first."""

    name: str
    child: str
    parent: str


class Inspector(Protocol):
    # Whether the store enforces a schema: then a container or field a plan names that is not
    # there makes its queries fail (an error); otherwise there is only nothing to delete yet.
    has_schema: bool

    def missing(self, needs: Mapping[str, set[str]], *, named_by: str) -> list[str]:
        """What of `needs` ({container: fields}) the store does not have, in words."""

    def references(self, containers: Iterable[str]) -> list[Reference]:
        """The references between these containers that the store does not cascade."""

    def holding(self, field: str, *, coverage, skip: Set[str] = frozenset()) -> list[str]:
        """The containers, in name order, with at least one entry carrying `field`, where the
        plan's Coverage says to look; those in `skip` (the plan covers them) are not looked into."""

    def count_holding(self, container: str, field: str, ref: str) -> int | None:
        """How many entries of `container` have `field` equal to `ref`; None once the container is gone."""

    def ensure_indexes(self, needs: list[IndexNeed], *, apply: bool) -> list[IndexState]:
        """Make every index of `needs` exist, and say what each was. `apply`: indexes may also be
        created in a store the console does not own (otherwise they are reported missing)."""
