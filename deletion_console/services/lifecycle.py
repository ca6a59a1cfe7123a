"""Every change of a deletion job's status and phase: the state machine and the one function
that performs a step of it.

`TRANSITIONS` is the whole machine: for each action, the statuses it may be taken from and the
ones it may lead to; `EVENT_OF` is the one audit event each writes. `apply` performs a
transition in one short transaction: lock the job's row, fence out a chunk that is no longer its
step's live one, check the table, mutate, bump the sequence number, append the typed event, run
the end-of-job steps if the job has just ended, and broadcast its snapshot after commit.
`record` is the same for a running chunk's own records (a batch's count, a heartbeat), which
change no status. A transition's event also states the facts it established (audit_facts): the
status it led to, the request's, the approval's, the end's; the certificate is read from them.

Store-side effects run only once the transition that needs them has committed: a target is
hidden for its grace period after the job is scheduled, and shown again after a job ends that
hid it and deleted nothing. The hides of one request (`one_request`: a single one, or every
target of a bulk request) run together: if one fails, the request's held jobs are cancelled,
which shows the targets already hidden again, and the store's error reaches the caller.
"""

import enum
import logging
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deletion_console import audit_facts, dispatch
from deletion_console.engine.plan import Phase, get_plan
from deletion_console.models import (
    ACTIVE_STATUSES,
    ADMITTED_STATUSES,
    HELD_STATUSES,
    TERMINAL_STATUSES,
    BulkRequest,
    DeletionJob,
    JobEvent,
    JobEventKind,
    JobStatus,
    StepState,
)
from deletion_console.services import outbox, outcomes
from deletion_console.services.broadcast import broadcast_on_commit
from deletion_console.services.context import Chunk
from deletion_console.services.errors import JobStateError
from deletion_console.stores import errors as store_errors

log = logging.getLogger(__name__)
S = JobStatus


class Action(enum.StrEnum):
    REQUEST = "request"
    AWAIT_APPROVAL = "await-approval"
    SCHEDULE = "schedule"
    QUEUE = "queue"
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"
    END_GRACE = "end-grace"
    RUN_NOW = "run-now"
    DEQUEUE = "dequeue"
    CANCEL = "cancel"
    # A cancelled job that had not started ends at once: no chunk of it is running to stop.
    ABANDON = "abandon"
    RESUME = "resume"
    REQUEUE = "requeue"
    START_STEP = "start-step"
    RETRY_STEP = "retry-step"
    FINISH_STEP = "finish-step"
    FAIL_STEP = "fail-step"
    CANCEL_STEP = "cancel-step"
    # The first chunks of a job could not be handed to the broker.
    FAIL_UNQUEUED = "fail-unqueued"


NEW = None  # the status of a job about to be created
NOT_STARTED = (S.PENDING, S.QUEUED, *HELD_STATUSES)

TRANSITIONS: dict[Action, dict[JobStatus | None, tuple[JobStatus, ...]]] = {
    Action.REQUEST: {NEW: (S.PENDING,)},
    Action.AWAIT_APPROVAL: {S.PENDING: (S.AWAITING_APPROVAL,)},
    Action.SCHEDULE: {S.PENDING: (S.SCHEDULED,)},
    Action.QUEUE: {S.PENDING: (S.QUEUED,)},
    Action.APPROVE: {S.AWAITING_APPROVAL: (S.PENDING,)},
    Action.REJECT: {S.AWAITING_APPROVAL: (S.CANCELLED,)},
    Action.EXPIRE: {S.AWAITING_APPROVAL: (S.CANCELLED,)},
    Action.END_GRACE: {S.SCHEDULED: (S.PENDING,)},
    Action.RUN_NOW: {S.SCHEDULED: (S.PENDING,)},
    Action.DEQUEUE: {S.QUEUED: (S.PENDING,)},
    # A running job only records the request: it stops between two batches (CANCEL_STEP).
    Action.CANCEL: {status: (status,) for status in ACTIVE_STATUSES},
    Action.ABANDON: {status: (S.CANCELLED,) for status in NOT_STARTED},
    Action.RESUME: {S.FAILED: (S.PENDING,), S.CANCELLED: (S.PENDING,)},
    Action.REQUEUE: {S.RUNNING: (S.RUNNING,)},
    Action.START_STEP: {S.PENDING: (S.RUNNING,), S.RUNNING: (S.RUNNING,)},
    Action.RETRY_STEP: {S.RUNNING: (S.RUNNING,)},
    # A step's end ends the job only once no step of its phase is left running.
    Action.FINISH_STEP: {S.RUNNING: (S.RUNNING, S.SUCCEEDED)},
    Action.FAIL_STEP: {S.RUNNING: (S.RUNNING, S.FAILED)},
    Action.CANCEL_STEP: {S.RUNNING: (S.RUNNING, S.CANCELLED)},
    Action.FAIL_UNQUEUED: {S.PENDING: (S.FAILED,)},
}

