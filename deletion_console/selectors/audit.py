"""Verifying the audit: each job's trail and the audit log that sequences every trail.

For each job: its hash chain (an event altered, removed or inserted), the audit log's entries
for it (an event removed, its last one or all of them; an event the log never saw), that its
trail states its request, and that its row says what the trail's facts say (an edited row).
Jobs the log names but that are gone are reported as removed. The log's own chain is checked
apart (`verify_log`): an entry removed or altered there.

Everything is read in one snapshot (when not already inside a transaction), so events and log
entries committed meanwhile never look like tampering.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Max, Min

from deletion_console import audit_chain
from deletion_console.audit_facts import TrailFacts
from deletion_console.models import AuditLogEntry, DeletionJob, JobEvent

_FIELDS = ("id", "job_id", "prev_hash", "hash", *(f for f in audit_chain.CONTENT_FIELDS if f != "job"))
_JOBS_AT_ONCE = 500


@dataclass(frozen=True)
class Break:
    position: int  # in the job's trail, in the order the events were appended, the first being 1
    event_id: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    job_id: UUID
    events: int
    head: str | None  # the last event's hash as stored: what a certificate vouches for
    broken: Break | None = None
    # How many events the audit log lists for the job, and its entry for the head.
    logged: int = 0
    log_position: int | None = None
    log_hash: str | None = None
    facts: TrailFacts = field(default_factory=TrailFacts)

    @property
    def intact(self) -> bool:
        return self.broken is None

    def detail(self) -> str:
        if self.intact:
            return f"{self.events} events, head {self.head}, audit log position {self.log_position}"
        b, total = self.broken, max(self.events, self.logged)
        if not total:
            return f"with no events: {b.problem}"
        event = f" (id {b.event_id})" if b.event_id is not None else ""
        return f"at event {b.position} of {total}{event}: {b.problem}"

    def describe(self) -> str:
        return f"intact: {self.detail()}" if self.intact else f"broken {self.detail()}"


@dataclass(frozen=True)
class LogBreak:
    position: int
    problem: str

    def describe(self) -> str:
        return f"audit log: broken at position {self.position}: {self.problem}"


def verify_chain(job_id) -> ChainReport:
    (report,) = verify_chains([job_id])
    return report


def verify_chains(job_ids: Iterable | None = None) -> Iterator[ChainReport]:
    """Every job's trail (or the given jobs'), oldest job first, then every job the audit log
    names that is gone (when checking all, or when given its id)."""
    wanted = None if job_ids is None else list(job_ids)
    with _snapshot():
        reports = list(_reports(wanted))
    yield from reports


def verify_log() -> list[LogBreak]:
    """Where the audit log's own sequence breaks: missing positions and broken links."""
    with _snapshot():
        return list(_log_breaks(AuditLogEntry.objects.order_by("position").iterator(chunk_size=5000)))


def logged_job_ids(job_ids: Iterable) -> set:
    return set(AuditLogEntry.objects.filter(job_id__in=list(job_ids)).values_list("job_id", flat=True).distinct())


@contextmanager
def _snapshot():
    if connection.in_atomic_block:
        yield  # the caller's transaction decides
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _reports(wanted: list | None) -> Iterator[ChainReport]:
    jobs = DeletionJob.objects.select_related("requested_by", "approved_by").order_by("created_at", "id")
    if wanted is not None:
        jobs = jobs.filter(pk__in=wanted)
    rows = jobs.iterator(chunk_size=_JOBS_AT_ONCE)
    while chunk := list(islice(rows, _JOBS_AT_ONCE)):
        ids = [job.pk for job in chunk]
        events, entries = defaultdict(list), defaultdict(list)
        for event in JobEvent.objects.filter(job_id__in=ids).order_by("job_id", "id").only(*_FIELDS):
            events[event.job_id].append(event)
        for entry in AuditLogEntry.objects.filter(job_id__in=ids).order_by("job_id", "job_position"):
            entries[entry.job_id].append(entry)
        for job in chunk:
            yield _check(job, events[job.pk], entries[job.pk])
    yield from _removed_jobs(wanted)


def _removed_jobs(wanted: list | None) -> Iterator[ChainReport]:
    gone = AuditLogEntry.objects.exclude(job_id__in=DeletionJob.objects.values("pk"))
    if wanted is not None:
        gone = gone.filter(job_id__in=wanted)
    summary = gone.values("job_id").annotate(n=Count("position"), first=Min("position"), last=Max("position"))
    for row in summary.order_by("first"):
        first_event = gone.filter(job_id=row["job_id"]).order_by("job_position").values_list("event_id", flat=True)
        problem = f"the job was removed, its trail with it: {_listed_range(row['n'], row['first'], row['last'])}"
        yield ChainReport(
            job_id=row["job_id"], events=0, head=None, logged=row["n"], broken=Break(1, first_event[0], problem)
        )


def _listed(entries: list[AuditLogEntry]) -> str:
    return _listed_range(len(entries), entries[0].position, entries[-1].position)


def _listed_range(n: int, first: int, last: int) -> str:
    if n == 1:
        return f"the audit log lists 1 event of it, at position {first}"
    return f"the audit log lists {n} events of it, the first at position {first}, the last at {last}"


