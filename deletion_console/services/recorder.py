"""Recording what a job does: its state, counts, audit events and live progress messages.

Every change goes through `_change`: one short transaction that locks the job row (so the
worker never overwrites a cancel flag set by the web at the same moment), fences out a chunk
that is no longer its step's live one, bumps the sequence number, appends the audit event, and
sends the progress message after commit.

Steps that run side by side meet here too: the row lock makes the last of them to end the one
that sees the whole phase over, and so the one that starts the next phase or ends the job.
"""

import logging
import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deletion_console.engine.plan import Phase, Plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.jobs import job_snapshot
from deletion_console.services import events, outcomes
from deletion_console.services.context import OVER_STATES, Chunk

log = logging.getLogger(__name__)
_last_sent: dict[str, float] = {}


def group_name(job_id) -> str:
    return f"deletion-job-{job_id}"


def touch(job: DeletionJob) -> None:
    job.seq += 1


def broadcast_on_commit(job: DeletionJob, force: bool = False) -> None:
    """Send the job's snapshot to its page after commit, at most N a second unless forced."""
    key = str(job.pk)
    now = time.monotonic()
    if not force and now - _last_sent.get(key, 0.0) < 1.0 / settings.DELETION_PROGRESS_PER_SECOND:
        return
    if job.status in TERMINAL_STATUSES:
        _last_sent.pop(key, None)  # a long-lived worker must not keep one entry per job forever
    else:
        _last_sent[key] = now
    snapshot = job_snapshot(job)
    transaction.on_commit(lambda: _send(key, snapshot))


def _send(job_id: str, snapshot: dict) -> None:
    # Best effort: the job row is the truth and pages resync from a snapshot, so a Redis outage
    # must cost a progress message, never the step that was recording its work.
    try:
        async_to_sync(get_channel_layer().group_send)(group_name(job_id), {"type": "job.update", "job": snapshot})
    except Exception:
        log.warning("Could not send progress of deletion job %s", job_id, exc_info=True)


class Superseded(Exception):
    """The job moved on (a newer run or chunk, or it ended) while this chunk was still working."""


def _change(
    job_id, mutate, *, event=None, force: bool = False, ctx: Chunk | None = None, if_superseded=None
) -> DeletionJob:
    """`event` is the audit event's fields, or a function of the changed job returning them.

    With `ctx`, the change is refused unless that chunk is still the job's live one: a worker
    presumed dead by the watchdog may in fact be slow, and must not write over its successor.
    `if_superseded`, when given, is the part of the change that holds even then (what a
    superseded chunk deleted is gone all the same, and belongs in the counts and the audit
    trail): it is recorded with the event, then Superseded is raised.
    """
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        superseded = ctx is not None and not ctx.is_current(job)
        if superseded and if_superseded is None:
            raise Superseded()
        was_over = job.status in TERMINAL_STATUSES
        (if_superseded if superseded else mutate)(job)
        job.heartbeat_at = timezone.now()
        touch(job)
        job.save()
        if callable(event):
            event = event(job)
        if event:
            run = ctx.run if ctx is not None else job.run
            JobEvent.objects.create(job=job, **{"run": run, **event})
        if job.status in TERMINAL_STATUSES and not was_over:
            events.record_end(job)
            if job.batch_id:
                _start_next_of_batch_on_commit(job.batch_id)
        broadcast_on_commit(job, force=force)
    if ctx is not None:
        ctx.job = job
    if superseded:
        raise Superseded()
    return job


def _start_next_of_batch_on_commit(batch_id) -> None:
    # Imported here: batches starts jobs through the services that record through this module.
    from deletion_console.services import batches

    transaction.on_commit(lambda: batches.release_after_end(batch_id))


def _step_state(job: DeletionJob, step: str, **fields) -> None:
    job.steps = {**job.steps, step: {**job.steps.get(step, {}), **fields}}


def new_chunk(job: DeletionJob, step: str, **fields) -> None:
    """Give the step a fresh chunk number: the one message that may run it next."""
    job.chunk += 1
    _step_state(job, step, chunk=job.chunk, **fields)


def enter_phase(job: DeletionJob, phase: Phase, steps: tuple[str, ...] | None = None) -> list[str]:
    """Make `phase` the job's current one and number a first chunk for each of `steps` (default:
    all its steps); returns the steps whose chunks are to be queued."""
    job.current_step = phase.name
    names = list(steps if steps is not None else phase.step_names)
    for name in names:
        new_chunk(job, name, attempt=1)
    return names


def start_step(ctx: Chunk) -> DeletionJob:
    def mutate(job):
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or now
        _step_state(job, ctx.step, state="running", started_at=now.isoformat(), attempt=ctx.attempt, run=job.run)

    event = {"step": ctx.step, "kind": "started", "attempt": ctx.attempt}
    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def continue_step(ctx: Chunk) -> DeletionJob:
    """The chunk's time is up: the next chunk of the same step is about to be queued."""
    return _change(ctx.job.pk, lambda job: new_chunk(job, ctx.step), ctx=ctx)


@dataclass
class Ended:
    """What ending a step led to: the job as recorded, and the steps whose chunks to queue."""

    job: DeletionJob
    queue: list[str]

    @property
    def job_over(self) -> bool:
        return self.job.status in TERMINAL_STATUSES


def finish_step(ctx: Chunk, seconds: float) -> Ended:
    def event(job):
        # The last step's event is the job's: it records the total.
        counts = {"deleted": job.total_deleted} if job.status == JobStatus.SUCCEEDED else job.counts.get(ctx.step, {})
        return {"step": ctx.step, "kind": "succeeded", "attempt": ctx.attempt, "seconds": seconds, "counts": counts}

    return _end_step(ctx, event, state="done", seconds=round(seconds, 3))