EVENT_OF: dict[Action, JobEventKind] = {
    Action.REQUEST: JobEventKind.REQUESTED,
    Action.AWAIT_APPROVAL: JobEventKind.AWAITING_APPROVAL,
    Action.SCHEDULE: JobEventKind.SCHEDULED,
    Action.QUEUE: JobEventKind.QUEUED,
    Action.APPROVE: JobEventKind.APPROVED,
    Action.REJECT: JobEventKind.REJECTED,
    Action.EXPIRE: JobEventKind.EXPIRED,
    Action.END_GRACE: JobEventKind.GRACE_PERIOD_OVER,
    Action.RUN_NOW: JobEventKind.RUN_NOW,
    Action.DEQUEUE: JobEventKind.DEQUEUED,
    Action.CANCEL: JobEventKind.CANCEL_REQUESTED,
    Action.ABANDON: JobEventKind.CANCELLED,
    Action.RESUME: JobEventKind.RESUMED,
    Action.REQUEUE: JobEventKind.REQUEUED,
    Action.START_STEP: JobEventKind.STARTED,
    Action.RETRY_STEP: JobEventKind.RETRY,
    Action.FINISH_STEP: JobEventKind.SUCCEEDED,
    Action.FAIL_STEP: JobEventKind.FAILED,
    Action.CANCEL_STEP: JobEventKind.CANCELLED,
    Action.FAIL_UNQUEUED: JobEventKind.FAILED,
}

# What a refusal says may be done instead, in the words of the person who tried.
ONLY = {
    Action.CANCEL: "only a pending or running job can be cancelled, or one still scheduled or awaiting approval",
    Action.RESUME: "only a failed or cancelled job can be resumed",
    Action.RUN_NOW: "only a scheduled job can be run now",
    Action.APPROVE: "only a job awaiting approval can be decided on",
    Action.REJECT: "only a job awaiting approval can be decided on",
}
# A running chunk's own records: they change no status.
RECORD_EVENTS = (JobEventKind.BATCH, JobEventKind.PROGRESS)


class Superseded(Exception):
    """The job moved on (a newer run or chunk, or it ended) while this chunk was still working."""


def require(job: DeletionJob, action: Action, *, status: JobStatus | None = ...) -> tuple[JobStatus, ...]:
    """The statuses `action` may lead `job` (in `status`, default its own) to, or the refusal
    (JobStateError) saying why not."""
    allowed = TRANSITIONS[action].get(job.status if status is ... else status)
    if allowed is None:
        only = ONLY.get(action, f"{action} is not allowed then")
        raise JobStateError(f"Job {job.pk} is {job.status}; {only}.", job)
    return allowed


