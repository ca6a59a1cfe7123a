"""Orphaned data: rows, documents, nodes and relationships whose owner (a campaign, a tenant) no
longer exists in its home store, as a crashed script or a half-done manual delete leaves them.

Found from the plan declarations and nothing else. Every plan item keyed by an owner field
(`owner_key`: a MongoDocs field, a GraphNodes owner property, a relationship's anchor, an SqlRows
owner column, its own or its parent's) lists the owners present in its container with one
grouped pass (`owners()`), and the plan's target lists the owners that exist (`refs()`); an owner
present in a container but not at home, and not being deleted by a job, is orphaned.

Cleaning them is a kind of its own, `<kind>-orphans`, derived here from the owner kind's plan
(`get_plan` asks selectors.orphans.cleanup_plan, which DELETION_DERIVED_PLANS names; nothing to
declare per kind): its target is "the orphaned data of kind X"
(target id: the owner kind), its collect step persists the orphaned owners (those the latest
sweep found), and its items are the owner plan's own, in the same order, each walked over those
owners one after the other with a resumable cursor. Preview, confirmation, progress, the audit
trail and the verify step are then the ordinary ones, and the preview counts by the same items
that delete.

Looking for orphans reads every owner-keyed container once: that is the sweep's work (beat, or
"Sweep now"), in the background. A clean-up works owner by owner through the items' own indexed
queries, so its confirm page stays quick. An owner that exists again by the time its data would
go (it was being created: its children are written before it) is skipped, so data with a living
owner is never deleted.

What the console's own records say (which owners a job is deleting, what the latest sweep found)
is given by the caller as `OwnerRecords` (selectors.orphans reads them from its database).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings

from deletion_console.engine.plan import (
    Batch,
    Item,
    Plan,
    Residue,
    Step,
    Target,
    TargetFound,
    Together,
    get_plan,
    kinds,
)

SUFFIX = "-orphans"
OWNERS = "owners"  # the entity the collect step persists: the orphaned owners' refs
# Owners whose life is checked at once and walked by one delete batch.
OWNERS_PER_BATCH = 100
# Up to this many owners, what is known of them is asked owner by owner (exact, indexed lookups:
# milliseconds each); beyond, by one pass over the whole container (FerretDB reads 100,000
# documents in about 5 s), whatever the number of owners.
OWNER_BY_OWNER_UP_TO = 50


def orphan_kind(owner_kind: str) -> str:
    return f"{owner_kind}{SUFFIX}"


def owner_kind_of(kind: str) -> str | None:
    return kind[: -len(SUFFIX)] if kind.endswith(SUFFIX) else None


def sweepable(item) -> bool:
    return getattr(item, "owner_key", None) is not None and callable(getattr(item, "owners", None))


def has_orphans(owner: Plan) -> bool:
    """Whether the kind's orphaned data can be found: its target lists its refs, and some of its
    items are keyed by an owner field."""
    return callable(getattr(owner.target, "refs", None)) and any(sweepable(item) for _, item in owner.all_items())


def orphan_kinds() -> list[str]:
    """The owner kinds whose orphaned data can be found, in the settings' order."""
    return [kind for kind in kinds() if has_orphans(get_plan(kind))]


# -- who is alive ---------------------------------------------------------------------------------


class OwnerRecords(Protocol):
    """What the console's own records say of a kind's owners."""

    def being_deleted(self, owner_kind: str, refs: Iterable[str] | None = None) -> set[str]:
        """The owners (among `refs`, or all) that an active job is deleting: what is left of such
        a target is that job's, not orphaned (a campaign's document goes at the end of its MongoDB
        step, while Neo4j and PostgreSQL still hold the rest)."""

    def swept(self, owner_kind: str) -> list[str] | None:
        """The orphaned owners the latest complete sweep found of the kind (none if it refused its
        findings as implausible); None if none has looked."""


