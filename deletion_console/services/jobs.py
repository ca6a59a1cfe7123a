"""Writes on deletion jobs: request, cancel, resume, and requeue a stalled one."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from deletion_console import dispatch
from deletion_console.engine.plan import STEPS, STORE_STEPS
from deletion_console.models import ACTIVE_STATUSES, DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.jobs import active_job_for, stale_before, was_deleted_before
from deletion_console.services import progress
from deletion_console.services.execution import CANCELLABLE_STEPS, removed_summary, state_of_data
from deletion_console.services.preview import Preview, preview
from deletion_console.stores import errors


class DeletionRefused(Exception):
    """A request the console will not carry out; the message says why and what to do."""


class TargetNotFound(DeletionRefused):
    pass


class ActiveJobExists(DeletionRefused):
    def __init__(self, job: DeletionJob):
        self.job = job
        super().__init__(f"A deletion of this {job.kind} is already {job.status} (job {job.pk}).")


class JobStateError(DeletionRefused):
    pass


def request_deletion(*, kind: str, target_id: str, user=None, confirmed: Preview | None = None) -> DeletionJob:
    """Create a job for the target and, once committed, queue its first chunk.

    The database's one-active-job-per-target constraint decides between simultaneous
    requests: the loser gets the winner's job in ActiveJobExists.
    """
    current = confirmed or preview(kind, target_id)
    if not current.exists and not was_deleted_before(kind, current.target_id):
        raise TargetNotFound(f"No {current.noun} with id {target_id!r} was found.")
    try:
        with transaction.atomic():
            job = DeletionJob.objects.create(
                kind=kind,
                target_id=current.target_id,
                target_label=current.label,
                requested_by=user if user is not None and user.is_authenticated else None,
                preview=current.counts,
                counts={store: {entity: 0 for entity in entities} for store, entities in current.counts.items()},
                steps={step: {"state": "pending"} for step in STEPS},
                current_step=STEPS[0],
                run=1,
                chunk=1,
                attempt=1,
            )
            JobEvent.objects.create(job=job, kind="requested", counts={"expected": current.total}, message=_by(user))
            _enqueue_on_commit(job, STEPS[0])
    except IntegrityError:
        existing = active_job_for(kind, current.target_id)
        if existing is None:
            raise
        raise ActiveJobExists(existing) from None
    return job


def cancel(job_id, user=None) -> DeletionJob:
    """Ask a job to stop; it does so between two batches, never in the middle of one.

    A pending job has deleted nothing, so it is cancelled at once (its queued step, if it ever
    runs, finds the job over and stands down): it does not depend on a worker being up.
    """
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if job.status not in ACTIVE_STATUSES:
            raise JobStateError(f"Job {job.pk} is {job.status}; only a pending or running job can be cancelled.")
        if job.current_step not in CANCELLABLE_STEPS:
            raise JobStateError(
                f"Job {job.pk} has deleted everything and is verifying the result; it cannot be cancelled."
            )
        JobEvent.objects.create(job=job, step=job.current_step, kind="cancel-requested", message=_by(user))
        if job.status == JobStatus.PENDING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            progress.cancelled(job.pk, job.current_step, f"Cancelled before it started. {removed_summary(job)}")
            return DeletionJob.objects.get(pk=job.pk)
        job.cancel_requested = True
        progress.touch(job)
        job.save(update_fields=["cancel_requested", "seq"])
        progress.broadcast_on_commit(job, force=True)
    return job


def resume(job_id, user=None) -> DeletionJob:
    """Run a failed or cancelled job again from the step where it stopped."""
    try:
        with transaction.atomic():
            job = DeletionJob.objects.select_for_update().get(pk=job_id)
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise JobStateError(f"Job {job.pk} is {job.status}; only a failed or cancelled job can be resumed.")
            # Residue found by verify is deleted by the store steps, not by verifying again.
            from_step = STORE_STEPS[0] if job.current_step == "verify" else job.current_step
            # The old warnings described the data before this run; the audit trail keeps them.
            previous = " ".join([job.error, *job.warnings]).strip()
            job.status = JobStatus.PENDING
            job.cancel_requested = False
            job.error = ""
            job.warnings = []
            job.finished_at = None
            job.current_step = from_step
            job.run += 1
            job.chunk += 1
            job.attempt = 1
            # The steps from there on start over: verify's residue is deleted by the store steps.
            later = STEPS[STEPS.index(from_step) :]
            job.steps = {step: _without_cursor(state) if step in later else state for step, state in job.steps.items()}
            progress.touch(job)
            job.save()
            message = f"{_by(user)}; before: {previous}" if previous else _by(user)
            JobEvent.objects.create(job=job, step=from_step, kind="resumed", message=message)
            _enqueue_on_commit(job, from_step)
    except IntegrityError:
        raise ActiveJobExists(active_job_for(job.kind, job.target_id)) from None
    return job


def requeue(job: DeletionJob, reason: str) -> None:
    """Start a new run of an active job from its current step (the watchdog's recovery)."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job.pk)
        # Checked again under the lock: the worker may have reported, or the job ended, since.
        if job.status != JobStatus.RUNNING or (job.heartbeat_at and job.heartbeat_at >= stale_before()):
            return
        job.run += 1
        job.chunk += 1
        job.heartbeat_at = timezone.now()
        progress.touch(job)
        job.save(update_fields=["run", "chunk", "heartbeat_at", "seq"])
        JobEvent.objects.create(job=job, step=job.current_step, kind="requeued", message=reason)
        _enqueue_on_commit(job, job.current_step, fail_if_unqueued=False)


def _enqueue_on_commit(job: DeletionJob, from_step: str, fail_if_unqueued: bool = True) -> None:
    # Without this, a job whose first chunk never reached the broker would stay pending forever.
    # The watchdog's own requeue just tries again on its next round instead.
    def unqueued(exc):
        current = DeletionJob.objects.get(pk=job.pk)
        progress.fail(
            job.pk,
            from_step,
            attempt=0,
            reason=f"could not queue the job: {errors.describe(exc)}",
            warning=f"{state_of_data(current, from_step)} Resume it once the broker (Redis) is reachable.",
        )

    dispatch.queue_chunk(job, on_unqueued=unqueued if fail_if_unqueued else None)


def _without_cursor(state: dict) -> dict:
    return {key: value for key, value in state.items() if key != "cursor"}


def _by(user) -> str:
    return f"by {user.get_username()}" if user is not None and user.is_authenticated else "by the command line"