def apply(job, action: Action, *, event=None, mutate=None, guard=None, ctx: Chunk | None = None) -> DeletionJob:
    """Take `action` on the job (its id; for REQUEST, the new unsaved job) and return it as saved.

    `guard(job)`, under the lock, may refuse with a DeletionRefused beyond what the table says.
    `mutate(job)` makes the action's own change, and returns the status it leads to where the
    table allows several. `event` is the audit event's fields besides its kind (step, message,
    counts, attempt, seconds), or a function of the changed job returning them. With `ctx`, the
    change is refused (Superseded) unless that chunk is still its step's live one: a worker
    presumed dead by the watchdog may in fact be slow, and must not write over its successor.
    """
    new = isinstance(job, DeletionJob) and job._state.adding
    with transaction.atomic():
        locked = job if new else _lock(job)
        if ctx is not None and not ctx.is_current(locked):
            raise Superseded()
        before = NEW if new else locked.status
        allowed = require(locked, action, status=before)
        if guard is not None:
            guard(locked)
        if new:
            # A new job is at its plan's first phase; its chunks are numbered when it starts.
            enter_phase(locked, get_plan(locked.kind).phases[0], ())
        _claim(locked, ctx)
        outcome = (mutate(locked) if mutate is not None else None) or allowed[0]
        if outcome not in allowed:
            raise ValueError(f"{action} cannot lead a {before} job to {outcome}")
        _enter(locked, outcome)
        _save(locked)
        fields = event(locked) if callable(event) else (event or {})
        run = ctx.run if ctx is not None else locked.run
        facts = audit_facts.of_transition(locked, requested=new, approved=action is Action.APPROVE)
        JobEvent.objects.create(job=locked, kind=EVENT_OF[action], run=run, facts=facts, **fields)
        if outcome in TERMINAL_STATUSES and before not in TERMINAL_STATUSES:
            _end_of_job(locked)
        if action is Action.SCHEDULE:
            _hide_after_commit(locked)
        broadcast_on_commit(locked, force=True)
    if ctx is not None:
        ctx.job = locked
    return locked


def record(ctx: Chunk, mutate, *, event=None, if_superseded=None, force: bool = False) -> DeletionJob:
    """A running chunk's own record, fenced as `apply` fences; `event`, if any, holds its kind.

    `if_superseded`, when given, is the part of the record that holds even for a superseded
    chunk (what it deleted is gone all the same, and belongs in the counts and the audit trail):
    it is recorded with the event, then Superseded is raised.
    """
    if event and event["kind"] not in RECORD_EVENTS:
        raise ValueError(f"{event['kind']} is a transition's event, not a record's")
    with transaction.atomic():
        job = _lock(ctx.job.pk)
        superseded = not ctx.is_current(job)
        if superseded and if_superseded is None:
            raise Superseded()
        status = job.status
        if not superseded:
            _claim(job, ctx)
        (if_superseded if superseded else mutate)(job)
        if job.status != status:
            raise ValueError("a record changes no status: take a transition (lifecycle.apply)")
        _save(job)
        if event:
            JobEvent.objects.create(job=job, run=ctx.run, **event)
        broadcast_on_commit(job, force=force)
    ctx.job = job
    if superseded:
        raise Superseded()
    return job


def _claim(job: DeletionJob, ctx: Chunk | None) -> None:
    # Before the change itself: a change that numbers the step's next chunk clears the claim,
    # as that chunk waits in the queue for whichever worker takes it.
    if ctx is not None and ctx.worker:
        job.update_step(ctx.step, worker=ctx.worker, beat_at=timezone.now().isoformat())


def _lock(job_id) -> DeletionJob:
    return DeletionJob.objects.select_for_update().get(pk=getattr(job_id, "pk", job_id))


def _enter(job: DeletionJob, status: JobStatus) -> None:
    now = timezone.now()
    if status == S.RUNNING:
        job.started_at = job.started_at or now
    if status in TERMINAL_STATUSES:
        job.finished_at = job.finished_at or now
    job.status = status


