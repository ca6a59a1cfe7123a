"""Verifying jobs' audit trails: recompute each job's hash chain and find where it breaks."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from uuid import UUID

from deletion_console import audit_chain
from deletion_console.models import DeletionJob, JobEvent

_FIELDS = ("id", "job_id", "prev_hash", "hash", *(f for f in audit_chain.CONTENT_FIELDS if f != "job"))


@dataclass(frozen=True)
class Break:
    position: int  # in the order the events were appended, the first being 1
    event_id: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    job_id: UUID
    events: int
    head: str | None  # the last event's hash as stored: what a certificate vouches for
    broken: Break | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def detail(self) -> str:
        if self.intact:
            return f"{self.events} events, head {self.head or '(no events)'}"
        b = self.broken
        return f"at event {b.position} of {self.events} (id {b.event_id}): {b.problem}"

    def describe(self) -> str:
        return f"intact: {self.detail()}" if self.intact else f"broken {self.detail()}"


def verify_chain(job_id) -> ChainReport:
    events = JobEvent.objects.filter(job_id=job_id).order_by("id").only(*_FIELDS)
    return _check(job_id, events.iterator(chunk_size=2000))


def verify_chains(job_ids: Iterable | None = None) -> Iterator[ChainReport]:
    """Every job's chain (or the given jobs'), oldest job first, reading all events in one pass."""
    jobs = DeletionJob.objects.order_by("created_at", "id")
    events = JobEvent.objects.order_by("job_id", "id").only(*_FIELDS)
    if job_ids is not None:
        job_ids = list(job_ids)
        jobs, events = jobs.filter(pk__in=job_ids), events.filter(job_id__in=job_ids)
    reports = {
        job_id: _check(job_id, group)
        for job_id, group in groupby(events.iterator(chunk_size=2000), key=lambda e: e.job_id)
    }
    for job_id in jobs.values_list("pk", flat=True):
        yield reports.get(job_id) or ChainReport(job_id=job_id, events=0, head=None)


def _check(job_id, events: Iterable[JobEvent]) -> ChainReport:
    expected_prev = audit_chain.GENESIS
    # The position of each hash's event so far (0: the chain's start), to tell an inserted
    # event from a removed one.
    seen: dict[str, int] = {audit_chain.GENESIS: 0}
    ids: list[int] = []
    broken, head, position = None, None, 0
    for position, event in enumerate(events, start=1):
        head = event.hash
        if broken:
            continue  # the rest is still counted, for the report
        ids.append(event.pk)
        if audit_chain.link(event.prev_hash, audit_chain.event_content(event)) != event.hash:
            broken = Break(
                position, event.pk, "its content does not match its hash: it was altered after it was written"
            )
        elif event.prev_hash != expected_prev:
            broken = _misdirected(position, event, seen, ids)
        else:
            seen[event.hash] = position
            expected_prev = event.hash
    return ChainReport(job_id=job_id, events=position, head=head, broken=broken)


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