def fail_step(ctx: Chunk, reason: str) -> Ended:
    event = {"step": ctx.step, "kind": "failed", "attempt": ctx.attempt, "message": reason}
    return _end_step(ctx, event, state="failed", last_error=reason)


def cancel_step(ctx: Chunk) -> Ended:
    event = {"step": ctx.step, "kind": "cancelled", "attempt": ctx.attempt, "message": "stopped by a cancel request"}
    return _end_step(ctx, event, state="cancelled")


def _end_step(ctx: Chunk, event, **fields) -> Ended:
    queue: list[str] = []

    def mutate(job):
        _step_state(job, ctx.step, finished_at=timezone.now().isoformat(), **fields)
        if fields["state"] == "done":
            events.record_step(job, ctx.step)
        queue.extend(_after_step(job, ctx.plan, ctx.plan.phase_of(ctx.step)))

    job = _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)
    return Ended(job, queue)


def _after_step(job: DeletionJob, plan: Plan, phase: Phase) -> list[str]:
    """Once no step of the phase is left to end: the next phase, the job's success, or its end."""
    states = [job.steps.get(name, {}).get("state") for name in phase.step_names]
    if not all(state in OVER_STATES for state in states):
        return []
    if all(state == "done" for state in states):
        following = plan.next_phase(phase)
        if following is not None:
            return enter_phase(job, following)
        job.status = JobStatus.SUCCEEDED
        job.progress = 100.0
        job.finished_at = timezone.now()
        return []
    job.finished_at = timezone.now()
    if "failed" in states:
        job.status = JobStatus.FAILED
        job.error = outcomes.phase_error(job, plan, phase)
        _add_warning(job, outcomes.state_of_data(job, plan))
    else:
        job.status = JobStatus.CANCELLED
        _add_warning(job, f"Cancelled during {phase.name}. {outcomes.removed_summary(job, plan)}")
    return []


def _add_warning(job: DeletionJob, warning: str | None) -> None:
    if warning and warning not in job.warnings:
        job.warnings = [*job.warnings, warning]


def record_facts(ctx: Chunk, facts: dict, warning: str | None = None) -> DeletionJob:
    def mutate(job):
        job.target_facts = {**job.target_facts, **facts}
        if facts.get("label"):
            job.target_label = facts["label"]
        _add_warning(job, warning)

    return _change(ctx.job.pk, mutate, ctx=ctx)


def record_batch(ctx: Chunk, *, entity: str, deleted: int, cursor: dict) -> DeletionJob:
    """Add one batch's count and move the step's cursor past it, in one transaction; the
    returned job tells the caller whether to stop. A batch that deleted nothing only moves the
    cursor: the audit trail lists what was deleted."""

    def count(job):
        if deleted:
            per_step = dict(job.counts.get(ctx.step, {}))
            per_step[entity] = per_step.get(entity, 0) + deleted
            job.counts = {**job.counts, ctx.step: per_step}
            job.progress = _percent(job)

    def count_and_move(job):
        count(job)
        _step_state(job, ctx.step, cursor=cursor)

    event = None
    if deleted:
        event = {"step": ctx.step, "kind": "batch", "attempt": ctx.attempt, "counts": {entity: deleted}}
    return _change(ctx.job.pk, count_and_move, event=event, ctx=ctx, if_superseded=count)


def record_heartbeat(ctx: Chunk, message: str, counts: dict, cursor: dict | None = None) -> DeletionJob:
    def mutate(job):
        if cursor is not None:
            _step_state(job, ctx.step, cursor=cursor)

    event = {"step": ctx.step, "kind": "progress", "attempt": ctx.attempt, "counts": counts, "message": message}
    return _change(ctx.job.pk, mutate, event=event, ctx=ctx)


def record_residue(ctx: Chunk, step: str, residue: dict, cursor: dict) -> DeletionJob:
    def mutate(job):
        job.residue = {**job.residue, step: residue}
        _step_state(job, ctx.step, cursor=cursor)

    return _change(ctx.job.pk, mutate, ctx=ctx)


def retrying(ctx: Chunk, reason: str, delay: float) -> DeletionJob:
    """A transient failure: the step's next attempt is about to be queued, `delay` seconds out."""

    def mutate(job):
        new_chunk(job, ctx.step, state="retrying", last_error=reason, attempt=ctx.attempt + 1)

    message = f"{reason}; retrying in {delay:g} s"
    event = {"step": ctx.step, "kind": "retry", "attempt": ctx.attempt, "message": message}
    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def fail(job_id, step: str, reason: str, warning: str) -> DeletionJob:
    """The whole job fails at once (its work could not even be queued)."""

    def mutate(job):
        job.status = JobStatus.FAILED
        job.error = f"{step} step failed: {reason}"
        _add_warning(job, warning)
        job.finished_at = timezone.now()
        _step_state(job, step, state="failed", last_error=reason, finished_at=job.finished_at.isoformat())

    event = {"step": step, "kind": "failed", "attempt": 0, "message": reason}
    return _change(job_id, mutate, event=event, force=True)


def cancelled(job_id, step: str, summary: str) -> DeletionJob:
    """The whole job is cancelled at once (it had not started)."""

    def mutate(job):
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        _add_warning(job, summary)
        _step_state(job, step, state="cancelled")

    event = {"step": step, "kind": "cancelled", "counts": {}, "message": summary}
    return _change(job_id, mutate, event=event, force=True)


def _percent(job: DeletionJob) -> float:
    expected = job.total_expected
    if not expected:
        return 0.0
    # Held below 100 until verify has proven the result.
    return min(99.0, 100.0 * job.total_deleted / expected)