def _save(job: DeletionJob) -> None:
    job.heartbeat_at = timezone.now()
    job.seq += 1
    job.save()


# --- phases and admission ----------------------------------------------------------------------


def enter_phase(
    job: DeletionJob, phase: Phase, steps: tuple[str, ...] | None = None, *, by: list | None = None
) -> list[str]:
    """Make `phase` the job's current one and number a first chunk for each of `steps` (default:
    all its steps), by the message `by` if a chunk's task does it; returns the steps whose chunks
    are to be queued."""
    job.current_phase = phase.name
    names = list(steps if steps is not None else phase.step_names)
    for name in names:
        job.new_chunk(name, by=by, attempt=1)
    return names


def renumber(job_id, message: list) -> tuple[DeletionJob, list[str]]:
    """The unfinished steps of the job's live run whose current chunk the task of `message`
    numbered, numbered afresh for it: its redelivery goes on with them, and a message for the
    old number that did go out is superseded, so that no chunk runs twice at once."""
    with transaction.atomic():
        job = _lock(job_id)
        if job.status in TERMINAL_STATUSES or job.run != message[1]:
            return job, []
        steps = [name for name in job.steps if job.step(name).numbered_by == message and not job.step(name).is_over]
        for name in steps:
            job.new_chunk(name, by=message)
        if steps:
            _save(job)
    return job, steps


def admit(job_id) -> DeletionJob:
    """Start a job that may now run (requested, released or resumed, and pending): its current
    phase's unfinished steps are queued, unless its bulk request already runs as many jobs as
    it may; then it waits, queued, for one of them to end."""
    with transaction.atomic():
        job = _lock(job_id)
        if job.bulk_request_id is not None and not _has_place(job):
            limit = job.bulk_request.max_running
            message = f"waits for one of its bulk request's {limit} running jobs to end"
            return apply(job.pk, Action.QUEUE, event={"message": message})
        return _start(job)


def _has_place(job: DeletionJob) -> bool:
    # The bulk request's row lock makes two jobs admitted at once count each other.
    bulk = BulkRequest.objects.select_for_update().get(pk=job.bulk_request_id)
    running = bulk.jobs.filter(status__in=ADMITTED_STATUSES).exclude(pk=job.pk).count()
    return running < bulk.max_running


def _start(job: DeletionJob) -> DeletionJob:
    """Under the job's lock: queue its current phase's unfinished steps once this commits."""
    phase = get_plan(job.kind).phase(job.current_phase)
    steps = enter_phase(job, phase, tuple(s for s in phase.step_names if not job.step(s).is_over))
    _save(job)
    _queue_first_chunks(job, steps)
    broadcast_on_commit(job, force=True)
    return job


def _queue_first_chunks(job: DeletionJob, steps: list[str]) -> None:
    # Without this, a job whose first chunk never reached the broker would stay pending forever.
    def unqueued(exc):
        step, reason = steps[0], f"could not queue the job: {store_errors.describe(exc)}"

        def fail(locked):
            locked.error = f"{step} step failed: {reason}"
            state = outcomes.state_of_data(locked, get_plan(locked.kind))
            broker = "Redis" if settings.CELERY_BROKER_URL.startswith("redis") else "RabbitMQ"
            locked.add_warning(f"{state} Resume it once the broker ({broker}) is reachable.")
            now = timezone.now().isoformat()
            locked.update_step(step, state=StepState.FAILED, last_error=reason, finished_at=now)

        with suppress(JobStateError):  # cancelled meanwhile: nothing is left to fail
            apply(job.pk, Action.FAIL_UNQUEUED, mutate=fail, event={"step": step, "attempt": 0, "message": reason})

    dispatch.queue_chunks(job, steps, on_unqueued=unqueued)


