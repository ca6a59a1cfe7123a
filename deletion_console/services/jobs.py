"""Writes on deletion jobs: request, cancel, resume, and requeue a stalled one.

`check_request` is the one rule for whether a confirmed request may start: the pages, the API,
the command line and the admin all ask it, so none of them can allow what another refuses.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from deletion_console import dispatch
from deletion_console.engine.plan import get_plan
from deletion_console.models import ACTIVE_STATUSES, HELD_STATUSES, DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.jobs import active_job_for, last_success_for, stale_before
from deletion_console.services import outcomes, progress, safeguards
from deletion_console.services.confirmation import (
    mismatch_message,
    name_matches,
    shown_preview_is_current,
    signed_by_us,
)
from deletion_console.services.context import OVER_STATES
from deletion_console.services.execution import cancellable
from deletion_console.services.preview import Preview, preview
from deletion_console.stores import errors


class DeletionRefused(Exception):
    """A request the console will not carry out; the message says why and what to do."""


class TargetNotFound(DeletionRefused):
    pass


class NameMismatch(DeletionRefused):
    pass


class PreviewChanged(DeletionRefused):
    """What would be deleted is no longer what the person was shown; `current` is what is."""

    def __init__(self, current: Preview):
        self.current = current
        super().__init__(
            "What would be deleted has changed since it was previewed. Review the new counts and confirm again."
        )


class ActiveJobExists(DeletionRefused):
    def __init__(self, job: DeletionJob):
        self.job = job
        super().__init__(f"A deletion of this {job.kind} is already {job.status} (job {job.pk}).")


class JobStateError(DeletionRefused):
    pass


class PreviewTokenRequired(DeletionRefused):
    pass


class InvalidPreviewToken(DeletionRefused):
    pass


class JobIdTaken(DeletionRefused):
    """The id the caller chose for the new job already names a job (`job`)."""

    def __init__(self, job: DeletionJob):
        self.job = job
        super().__init__(f"Job id {job.pk} is already taken, by a deletion of {job.kind} {job.target_id!r}.")


@dataclass(frozen=True)
class Confirmation:
    """How the requester confirmed: the name they typed, and the signed preview they were shown
    (the confirm page and the command line show one; an API caller may send it back).

    A service account (`by_service`) cannot type a name: the signed preview it sends back,
    which names the target it was shown, stands for it, and is then required.

    A request by message (`by_message`, services.intake) cannot type a name either, and is not
    asked to: its publisher, an internal service on the internal broker, confirmed with its user
    before publishing, as seed 000's Django does once the user clicked Delete. Everything else
    is checked as for any request, and a preview it sends back must still be current.
    """

    typed_name: str = ""
    shown: str | None = None
    by_service: bool = False
    by_message: bool = False
    # One target of a bulk request: the person typed how many targets it deletes instead of each
    # name (services.batches checks that number); the signed preview they were shown still binds.
    in_batch: bool = False


def check_request(*, kind: str, target_id: str, confirmation: Confirmation) -> Preview:
    """The preview a job may be created against, or the reason it may not (DeletionRefused).

    A target that is gone may be requested again only if an earlier job deleted it: that second
    run removes whatever remains (nothing, normally) and succeeds, so repeating a request is safe.
    """
    running = active_job_for(kind, target_id)
    if running is not None:
        raise ActiveJobExists(running)
    current = preview(kind, target_id)
    if not current.exists:
        earlier = last_success_for(kind, current.target_id)
        if earlier is None:
            raise TargetNotFound(f"No {current.noun} with id {target_id!r} was found.")
    if confirmation.by_service:
        _check_service_confirmation(current, confirmation)
        return current
    if confirmation.by_message:
        if confirmation.shown is not None:
            _check_shown_token(current, confirmation.shown)
        return current
    if confirmation.in_batch:
        if not confirmation.shown:
            raise PreviewTokenRequired("A target of a bulk request is confirmed with the preview it was shown.")
        _check_shown_token(current, confirmation.shown)
        return current
    if not name_matches(current, confirmation.typed_name):
        raise NameMismatch(mismatch_message(current))
    if confirmation.shown is not None and not shown_preview_is_current(confirmation.shown, current):
        raise PreviewChanged(current)
    return current


def _check_service_confirmation(current: Preview, confirmation: Confirmation) -> None:
    if not confirmation.shown:
        raise PreviewTokenRequired(
            "A service account confirms with the preview_token of the target's preview; it cannot type a name."
        )
    if confirmation.typed_name and not name_matches(current, confirmation.typed_name):
        raise NameMismatch(mismatch_message(current))
    _check_shown_token(current, confirmation.shown)


def _check_shown_token(current: Preview, token: str) -> None:
    if not signed_by_us(token):
        raise InvalidPreviewToken("The preview_token was not issued by this console, or was altered.")
    # The signed preview binds the target, its name and its counts: any change since is a 409.
    if not shown_preview_is_current(token, current):
        raise PreviewChanged(current)


def request_deletion(
    *,
    kind: str,
    target_id: str,
    confirmation: Confirmation,
    user=None,
    job_id=None,
    by: str | None = None,
    batch=None,
    queued: bool = False,
) -> DeletionJob:
    """Create a job for the target and, once committed, queue its first chunk.

    A job of a bulk request belongs to its `batch`; `queued`, it waits for a place among the
    batch's running jobs instead (services.batches starts it).

    The database's one-active-job-per-target constraint decides between simultaneous
    requests: the loser gets the winner's job in ActiveJobExists.

    `job_id` fixes the new job's id (a message's request_id), so that a request carried twice
    cannot make two jobs: an id already taken is JobIdTaken, with that job. `by` says who asked,
    in the audit trail, when `user` cannot (default: the user, or the command line).

    A kind with safeguards (services.safeguards) gets a held job instead: awaiting a second
    approval, or scheduled for the end of its grace period with the target hidden at once.
    """
    current = check_request(kind=kind, target_id=target_id, confirmation=confirmation)
    plan = get_plan(kind)
    guards = safeguards.for_request(kind, current.total)
    try:
        with transaction.atomic():
            job = DeletionJob(
                **({"id": job_id} if job_id is not None else {}),
                kind=kind,
                target_id=current.target_id,
                target_label=current.label,
                requested_by=user if user is not None and user.is_authenticated else None,
                preview=current.counts,
                counts={step: dict.fromkeys(entities, 0) for step, entities in current.counts.items()},
                steps={step: {"state": "pending"} for step in plan.step_names},
                run=1,
                batch=batch,
            )
            requester = by or _by(user)
            if guards.holds:
                _hold(job, guards, requester, expected=current.total)
                return job
            if queued:
                _queue(job, requester, expected=current.total)
                return job
            first = progress.enter_phase(job, plan.phases[0])
            job.save()
            JobEvent.objects.create(job=job, kind="requested", counts={"expected": current.total}, message=requester)
            _enqueue_on_commit(job, first)
    except IntegrityError:
        taken = DeletionJob.objects.filter(pk=job_id).first() if job_id is not None else None
        if taken is not None:
            raise JobIdTaken(taken) from None
        existing = active_job_for(kind, current.target_id)
        if existing is None:
            raise
        raise ActiveJobExists(existing) from None
    return job


def _hold(job: DeletionJob, guards, requester: str, *, expected: int) -> None:
    job.current_step = get_plan(job.kind).phases[0].name
    safeguards.hold(job, guards)
    job.save()  # first: a request that loses the race for the target must not hide it
    JobEvent.objects.create(job=job, kind="requested", counts={"expected": expected}, message=requester)
    safeguards.held_event(job)
    if job.status == JobStatus.SCHEDULED:
        safeguards.hide_target(job)


def _queue(job: DeletionJob, requester: str, *, expected: int) -> None:
    job.status = JobStatus.QUEUED
    job.current_step = get_plan(job.kind).phases[0].name
    job.save()
    JobEvent.objects.create(job=job, kind="requested", counts={"expected": expected}, message=requester)
    JobEvent.objects.create(
        job=job, kind="queued", message=f"waits for one of its batch's {job.batch.max_running} running jobs to end"
    )


def cancel(job_id, user=None) -> DeletionJob:
    """Ask a job to stop; it does so between two batches, never in the middle of one.

    A pending job has deleted nothing, so it is cancelled at once (its queued step, if it ever
    runs, finds the job over and stands down): it does not depend on a worker being up. So is a
    held one (scheduled or awaiting approval); a target hidden for its grace period is shown again.
    """
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        plan = get_plan(job.kind)
        if job.status not in ACTIVE_STATUSES:
            raise JobStateError(
                f"Job {job.pk} is {job.status}; only a pending or running job can be cancelled, "
                "or one still scheduled or awaiting approval."
            )
        if not cancellable(plan, job.current_step):
            raise JobStateError(
                f"Job {job.pk} has deleted everything and is verifying the result; it cannot be cancelled."
            )
        JobEvent.objects.create(job=job, step=job.current_step, kind="cancel-requested", message=_by(user))
        job.cancel_requested = True
        if job.status in (JobStatus.PENDING, JobStatus.QUEUED, *HELD_STATUSES):
            job.save(update_fields=["cancel_requested"])
            summary = f"Cancelled before it started. {outcomes.removed_summary(job, plan)}"
            if job.run_after is not None and job.started_at is None:
                transaction.on_commit(lambda: safeguards.show_target(job))
            return progress.cancelled(job.pk, job.current_step, summary)
        progress.touch(job)
        job.save(update_fields=["cancel_requested", "seq"])
        progress.broadcast_on_commit(job, force=True)
    return job


def resume(job_id, user=None) -> DeletionJob:
    """Run a failed or cancelled job again from where it stopped: of the phase it stopped in,
    only the steps that are not done; later phases from the start."""
    try:
        with transaction.atomic():
            job = DeletionJob.objects.select_for_update().get(pk=job_id)
            if not job.is_resumable:
                raise JobStateError(f"Job {job.pk} is {job.status}; only a failed or cancelled job can be resumed.")
            plan = get_plan(job.kind)
            phase = plan.phase(job.current_step)
            if phase.name == "verify" and plan.deletion_phases:
                # Residue found by verify is deleted by the deletion steps, not by verifying again.
                phase = plan.deletion_phases[0]
                again = set(phase.step_names) | plan.steps_after(phase)
            else:
                not_done = {s for s in phase.step_names if job.steps.get(s, {}).get("state") != "done"}
                again = not_done | plan.steps_after(phase)
            # The old warnings described the data before this run; the audit trail keeps them.
            previous = " ".join([job.error, *job.warnings]).strip()
            job.status = JobStatus.PENDING
            job.cancel_requested = False
            job.error = ""
            job.warnings = []
            job.finished_at = None
            job.run += 1
            job.steps = {step: {"state": "pending"} if step in again else state for step, state in job.steps.items()}
            first = progress.enter_phase(job, phase, [s for s in phase.step_names if s in again])
            progress.touch(job)
            job.save()
            message = f"{_by(user)}; before: {previous}" if previous else _by(user)
            JobEvent.objects.create(job=job, step=phase.name, kind="resumed", message=message)
            _enqueue_on_commit(job, first)
    except IntegrityError:
        raise ActiveJobExists(active_job_for(job.kind, job.target_id)) from None
    return job


def requeue(job: DeletionJob, reason: str) -> None:
    """Start a new run of an active job's unfinished steps (the watchdog's recovery)."""
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job.pk)
        # Checked again under the lock: the worker may have reported, or the job ended, since.
        if job.status != JobStatus.RUNNING or (job.heartbeat_at and job.heartbeat_at >= stale_before()):
            return
        phase = get_plan(job.kind).phase(job.current_step)
        job.run += 1
        job.heartbeat_at = timezone.now()
        steps = [s for s in phase.step_names if job.steps.get(s, {}).get("state") not in OVER_STATES]
        for step in steps:
            progress.new_chunk(job, step)
        progress.touch(job)
        job.save(update_fields=["run", "chunk", "steps", "heartbeat_at", "seq"])
        JobEvent.objects.create(job=job, step=job.current_step, kind="requeued", message=reason)
        dispatch.queue_chunks(job, steps)


def _enqueue_on_commit(job: DeletionJob, steps: list[str]) -> None:
    # Without this, a job whose first chunk never reached the broker would stay pending forever.
    def unqueued(exc):
        state = outcomes.state_of_data(DeletionJob.objects.get(pk=job.pk), get_plan(job.kind))
        progress.fail(
            job.pk,
            steps[0],
            reason=f"could not queue the job: {errors.describe(exc)}",
            warning=f"{state} Resume it once the broker (Redis) is reachable.",
        )

    dispatch.queue_chunks(job, steps, on_unqueued=unqueued)


def _by(user) -> str:
    return f"by {user.get_username()}" if user is not None and user.is_authenticated else "by the command line"