@dataclass(frozen=True)
class Owners:
    """The owners of one kind: those at home in its target's store, and those a job is deleting."""

    kind: str
    target: Target
    records: OwnerRecords

    def living(self) -> set[str]:
        """Every owner that exists, read once from its home store (memory: one string per owner)."""
        return {*self.target.refs(), *self.records.being_deleted(self.kind)}

    def alive_among(self, refs: Iterable[str]) -> set[str]:
        """Which of `refs` have an owner now: looked up one by one, or for many, by one read of the
        home store holding only `refs`."""
        wanted = set(refs)
        if not wanted:
            return set()
        if len(wanted) <= OWNER_BY_OWNER_UP_TO:
            alive = {ref for ref in wanted if self.target.find(ref) is not None}
        else:
            alive = {ref for ref in self.target.refs() if ref in wanted}
        return alive | self.records.being_deleted(self.kind, wanted - alive)


# -- finding them ---------------------------------------------------------------------------------


@dataclass
class Findings:
    kind: str  # the owner kind
    owners: list[str]  # orphaned owner refs, the first `limit` in plan order
    capped: bool  # more owners were orphaned than `limit`: these are the first ones only
    counts: dict[str, dict[str, int]]  # {step: {entity: n}} of those owners, as the cleaning job previews them
    at_home: int = 0  # owners the home store lists
    gone: int = 0  # distinct owners found in the containers but not at home, uncapped
    # Why these findings cannot be right (see `implausible`): then nothing of them may be cleaned.
    refusal: str = ""

    @property
    def total(self) -> int:
        return sum(sum(entities.values()) for entities in self.counts.values())


def find_orphans(owner: Plan, *, records: OwnerRecords, limit: int) -> Findings:
    """One grouped pass per owner-keyed container, in plan order; at most `limit` owners are kept
    (and counted), the first ones met, so memory is bounded by the owners alive plus `limit`."""
    derived = orphan_plan(owner, records=records)
    if derived is None:
        return Findings(owner.kind, [], False, {})
    owners_of = Owners(owner.kind, owner.target, records)
    at_home = set(owner.target.refs())
    alive = at_home | records.being_deleted(owner.kind)
    owners: dict[str, None] = {}  # insertion-ordered set
    gone: set[str] = set()
    capped = False
    per_item = []
    for step, item in derived.all_items():
        found: dict[str, int] = {}
        for ref, n in item.inner.owners():
            # Refs are strings by contract (the scope's ref): another type could never be deleted by ref.
            if not isinstance(ref, str) or ref in alive:
                continue
            gone.add(ref)
            if ref not in owners:
                if len(owners) >= limit:
                    capped = True
                    continue
                owners[ref] = None
            found[ref] = n
        per_item.append((step.name, item.entity, found))
    # Read again once the containers are read: an owner created meanwhile (its children are
    # written before it) is not orphaned.
    arrived = owners_of.alive_among(owners)
    counts: dict[str, dict[str, int]] = {}
    for step, entity, found in per_item:
        counts.setdefault(step, {})[entity] = sum(n for ref, n in found.items() if ref not in arrived)
    findings = Findings(
        owner.kind,
        [ref for ref in owners if ref not in arrived],
        capped,
        counts,
        at_home=len(at_home),
        gone=len(gone - arrived),
    )
    findings.refusal = implausible(owner, findings, max_gone_share=settings.ORPHAN_SWEEP_MAX_GONE_SHARE) or ""
    return findings


