"""Writes on deletion jobs: request, cancel, resume, and requeue a stalled one.

`check_request` is the one rule for whether a confirmed request may start: the pages, the API,
the command line and the admin all ask it, so none of them can allow what another refuses.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from deletion_console import dispatch, logcontext
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, StepState
from deletion_console.selectors.jobs import (
    active_job_for,
    get_job,
    last_success_for,
    lost_reason,
    running_jobs,
    silent_workers,
)
from deletion_console.selectors.service_accounts import is_service_account
from deletion_console.services import lifecycle, outcomes, resumption, safeguards, users
from deletion_console.services.confirmation import (
    mismatch_message,
    name_matches,
    shown_preview_is_current,
    signed_by_us,
)
from deletion_console.services.errors import (
    ActiveJobExists,
    InvalidPreviewToken,
    JobIdTaken,
    JobStateError,
    NameMismatch,
    PreviewChanged,
    PreviewTokenRequired,
    TargetNotFound,
)
from deletion_console.services.execution import cancellable
from deletion_console.services.lifecycle import Action
from deletion_console.services.preview import Preview, preview

log = logging.getLogger(__name__)


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
    # name (services.bulk checks that number); the signed preview they were shown still binds.
    in_bulk: bool = False


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
    if confirmation.in_bulk:
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
    requested_for: str = "",
    bulk_request=None,
) -> DeletionJob:
    """Create a job for the target and, once committed, queue its first chunk.

    A job of a bulk request belongs to it, and waits queued while the bulk request already runs
    as many jobs as it may (lifecycle.admit).

    The database's one-active-job-per-target constraint decides between simultaneous
    requests: the loser gets the winner's job in ActiveJobExists.

    `job_id` fixes the new job's id (a message's request_id), so that a request carried twice
    cannot make two jobs: an id already taken is JobIdTaken, with that job. `by` says who asked,
    in the audit trail, when `user` cannot (default: the user, or the command line);
    `requested_for` names the person a service asked for, who may not approve it.

    A kind with safeguards (services.safeguards) gets a held job instead: awaiting a second
    approval, or scheduled for the end of its grace period with its target hidden once that
    has committed.
    """
    current = check_request(kind=kind, target_id=target_id, confirmation=confirmation)
    plan = get_plan(kind)
    guards = safeguards.for_request(kind, current.total)
    job = DeletionJob(
        **({"id": job_id} if job_id is not None else {}),
        kind=kind,
        target_id=current.target_id,
        target_label=current.label,
        requested_by=user if user is not None and user.is_authenticated else None,
        requested_for=requested_for,
        preview=current.counts,
        counts={step: dict.fromkeys(entities, 0) for step, entities in current.counts.items()},
        steps={step: {"state": StepState.PENDING} for step in plan.step_names},
        run=1,
        bulk_request=bulk_request,
    )
    try:
        with lifecycle.one_request(), transaction.atomic():
            event = {"counts": {"expected": current.total}, "message": by or users.by(user)}
            job = lifecycle.apply(job, Action.REQUEST, event=event)
            if guards.holds:
                return safeguards.hold(job.pk, guards)
            return lifecycle.admit(job.pk)
    except IntegrityError:
        taken = DeletionJob.objects.filter(pk=job_id).first() if job_id is not None else None
        if taken is not None:
            raise JobIdTaken(taken) from None
        existing = active_job_for(kind, current.target_id)
        if existing is None:
            raise
        raise ActiveJobExists(existing) from None


def cancel(job_id, user=None) -> DeletionJob:
    """Ask a job to stop; it does so between two batches, never in the middle of one.

    A job that has not started (pending, queued, scheduled or awaiting approval) has deleted
    nothing, so it is cancelled at once (a queued chunk of it, if it ever runs, finds the job
    over and stands down): it does not depend on a worker being up. A target hidden for its
    grace period is shown again.

    A person's cancel (not a service account's) is remembered: only a person may resume the job.
    """
    by_person = not is_service_account(user)

    def guard(job):
        if not cancellable(get_plan(job.kind), job.current_phase):
            raise JobStateError(
                f"Job {job.pk} has deleted everything and is verifying the result; it cannot be cancelled.", job
            )

    def flag(job):
        job.cancel_requested = True
        job.cancelled_by_person = by_person

    with transaction.atomic():
        job = lifecycle.apply(
            job_id,
            Action.CANCEL,
            guard=guard,
            mutate=flag,
            event=lambda job: {"step": job.current_phase, "message": users.by(user)},
        )
        if job.status not in lifecycle.NOT_STARTED:
            return job
        summary = f"Cancelled before it started. {outcomes.removed_summary(job, get_plan(job.kind))}"

        def stop(job):
            job.add_warning(summary)
            job.update_step(job.current_phase, state=StepState.CANCELLED)

        event = {"step": job.current_phase, "counts": {}, "message": summary}
        return lifecycle.apply(job.pk, Action.ABANDON, mutate=stop, event=event)


def resume(job_id, user=None) -> DeletionJob:
    """Run a failed or cancelled job again from where it stopped: of the phase it stopped in,
    only the steps that are not done; later phases from the start. A job of a bulk request
    waits for a place among its running jobs, as when it was requested.

    It is checked again first (services.resumption): a job a person cancelled is resumed only by
    a person; its target must still resolve (or have gone with this job), what remains of it not
    have grown beyond DELETION_RESUME_MAX_DRIFT, and the job be no older than
    DELETION_RESUME_MAX_AGE_SECONDS. The store reads come before the row lock; the rest is
    checked again under it.
    """

    def guard(job):
        if not job.is_resumable:
            raise JobStateError(f"Job {job.pk} is {job.status}; only a failed or cancelled job can be resumed.", job)
        resumption.check_who(job, user)
        resumption.check_age(job)

    stopped = get_job(job_id)
    guard(stopped)
    resumption.check_target(stopped)

    previous = {}

    def again(job):
        plan = get_plan(job.kind)
        phase = plan.phase(job.current_phase)
        if phase.name == "verify" and plan.deletion_phases:
            # Residue found by verify is deleted by the deletion steps, not by verifying again.
            phase = plan.deletion_phases[0]
            rerun = set(phase.step_names) | plan.steps_after(phase)
        else:
            not_done = {s for s in phase.step_names if job.step_state(s) != StepState.DONE}
            rerun = not_done | plan.steps_after(phase)
        # The old warnings described the data before this run; the audit trail keeps them.
        previous["text"] = " ".join([job.error, *job.warnings]).strip()
        previous["phase"] = phase.name
        job.cancel_requested = False
        job.cancelled_by_person = False
        job.error = ""
        job.warnings = []
        job.finished_at = None
        job.run += 1
        job.steps = {
            step: {"state": StepState.PENDING} if step in rerun else state for step, state in job.steps.items()
        }
        lifecycle.enter_phase(job, phase, ())

    def event(job):
        message = f"{users.by(user)}; before: {previous['text']}" if previous["text"] else users.by(user)
        return {"step": previous["phase"], "message": message}

    try:
        with transaction.atomic():
            job = lifecycle.apply(job_id, Action.RESUME, guard=guard, mutate=again, event=event)
            return lifecycle.admit(job.pk)
    except IntegrityError:
        job = DeletionJob.objects.get(pk=job_id)
        raise ActiveJobExists(active_job_for(job.kind, job.target_id)) from None


def requeue_lost() -> None:
    """The watchdog's round: start a new run of every running job whose work is presumed lost
    (selectors.jobs.lost_reason), asking the workers holding silent chunks whether they live."""
    now = timezone.now()
    running = list(running_jobs())
    holders = {worker for job in running for worker in silent_workers(job, now=now).values()}
    alive = dispatch.answering_workers(holders) if holders else set()
    for job in running:
        reason = lost_reason(job, now=now, alive=alive)
        if reason:
            with logcontext.bound(job_id=job.pk, kind=job.kind, target_id=job.target_id, step=job.current_phase):
                log.warning("requeueing deletion job: %s", reason)
                requeue(job, reason, alive=alive)


def requeue(job: DeletionJob, reason: str, *, alive: frozenset | set = frozenset()) -> None:
    """Start a new run of an active job's unfinished steps (the watchdog's recovery); a
    chunk of the old run that is in fact still going stands down at its next write."""
    steps: list[str] = []

    def guard(locked):
        # Checked again under the lock: the worker may have reported since.
        if lost_reason(locked, now=timezone.now(), alive=alive) is None:
            raise JobStateError(f"Job {locked.pk} has reported since it was found stalled.", locked)

    def new_run(locked):
        phase = get_plan(locked.kind).phase(locked.current_phase)
        locked.run += 1
        steps.extend(s for s in phase.step_names if not locked.step(s).is_over)
        for step in steps:
            locked.new_chunk(step)

    with transaction.atomic():
        try:
            job = lifecycle.apply(
                job.pk,
                Action.REQUEUE,
                guard=guard,
                mutate=new_run,
                event=lambda locked: {"step": locked.current_phase, "message": reason},
            )
        except JobStateError:
            return  # it reported, or ended, since the watchdog looked
        dispatch.queue_chunks(job, steps)
