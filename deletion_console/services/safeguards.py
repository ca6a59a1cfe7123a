"""What holds a requested deletion back before it starts: a second approval, then a grace period.

The settings name them per kind of target (DELETION_APPROVAL, DELETION_GRACE_PERIOD); this is
the one place that reads them, so the confirm page says what the request will then do. A kind
derived from another (the cleaning of its orphaned data) is held as that kind is.
A held job is active (no second job for its target) but has no chunk queued: releasing it
queues its first chunk through the same path as an immediate request.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deletion_console.engine.orphans import owner_kind_of
from deletion_console.models import DeletionJob
from deletion_console.services import lifecycle
from deletion_console.services.lifecycle import Action


@dataclass(frozen=True)
class Safeguards:
    grace_seconds: float
    needs_approval: bool
    approval_expires_seconds: float

    @property
    def holds(self) -> bool:
        return self.needs_approval or self.grace_seconds > 0

    @property
    def grace(self) -> str:
        return describe_seconds(self.grace_seconds)

    @property
    def approval_expires(self) -> str:
        return describe_seconds(self.approval_expires_seconds)


def for_request(kind: str, total: int) -> Safeguards:
    """The safeguards a request to delete `total` entities of a target of `kind` goes through."""
    approval = settings.DELETION_APPROVAL.get(_guarded_kind(kind))
    return Safeguards(
        grace_seconds=grace_period(kind),
        needs_approval=approval is not None and total >= approval.get("min_entities", 0),
        approval_expires_seconds=settings.DELETION_APPROVAL_EXPIRES_SECONDS,
    )


def _guarded_kind(kind: str) -> str:
    # The cleaning of a kind's orphaned data deletes that kind's data: the same safeguards hold.
    return owner_kind_of(kind) or kind


def grace_period(kind: str) -> float:
    return max(float(settings.DELETION_GRACE_PERIOD.get(_guarded_kind(kind), 0)), 0.0)


def hold(job_id, guards: Safeguards) -> DeletionJob:
    """Hold a just-requested job at the first safeguard it must pass."""
    if guards.needs_approval:

        def expires(job):
            job.approval_required = True
            job.approval_expires_at = timezone.now() + timedelta(seconds=guards.approval_expires_seconds)

        def event(job):
            return {"message": f"awaits a second person's approval until {job.approval_expires_at.isoformat()}"}

        return lifecycle.apply(job_id, Action.AWAIT_APPROVAL, mutate=expires, event=event)
    return schedule(job_id, guards.grace_seconds)


def schedule(job_id, grace_seconds: float) -> DeletionJob:
    """Hold the job for its grace period; its target is hidden once this has committed."""

    def due(job):
        job.run_after = timezone.now() + timedelta(seconds=grace_seconds)

    def event(job):
        return {"message": f"starts after {job.run_after.isoformat()}"}

    return lifecycle.apply(job_id, Action.SCHEDULE, mutate=due, event=event)


def describe_seconds(seconds: float) -> str:
    """A duration as people say it: "30 days", "2 hours", "45 seconds"."""
    seconds = round(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 or seconds >= 2 * size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
