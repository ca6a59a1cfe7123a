"""Second approval: another person with the approve permission lets a held request go on, or
rejects it; a request nobody approves in time expires. Each decision is an audit event, and a
rejected or expired job ends cancelled with nothing deleted (and cannot be resumed)."""

from django.db import transaction
from django.utils import timezone

from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.permissions import can_approve_deletion
from deletion_console.services import events, progress
from deletion_console.services.jobs import DeletionRefused, JobStateError, _by
from deletion_console.services.schedule import schedule_or_release


class ApprovalRefused(DeletionRefused):
    """This person may not decide on this request."""


class ApprovalExpired(JobStateError):
    pass


def approve(job_id, user) -> DeletionJob:
    """Approve another person's request: it then waits out its grace period, if any, and runs."""
    return _decide(job_id, user, approved=True)


def reject(job_id, user, reason: str = "") -> DeletionJob:
    return _decide(job_id, user, approved=False, reason=reason)


def expire(job_id) -> DeletionJob | None:
    """End a request whose approval did not come in time; None if it is no longer awaiting one."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if not _expired(job):
            return None
        _expire(job)
    return job


def _decide(job_id, user, *, approved: bool, reason: str = "") -> DeletionJob:
    if not can_approve_deletion(user):
        raise ApprovalRefused("You need the “approve deletion” permission for this.")
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.AWAITING_APPROVAL:
            raise JobStateError(f"Job {job.pk} is {job.status}; only a job awaiting approval can be decided on.")
        if job.requested_by_id is not None and job.requested_by_id == user.pk:
            raise ApprovalRefused("You requested this deletion: a second person must decide on it (you can cancel it).")
        if not _expired(job):
            if approved:
                _approve(job, user)
            else:
                message = f"{_by(user)}: {reason}" if reason else _by(user)
                _end(job, "rejected", message, f"Rejected {message}. Nothing was deleted.")
            return job
        _expire(job)
    raise ApprovalExpired(f"This request expired at {job.approval_expires_at:%Y-%m-%d %H:%M} UTC; request it again.")


def _approve(job: DeletionJob, user) -> None:
    # The event and the job record the same moment: the certificate states it from the event.
    event = JobEvent.objects.create(job=job, kind="approved", message=_by(user))
    job.approved_by = user
    job.approved_at = event.created_at
    schedule_or_release(job)


def _expired(job: DeletionJob) -> bool:
    return (
        job.status == JobStatus.AWAITING_APPROVAL
        and job.approval_expires_at is not None
        and job.approval_expires_at <= timezone.now()
    )


def _expire(job: DeletionJob) -> None:
    at = f"{job.approval_expires_at:%Y-%m-%d %H:%M} UTC"
    _end(job, "expired", f"not approved by {at}", f"Not approved in time (by {at}). Nothing was deleted.")


def _end(job: DeletionJob, kind: str, message: str, warning: str) -> None:
    job.status = JobStatus.CANCELLED
    job.finished_at = timezone.now()
    job.warnings = [*job.warnings, warning]
    progress.touch(job)
    job.save()
    JobEvent.objects.create(job=job, kind=kind, message=message)
    events.record_end(job)
    progress.broadcast_on_commit(job, force=True)
