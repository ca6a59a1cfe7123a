"""What holds a requested deletion back before it starts: a second approval, then a grace period.

The settings name them per kind of target (DELETION_APPROVAL, DELETION_GRACE_PERIOD); this is
the one place that reads them, so the confirm page says what the request will then do.
A held job is active (no second job for its target) but has no chunk queued: releasing it
queues its first chunk through the same path as an immediate request.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobStatus

log = logging.getLogger(__name__)


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
    approval = settings.DELETION_APPROVAL.get(kind)
    return Safeguards(
        grace_seconds=grace_period(kind),
        needs_approval=approval is not None and total >= approval.get("min_entities", 0),
        approval_expires_seconds=settings.DELETION_APPROVAL_EXPIRES_SECONDS,
    )


def hold(job: DeletionJob, guards: Safeguards) -> None:
    """Set a new, unsaved job's state to the first safeguard it must pass."""
    job.approval_required = guards.needs_approval
    if guards.needs_approval:
        job.status = JobStatus.AWAITING_APPROVAL
        job.approval_expires_at = timezone.now() + timedelta(seconds=guards.approval_expires_seconds)
    else:
        job.status = JobStatus.SCHEDULED
        job.run_after = timezone.now() + timedelta(seconds=guards.grace_seconds)


def held_event(job: DeletionJob) -> None:
    """The audit event saying what the job now waits for (after the job is saved)."""
    if job.status == JobStatus.AWAITING_APPROVAL:
        message = f"awaits a second person's approval until {job.approval_expires_at.isoformat()}"
        JobEvent.objects.create(job=job, kind="awaiting-approval", message=message)
    elif job.status == JobStatus.SCHEDULED:
        JobEvent.objects.create(job=job, kind="scheduled", message=f"starts after {job.run_after.isoformat()}")


def grace_period(kind: str) -> float:
    return max(float(settings.DELETION_GRACE_PERIOD.get(kind, 0)), 0.0)


def hide_target(job: DeletionJob) -> None:
    """Hide the target from the platform at once, as the validate step would: a scheduled
    deletion must not let people go on using what is about to go. Raises if the store fails,
    so the caller's transaction (the job's new state) rolls back with it."""
    plan = get_plan(job.kind)
    found = plan.target.find(job.target_id)
    if found is not None:
        plan.target.hide(found)


def show_target(job: DeletionJob) -> None:
    """Show a target again whose scheduled deletion was cancelled before it started."""
    plan = get_plan(job.kind)
    try:
        found = plan.target.find(job.target_id)
        if found is not None:
            plan.target.unhide(found)
    except Exception:  # the cancel stands; a target left hidden is logged, not fatal
        log.exception("Could not show %s %s again", job.kind, job.target_id)


def describe_seconds(seconds: float) -> str:
    """A duration as people say it: "30 days", "2 hours", "45 seconds"."""
    seconds = round(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 or seconds >= 2 * size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