def release_queued(bulk_request_id) -> list[DeletionJob]:
    """Start the bulk request's queued jobs, oldest first, while fewer than its limit run.

    Called once a job of it has ended (and by beat, as a backstop). The bulk request's row lock
    makes two jobs ending at once start one successor each, not the same one twice.
    """
    started = []
    with transaction.atomic():
        bulk = BulkRequest.objects.select_for_update().get(pk=bulk_request_id)
        free = bulk.max_running - bulk.jobs.filter(status__in=ADMITTED_STATUSES).count()
        waiting = bulk.jobs.filter(status=S.QUEUED).order_by("created_at", "pk").values_list("pk", flat=True)
        for job_id in list(waiting[: max(free, 0)]):
            try:
                job = apply(job_id, Action.DEQUEUE, event={"message": "a place among its bulk request's jobs is free"})
            except JobStateError:
                continue  # cancelled since it was listed
            started.append(_start(job))
    return started


def _release_after_end(bulk_request_id) -> None:
    # Best effort: beat starts whatever this misses.
    try:
        release_queued(bulk_request_id)
    except Exception:
        log.warning("Could not start the queued jobs of bulk request %s; beat will", bulk_request_id, exc_info=True)


# --- the end of a job ----------------------------------------------------------------------------


def _end_of_job(job: DeletionJob) -> None:
    """Every end, whichever transition reached it: the event other services hear, the bulk
    request's next job, and the target shown again if this job hid it and deleted nothing."""
    outbox.record_end(job)
    if job.bulk_request_id:
        transaction.on_commit(partial(_release_after_end, job.bulk_request_id))
    if job.status != S.SUCCEEDED and _left_hidden(job):
        transaction.on_commit(partial(_show, job.kind, job.target_id))


def _left_hidden(job: DeletionJob) -> bool:
    # Hidden by the validate step (it found the target) or for a grace period; once anything is
    # deleted the target stays hidden, half gone, until a resume finishes it.
    hidden = job.target_facts.get("found") or job.run_after is not None
    plan = get_plan(job.kind)
    return bool(hidden) and all(job.step_state(step.name) == StepState.PENDING for step in plan.deletion_steps)


def _show(kind: str, target_id: str) -> None:
    target = get_plan(kind).target
    try:
        found = target.find(target_id)
        if found is not None:
            target.unhide(found)
    except Exception:  # the job's end stands; a target left hidden is logged, not fatal
        log.exception("Could not show %s %s again", kind, target_id)


# --- hiding a target for its grace period ------------------------------------------------------

_request_hides: ContextVar[list | None] = ContextVar("request_hides", default=None)


@contextmanager
def one_request():
    """The hides of the transitions made inside run together once they have committed (see the
    module's docstring); a request refused inside hides nothing."""
    if _request_hides.get() is not None:
        yield  # part of an enclosing request, which runs them
        return
    hides: list[int] = []
    token = _request_hides.set(hides)
    try:
        yield
    finally:
        _request_hides.reset(token)
    if hides:
        transaction.on_commit(partial(_hide_all, hides))


def _hide_after_commit(job: DeletionJob) -> None:
    hides = _request_hides.get()
    if hides is not None:
        hides.append(job.pk)
    else:
        transaction.on_commit(partial(_hide_all, [job.pk]))


def _hide_all(job_ids: list) -> None:
    for job_id in job_ids:
        job = DeletionJob.objects.get(pk=job_id)
        try:
            target = get_plan(job.kind).target
            found = target.find(job.target_id)
            if found is not None:
                target.hide(found)
        except Exception as exc:
            _abandon(job_ids, f"the target could not be hidden for its grace period ({exc.__class__.__name__})")
            raise


def _abandon(job_ids: list, reason: str) -> None:
    def warn(job):
        job.add_warning(f"Cancelled before it started: {reason}. Nothing was deleted.")

    for job_id in job_ids:
        with suppress(JobStateError):  # it moved on meanwhile (cancelled by a person, say)
            apply(job_id, Action.ABANDON, event={"message": f"{reason}; nothing was deleted"}, mutate=warn)
