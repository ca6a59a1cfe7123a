"""Starting held jobs: a scheduled one once its grace period is over (beat), or run now.

Both take the job's row lock and check its state under it, so a tick that comes late starts a
due job late, and two ticks (or a tick and a click) racing for one job start it once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.services import progress, safeguards
from deletion_console.services.jobs import JobStateError, _by, _enqueue_on_commit


def release(job: DeletionJob) -> None:
    """Under the caller's row lock: a job past its safeguards becomes pending, and its first
    chunk is queued once the caller's transaction commits, as for an immediate request."""
    job.status = JobStatus.PENDING
    first = progress.enter_phase(job, get_plan(job.kind).phases[0])
    progress.touch(job)
    job.save()
    _enqueue_on_commit(job, first)
    progress.broadcast_on_commit(job, force=True)


def schedule_or_release(job: DeletionJob) -> None:
    """Under the caller's row lock: after its approval, a job waits out its kind's grace period
    (the target hidden meanwhile), or starts at once if the kind has none."""
    grace = safeguards.grace_period(job.kind)
    if grace <= 0:
        release(job)
        return
    job.status = JobStatus.SCHEDULED
    job.run_after = timezone.now() + timedelta(seconds=grace)
    progress.touch(job)
    job.save()
    safeguards.held_event(job)
    safeguards.hide_target(job)
    progress.broadcast_on_commit(job, force=True)


def start_due(job_id) -> DeletionJob | None:
    """Start a scheduled job whose grace period is over; None if it is not (any longer) due."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.SCHEDULED or job.run_after > timezone.now():
            return None
        JobEvent.objects.create(job=job, kind="grace-period-over", message=f"due at {job.run_after.isoformat()}")
        release(job)
    return job


def run_now(job_id, user=None) -> DeletionJob:
    """Start a scheduled job before its grace period is over."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.SCHEDULED:
            raise JobStateError(f"Job {job.pk} is {job.status}; only a scheduled job can be run now.")
        JobEvent.objects.create(job=job, kind="run-now", message=_by(user))
        release(job)
    return job
