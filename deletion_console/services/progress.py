"""Recording what a job does: its state, counts, audit events and live progress messages.

Every change goes through `_change`: one short transaction that locks the job row (so the
worker never overwrites a cancel flag set by the web at the same moment), fences out a chunk
that is no longer the job's live one, bumps the sequence number, appends the audit event, and
sends the progress message after commit.
"""

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.jobs import job_snapshot
from deletion_console.services.context import Chunk

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
        (if_superseded if superseded else mutate)(job)
        job.heartbeat_at = timezone.now()
        touch(job)
        job.save()
        if callable(event):
            event = event(job)
        if event:
            run = ctx.run if ctx is not None else job.run
            JobEvent.objects.create(job=job, **{"run": run, **event})
        broadcast_on_commit(job, force=force)
    if ctx is not None:
        ctx.job = job
    if superseded:
        raise Superseded()
    return job


def _step_state(job: DeletionJob, step: str, **fields) -> None:
    job.steps = {**job.steps, step: {**job.steps.get(step, {}), **fields}}


def start_step(ctx: Chunk) -> DeletionJob:
    def mutate(job):
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or now
        job.current_step = ctx.step
        _step_state(job, ctx.step, state="running", started_at=now.isoformat(), attempt=ctx.attempt, run=job.run)

    event = {"step": ctx.step, "kind": "started", "attempt": ctx.attempt}
    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def continue_step(ctx: Chunk) -> DeletionJob:
    """The chunk's time is up: the next chunk of the same step is about to be queued."""

    def mutate(job):
        job.chunk += 1

    return _change(ctx.job.pk, mutate, ctx=ctx)


def finish_step(ctx: Chunk, seconds: float, next_step: str, counts: dict | None = None) -> DeletionJob:
    def mutate(job):
        _step_state(job, ctx.step, state="done", finished_at=timezone.now().isoformat(), seconds=round(seconds, 3))
        job.current_step = next_step
        job.attempt = 1
        job.chunk += 1

    event = {"step": ctx.step, "kind": "succeeded", "attempt": ctx.attempt, "seconds": seconds, "counts": counts or {}}
    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def record_facts(ctx: Chunk, facts: dict, warning: str | None = None) -> DeletionJob:
    def mutate(job):
        job.target_facts = {**job.target_facts, **facts}
        if facts.get("label"):
            job.target_label = facts["label"]
        if warning and warning not in job.warnings:
            job.warnings = [*job.warnings, warning]

    return _change(ctx.job.pk, mutate, ctx=ctx)


def record_batch(ctx: Chunk, *, store: str, entity: str, deleted: int, cursor: dict) -> DeletionJob:
    """Add one batch's count and move the step's cursor past it, in one transaction; the
    returned job tells the caller whether to stop. A batch that deleted nothing only moves the
    cursor: the audit trail lists what was deleted."""

    def count(job):
        if deleted:
            per_store = dict(job.counts.get(store, {}))
            per_store[entity] = per_store.get(entity, 0) + deleted
            job.counts = {**job.counts, store: per_store}
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


def record_residue(ctx: Chunk, store: str, residue: dict, cursor: dict) -> DeletionJob:
    def mutate(job):
        job.residue = {**job.residue, store: residue}
        _step_state(job, ctx.step, cursor=cursor)

    return _change(ctx.job.pk, mutate, ctx=ctx)


def retrying(ctx: Chunk, reason: str, delay: float) -> DeletionJob:
    """A transient failure: the step's next attempt is about to be queued, `delay` seconds out."""

    def mutate(job):
        _step_state(job, ctx.step, state="retrying", last_error=reason)
        job.attempt = ctx.attempt + 1
        job.chunk += 1

    message = f"{reason}; retrying in {delay:g} s"
    event = {"step": ctx.step, "kind": "retry", "attempt": ctx.attempt, "message": message}
    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def fail(job_id, step: str, attempt: int, reason: str, warning: str, ctx: Chunk | None = None) -> DeletionJob:
    def mutate(job):
        job.status = JobStatus.FAILED
        job.error = f"{step} step failed: {reason}"
        job.warnings = [*job.warnings, warning] if warning else job.warnings
        job.finished_at = timezone.now()
        _step_state(job, step, state="failed", last_error=reason, finished_at=job.finished_at.isoformat())

    return _change(
        job_id,
        mutate,
        event={"step": step, "kind": "failed", "attempt": attempt, "message": reason},
        force=True,
        ctx=ctx,
    )


def cancelled(job_id, step: str, summary: str, ctx: Chunk | None = None) -> DeletionJob:
    def mutate(job):
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.warnings = [*job.warnings, summary]
        _step_state(job, step, state="cancelled")

    return _change(
        job_id, mutate, event={"step": step, "kind": "cancelled", "counts": {}, "message": summary}, force=True, ctx=ctx
    )


def succeed(ctx: Chunk, seconds: float) -> DeletionJob:
    def mutate(job):
        now = timezone.now()
        job.status = JobStatus.SUCCEEDED
        job.progress = 100.0
        job.finished_at = now
        _step_state(job, "complete", state="done", finished_at=now.isoformat(), seconds=round(seconds, 3))

    def event(job):
        counts = {"deleted": job.total_deleted}
        return {"step": "complete", "kind": "succeeded", "attempt": ctx.attempt, "seconds": seconds, "counts": counts}

    return _change(ctx.job.pk, mutate, event=event, force=True, ctx=ctx)


def _percent(job: DeletionJob) -> float:
    expected = job.total_expected
    if not expected:
        return 0.0
    # Held below 100 until verify has proven the result.
    return min(99.0, 100.0 * job.total_deleted / expected)
