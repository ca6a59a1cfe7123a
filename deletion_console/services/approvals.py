"""Second approval: another person with the approve permission (neither its requester nor the
person a service requested it for) lets a held request go on, or rejects it; a request nobody
approves in time expires. Each decision is an audit event, and a rejected or expired job ends
cancelled with nothing deleted (and cannot be resumed)."""

from django.db import transaction
from django.utils import timezone

from deletion_console.models import DeletionJob, JobStatus
from deletion_console.permissions import can_approve_deletion
from deletion_console.services import lifecycle, safeguards, users
from deletion_console.services.errors import ApprovalExpired, ApprovalRefused
from deletion_console.services.lifecycle import Action


def approve(job_id, user) -> DeletionJob:
    """Approve another person's request: it then waits out its grace period, if any, and runs."""
    return _decide(job_id, user, action=Action.APPROVE)


def reject(job_id, user, reason: str = "") -> DeletionJob:
    return _decide(job_id, user, action=Action.REJECT, reason=reason)


def expire(job_id) -> DeletionJob | None:
    """End a request whose approval did not come in time; None if it is no longer awaiting one."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if not _expired(job):
            return None
        return _expire(job)


def _decide(job_id, user, *, action: Action, reason: str = "") -> DeletionJob:
    if not can_approve_deletion(user):
        raise ApprovalRefused("You need the “approve deletion” permission for this.")
    with lifecycle.one_request(), transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        lifecycle.require(job, action)
        if job.requested_by_id is not None and job.requested_by_id == user.pk:
            raise ApprovalRefused("You requested this deletion: a second person must decide on it (you can cancel it).")
        if _named_in(job, user):
            raise ApprovalRefused(
                "This deletion was requested on your behalf: a second person must decide on it (you can cancel it)."
            )
        expired = _expired(job)
        if expired:
            job = _expire(job)
        elif action is Action.APPROVE:
            job = _approve(job, user)
        else:
            message = f"{users.by(user)}: {reason}" if reason else users.by(user)
            job = _end(job, Action.REJECT, message, f"Rejected {message}. Nothing was deleted.")
    if expired:
        raise ApprovalExpired(
            f"This request expired at {job.approval_expires_at:%Y-%m-%d %H:%M} UTC; request it again.", job
        )
    return job


def _named_in(job: DeletionJob, user) -> bool:
    # A service's request names the person who asked upstream by that app's word for them; case
    # and spacing aside, a console user of that name is taken to be that person.
    named = job.requested_for.strip().casefold()
    return bool(named) and named == user.get_username().strip().casefold()


def _approve(job: DeletionJob, user) -> DeletionJob:
    def approved(job):
        job.approved_by = user
        # The event and the job record the same moment: the certificate states it from the event.
        job.approved_at = timezone.now()

    def event(job):
        return {"message": users.by(user), "created_at": job.approved_at}

    job = lifecycle.apply(job.pk, Action.APPROVE, mutate=approved, event=event)
    # Approved, it waits out its kind's grace period (its target hidden meanwhile), or starts.
    grace = safeguards.grace_period(job.kind)
    if grace > 0:
        return safeguards.schedule(job.pk, grace)
    return lifecycle.admit(job.pk)


def _expired(job: DeletionJob) -> bool:
    return (
        job.status == JobStatus.AWAITING_APPROVAL
        and job.approval_expires_at is not None
        and job.approval_expires_at <= timezone.now()
    )


def _expire(job: DeletionJob) -> DeletionJob:
    at = f"{job.approval_expires_at:%Y-%m-%d %H:%M} UTC"
    return _end(job, Action.EXPIRE, f"not approved by {at}", f"Not approved in time (by {at}). Nothing was deleted.")


def _end(job: DeletionJob, action: Action, message: str, warning: str) -> DeletionJob:
    return lifecycle.apply(job.pk, action, mutate=lambda job: job.add_warning(warning), event={"message": message})
