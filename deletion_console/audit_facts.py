"""What a job's audit events state about it: the facts its certificate gives.

The lifecycle writes them into the `facts` of the event of the transition that established
them (the request: target, requester, expected counts; an approval: approver and moment; every
transition: the status it led to; an end: what was deleted, the residue measured, the times),
which that event's hash covers. The certificate reads them back from the trail (`TrailFacts`),
never from the job's row, which no chain covers; verify_audit compares the row with them, so an
edited row is reported as tampering.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC

from django.contrib.auth import get_user_model

from deletion_console.models import TERMINAL_STATUSES

# Facts the row must agree with at any time, and those it must agree with once the trail says
# the job ended (a running job's counts, residue and label move on between transitions).
ALWAYS = ("status", "requested_by", "requested_at", "expected", "approved_by", "approved_at")
AT_END = ("target", "deleted", "residue", "started_at", "finished_at")


def iso(value) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def person(user) -> dict | None:
    # By id as well as by name: a user renamed since is still the one who asked. The name is read
    # as get_username() reads it, which the upgrade's historical user model lacks.
    if user is None:
        return None
    return {"id": user.pk, "username": getattr(user, get_user_model().USERNAME_FIELD)}


def _target(job, *, label: bool = True) -> dict:
    target = {"kind": job.kind, "id": job.target_id}
    return {**target, "label": job.target_label} if label else target


def requested_facts(job) -> dict:
    return {
        "target": _target(job),
        "requested_by": person(job.requested_by),
        "requested_at": iso(job.created_at),
        "expected": job.preview or {},
        # Nobody, until an approval's event says who: a row naming an approver must have one.
        **approval_facts(job),
    }


def approval_facts(job) -> dict:
    return {"approved_by": person(job.approved_by), "approved_at": iso(job.approved_at)}


def end_facts(job) -> dict:
    return {
        "target": _target(job),
        "deleted": job.counts or {},
        "residue": job.residue or {},
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


def of_transition(job, *, requested: bool, approved: bool) -> dict:
    """The facts a transition's event states: those it established, as the job now stands."""
    facts = {"status": job.status}
    if requested:
        facts |= requested_facts(job)
    if approved:
        facts |= approval_facts(job)
    if job.status in TERMINAL_STATUSES:
        facts |= end_facts(job)
    return facts


def of_record(job) -> dict:
    """Every fact, as the job's row states it now: what attesting a job records, and what its
    row is compared with."""
    return {"status": job.status, **requested_facts(job), **end_facts(job)}


@dataclass(frozen=True)
class Stated:
    value: object
    position: int  # the event's, in its job's trail
    event_id: int


@dataclass(frozen=True)
class TrailFacts:
    """Each fact as the latest event stating it says it."""

    facts: dict[str, Stated] = field(default_factory=dict)

    @classmethod
    def read(cls, events: Iterable) -> "TrailFacts":
        facts = {}
        for position, event in enumerate(events, start=1):
            for name, value in (event.facts or {}).items():
                facts[name] = Stated(value, position, event.pk)
        return cls(facts)

    def get(self, name: str, default=None):
        stated = self.facts.get(name)
        return default if stated is None else stated.value

    @property
    def requested(self) -> bool:
        return "requested_by" in self.facts

    @property
    def ended(self) -> bool:
        return self.get("status") in TERMINAL_STATUSES

    def disagreements(self, job) -> list[tuple[str, Stated, object]]:
        """(fact, as stated, as the row has it) for every fact the job's row contradicts."""
        row = of_record(job)
        if not self.ended:
            # The label may be filled in by the first step; the target itself never changes.
            row["target"] = _target(job, label=False)
        names = ALWAYS + (AT_END if self.ended else ("target",))
        found = []
        for name in names:
            stated = self.facts.get(name)
            if stated is None:
                continue
            value = stated.value
            if name == "target" and not self.ended:
                value = {k: v for k, v in value.items() if k != "label"}
            if value != row[name]:
                found.append((name, stated, row[name]))
        return found