def implausible(owner: Plan, findings: Findings, *, max_gone_share: float) -> str | None:
    """Why `findings` look like a misconfiguration rather than orphaned data, or None.

    A home store pointed at the wrong database (an empty one, say) makes every owner look gone:
    cleaning up would then delete everything. So a sweep that finds owners' data while the home
    store lists none, or finds more than `max_gone_share` of the kind's owners gone, is refused.
    """
    if not findings.gone:
        return None
    if not findings.at_home:
        return (
            f"the home of every {owner.noun} ({owner.target.store}) lists none, yet "
            f"{findings.gone:,} {owner.plural} own data elsewhere: is it the right database?"
        )
    share = findings.gone / (findings.gone + findings.at_home)
    if share > max_gone_share:
        return (
            f"{share:.0%} of the {owner.plural} found ({findings.gone:,} of {findings.gone + findings.at_home:,}) "
            f"are gone from their home ({owner.target.store}), more than ORPHAN_SWEEP_MAX_GONE_SHARE "
            f"({max_gone_share:.0%}): is it the right database?"
        )
    return None


# -- the cleaning job's plan ----------------------------------------------------------------------


class OwnerScope:
    """One orphaned owner as a plan item sees it: its ref, and nothing collected (its home
    record is gone, so no legacy id array can be read: only owner-keyed data is reached)."""

    def __init__(self, ref: str, intend=None):
        self.ref = ref
        self.keys = [ref]
        self._intend = intend

    def intend(self, sent: dict) -> None:
        if self._intend is not None:
            self._intend({**sent, "owner": self.ref})

    def ids(self, entity: str, batch_size: int) -> Iterator[list]:
        return iter(())

    def ids_after(self, entity: str, after: int, limit: int) -> tuple[list, int]:
        return [], after


@dataclass(frozen=True)
class OrphanedDataOf:
    """The target of a cleaning job: the orphaned data of one kind, found under the owner kind's id."""

    owner_kind: str
    owner_noun: str
    store: str  # the owner's home store: its refs are persisted as that store's keys

    @property
    def label(self) -> str:
        return f"Orphaned {self.owner_noun} data"

    def find(self, target_id: str) -> TargetFound | None:
        if target_id != self.owner_kind:
            return None
        # document[OWNERS] is filled by the collector on first use, once per scope.
        return TargetFound(label=self.label, document={}, keys=[target_id])

    def refs(self) -> Iterator[str]:
        yield self.owner_kind

    def hide(self, found: TargetFound) -> None:
        return None

    def unhide(self, found: TargetFound) -> None:
        return None


@dataclass(frozen=True)
class OrphanedOwners:
    """Collects the orphaned owners to clean: those the latest sweep found (what the Orphans page
    showed), or, before any sweep, those found now. Looking for them reads every container, which
    is the sweep's work (beat's, or "Sweep now"): a clean-up previews and deletes by owner. Each
    owner is checked again before anything of it goes, so one found alive since is left alone."""

    owner: Plan
    records: OwnerRecords
    store: str
    entity: ClassVar[str] = OWNERS

    def ids(self, found: TargetFound | None, ref: str, batch_size: int) -> Iterator[list]:
        if found is None:
            return
        owners = found.document.get(OWNERS)
        if owners is None:
            owners = self.records.swept(self.owner.kind)
            if owners is None:
                found_now = find_orphans(self.owner, records=self.records, limit=settings.ORPHAN_SWEEP_MAX_OWNERS)
                # Implausible findings are a misconfiguration's: none of them is cleaned.
                owners = [] if found_now.refusal else found_now.owners
            found.document[OWNERS] = owners  # every item's count reads them: find them once per scope
        for start in range(0, len(owners), batch_size):
            yield owners[start : start + batch_size]