def _check(job: DeletionJob, events: list[JobEvent], entries: list[AuditLogEntry]) -> ChainReport:
    facts = TrailFacts.read(events)
    # The first break by position; at one position, the likeliest explanation: the log knows
    # which event was removed, the chain which one was altered or inserted. What a broken trail
    # states is no measure of the row: the row is compared only with an unbroken one.
    found = [*_removals(events, entries), *_chain_breaks(events), *_unlogged(events, entries)]
    found = found or list(_fact_breaks(job, facts, events, entries))
    broken = min(found, key=lambda b: b.position) if found else None
    head_entry = entries[-1] if entries and events and entries[-1].event_id == events[-1].pk else None
    return ChainReport(
        job_id=job.pk,
        events=len(events),
        head=events[-1].hash if events else None,
        broken=broken,
        logged=len(entries),
        log_position=head_entry.position if head_entry else None,
        log_hash=head_entry.hash if head_entry else None,
        facts=facts,
    )


def _removals(events: list[JobEvent], entries: list[AuditLogEntry]) -> Iterator[Break]:
    """Events the audit log lists for the job that are gone, and entries gone from the log."""
    if not events and entries:
        yield Break(1, entries[0].event_id, f"its whole trail was removed: {_listed(entries)}")
        return
    present = {event.pk for event in events}
    for expected, entry in enumerate(entries, start=1):
        if entry.job_position != expected:
            yield Break(expected, None, "its entry in the audit log was removed")
            break
    for entry in entries:
        if entry.event_id not in present:
            yield Break(
                entry.job_position, entry.event_id, f"removed: the audit log lists it at position {entry.position}"
            )
            break


def _unlogged(events: list[JobEvent], entries: list[AuditLogEntry]) -> Iterator[Break]:
    """Events the audit log never saw, or saw with another hash."""
    logged = {entry.event_id: entry for entry in entries}
    for place, event in enumerate(events, start=1):
        entry = logged.get(event.pk)
        if entry is None:
            yield Break(place, event.pk, "it is not in the audit log: it was written past the database's log")
            break
        if entry.event_hash != event.hash:
            yield Break(
                place, event.pk, f"its hash is not the one the audit log holds at position {entry.position}: rewritten"
            )
            break


def _chain_breaks(events: list[JobEvent]) -> Iterator[Break]:
    expected_prev = audit_chain.GENESIS
    # The position of each hash's event so far (0: the chain's start), to tell an inserted
    # event from a removed one.
    seen: dict[str, int] = {audit_chain.GENESIS: 0}
    ids: list[int] = []
    for position, event in enumerate(events, start=1):
        ids.append(event.pk)
        if audit_chain.link(event.prev_hash, audit_chain.event_content(event)) != event.hash:
            yield Break(position, event.pk, "its content does not match its hash: it was altered after it was written")
            return
        if event.prev_hash != expected_prev:
            yield _misdirected(position, event, seen, ids)
            return
        seen[event.hash] = position
        expected_prev = event.hash


def _misdirected(position: int, event: JobEvent, seen: dict[str, int], ids: list[int]) -> Break:
    linked = seen.get(event.prev_hash)
    if linked is None:
        return Break(
            position,
            event.pk,
            "it links to an event that is not in the trail: an event before it was removed "
            "(or the one before it was rewritten together with its hash)",
        )
    # The event links back past the ones just before it: those were never part of the chain.
    return Break(
        linked + 1,
        ids[linked],
        f"inserted: not part of the chain (event {position} links past it to "
        + (f"event {linked})" if linked else "the start)"),
    )


def _fact_breaks(job, facts: TrailFacts, events: list[JobEvent], entries: list) -> Iterator[Break]:
    if not events and not entries:
        yield Break(
            1,
            None,
            "it has no audit events, and the audit log lists none: a job is created with its request's event, "
            "so this one was written past the console",
        )
        return
    if events and not facts.requested:
        yield Break(1, events[0].pk, "no event of its trail states its request: the trail was not written by it")
        return
    for name, stated, row in facts.disagreements(job):
        yield Break(
            stated.position,
            stated.event_id,
            f"the job's row was edited: its {name} is {row!r}, the trail's event says {stated.value!r}",
        )
        return


def _log_breaks(entries: Iterable[AuditLogEntry]) -> Iterator[LogBreak]:
    expected, prev_hash = 1, audit_chain.GENESIS
    for entry in entries:
        if entry.position != expected:
            missing = f"{expected}" if entry.position == expected + 1 else f"{expected} to {entry.position - 1}"
            yield LogBreak(expected, f"entries {missing} are missing: removed (the next is job {entry.job_id}'s)")
        elif entry.prev_hash != prev_hash:
            yield LogBreak(entry.position, f"it does not link to the entry before it (job {entry.job_id})")
        recomputed = audit_chain.log_link(
            entry.prev_hash,
            position=entry.position,
            job_id=entry.job_id,
            job_position=entry.job_position,
            event_id=entry.event_id,
            event_hash=entry.event_hash,
        )
        if recomputed != entry.hash:
            yield LogBreak(entry.position, f"its content does not match its hash: altered (job {entry.job_id})")
        expected, prev_hash = entry.position + 1, entry.hash