@dataclass(frozen=True)
class OrphanedData:
    """One item of the owner plan, over every collected orphaned owner."""

    inner: Item
    owners: Owners

    @property
    def entity(self) -> str:
        return self.inner.entity

    @property
    def store(self) -> str:
        return self.inner.store

    @property
    def covers(self) -> str | None:
        return getattr(self.inner, "covers", None)

    def indexes(self):
        return getattr(self.inner, "indexes", tuple)()

    def schema_needs(self):
        return getattr(self.inner, "schema_needs", tuple)()

    def residue(self, *, ref: str, keys: list) -> Residue:
        """The owner item's own queries, as count() runs them once per orphaned owner collected."""
        return self.inner.residue(ref=f"<each orphaned {self.owners.kind} collected before the first delete>", keys=[])

    def count(self, scope) -> int:
        owners = {ref for batch in scope.ids(OWNERS, settings.DELETION_COLLECT_BATCH) for ref in batch}
        if len(owners) <= OWNER_BY_OWNER_UP_TO:
            found = {ref: self.inner.count(OwnerScope(ref)) for ref in owners}
        else:
            found = {ref: n for ref, n in self.inner.owners() if ref in owners}
        found = {ref: n for ref, n in found.items() if n}
        alive = self.owners.alive_among(found)
        return sum(n for ref, n in found.items() if ref not in alive)

    def settle(self, scope, sent: dict) -> int:
        return self.inner.settle(OwnerScope(sent["owner"]), sent)

    def delete_batch(self, scope, position, size: int, expected: int) -> Batch:
        """Up to OWNERS_PER_BATCH owners from `after` (a collected row), resumed at `index` among
        them with the inner item's own position; owners alive again are skipped. A batch ends
        with the first inner batch that deleted anything: each is then recorded on its own, and
        one interrupted mid-way cannot take earlier owners' uncounted deletes with it."""
        position = position or {"after": 0, "index": 0, "inner": None}
        refs, last = scope.ids_after(OWNERS, position["after"], OWNERS_PER_BATCH)
        if not refs:
            return Batch(0, None)
        alive = self.owners.alive_among(refs)
        index, inner, deleted = position["index"], position["inner"], 0
        while index < len(refs) and not deleted:
            if refs[index] not in alive:
                batch = self.inner.delete_batch(OwnerScope(refs[index], scope.intend), inner, size, 0)
                deleted = batch.deleted
                if batch.resume_at is not None:
                    inner = batch.resume_at
                    continue
            index, inner = index + 1, None
        if index < len(refs):
            return Batch(deleted, {"after": position["after"], "index": index, "inner": inner})
        if len(refs) < OWNERS_PER_BATCH:
            return Batch(deleted, None)
        return Batch(deleted, {"after": last, "index": 0, "inner": None})


def _orphan_step(step: Step, owners: Owners) -> Step | None:
    items = tuple(OrphanedData(item, owners) for item in step.items if sweepable(item))
    return Step(step.name, step.label, items) if items else None


def _derive(owner: Plan, records: OwnerRecords) -> Plan | None:
    if not has_orphans(owner):
        return None
    owners = Owners(owner.kind, owner.target, records)
    parts = []
    for part in owner.steps:
        if isinstance(part, Together):
            steps = tuple(s for s in (_orphan_step(step, owners) for step in part.steps) if s)
            if len(steps) > 1:
                parts.append(Together(part.name, part.label, steps))
            elif steps:
                parts.append(steps[0])
        elif step := _orphan_step(part, owners):
            parts.append(step)
    target = OrphanedDataOf(owner.kind, owner.noun, owner.target.store)
    return Plan(
        kind=orphan_kind(owner.kind),
        noun=f"orphaned {owner.noun} data",
        plural=owner.plural,  # "shared with other campaigns" on the confirm page
        target=target,
        steps=tuple(parts),
        collect=(OrphanedOwners(owner, records, owner.target.store),),
        step_noun=owner.step_noun,
        kept=owner.kept,
    )


# Derived once per owner plan object (settings may swap plans in tests: then derived again).
_derived: dict[str, tuple[Plan, OwnerRecords, Plan | None]] = {}


def orphan_plan(owner: Plan, *, records: OwnerRecords) -> Plan | None:
    """The plan that cleans `owner`'s orphaned data, or None if its orphans cannot be found."""
    cached = _derived.get(owner.kind)
    if cached is None or cached[0] is not owner or cached[1] is not records:
        cached = (owner, records, _derive(owner, records))
        _derived[owner.kind] = cached
    return cached[2]
