"""Recording what a job does: its state, counts, audit events and live progress messages.

Every change goes through `_change`: one short transaction that locks the job row (so the
worker never overwrites a cancel flag set by the web at the same moment), bumps the sequence
number, appends the audit event, and sends the progress message after commit.
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
    """The job moved on (a newer run, or it ended) while this run was still working on it."""


def _change(job_id, mutate, *, event=None, force: bool = False, run: int | None = None) -> DeletionJob:
    """`event` is the audit event's fields, or a function of the changed job returning them.

    With `run`, the change is refused unless that run is still the job's live one: a worker
    presumed dead by the watchdog may in fact be slow, and must not write over its successor.
    """
    with transaction.atomic():
        job = DeletionJob.objects.select_for_update().get(pk=job_id)
        if run is not None and (job.run != run or job.status in TERMINAL_STATUSES):
            raise Superseded()
        mutate(job)
        job.heartbeat_at = timezone.now()
        touch(job)
        job.save()
        if callable(event):
            event = event(job)
        if event:
            JobEvent.objects.create(job=job, **event)
        broadcast_on_commit(job, force=force)
    return job


def _step_state(job: DeletionJob, step: str, **fields) -> None:
    job.steps = {**job.steps, step: {**job.steps.get(step, {}), **fields}}


def start_step(job_id, step: str, attempt: int, run: int | None = None) -> DeletionJob:
    def mutate(job):
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or now
        job.current_step = step
        job.attempt = attempt
        _step_state(job, step, state="running", started_at=now.isoformat(), attempt=attempt, run=job.run)

    return _change(job_id, mutate, event={"step": step, "kind": "started", "attempt": attempt}, force=True, run=run)


def finish_step(
    job_id, step: str, seconds: float, attempt: int, counts: dict | None = None, run: int | None = None
) -> DeletionJob:
    def mutate(job):
        _step_state(job, step, state="done", finished_at=timezone.now().isoformat(), seconds=round(seconds, 3))

    event = {"step": step, "kind": "succeeded", "attempt": attempt, "seconds": seconds, "counts": counts or {}}
    return _change(job_id, mutate, event=event, force=True, run=run)


def record_facts(job_id, facts: dict, warning: str | None = None, run: int | None = None) -> DeletionJob:
    def mutate(job):
        job.target_facts = {**job.target_facts, **facts}
        if facts.get("label"):
            job.target_label = facts["label"]
        if warning and warning not in job.warnings:
            job.warnings = [*job.warnings, warning]

    return _change(job_id, mutate, run=run)


def record_batch(
    job_id, step: str, store: str, entity: str, deleted: int, attempt: int, run: int | None = None
) -> DeletionJob:
    """Add one batch's count; the returned job tells the caller whether to stop."""

    def mutate(job):
        per_store = dict(job.counts.get(store, {}))
        per_store[entity] = per_store.get(entity, 0) + deleted
        job.counts = {**job.counts, store: per_store}
        job.progress = _percent(job)

    event = {"step": step, "kind": "batch", "attempt": attempt, "counts": {entity: deleted}}
    return _change(job_id, mutate, event=event, run=run)


def record_heartbeat(
    job_id, step: str, message: str, counts: dict, attempt: int, run: int | None = None
) -> DeletionJob:
    return _change(
        job_id,
        lambda job: None,
        event={"step": step, "kind": "progress", "attempt": attempt, "counts": counts, "message": message},
        run=run,
    )


def record_residue(job_id, residue: dict, run: int | None = None) -> DeletionJob:
    def mutate(job):
        job.residue = residue

    return _change(job_id, mutate, run=run)


def retrying(job_id, step: str, attempt: int, reason: str, delay: float, run: int | None = None) -> DeletionJob:
    def mutate(job):
        _step_state(job, step, state="retrying", last_error=reason)

    message = f"{reason}; retrying in {delay:g} s"
    return _change(
        job_id,
        mutate,
        event={"step": step, "kind": "retry", "attempt": attempt, "message": message},
        force=True,
        run=run,
    )


def fail(job_id, step: str, attempt: int, reason: str, warning: str, run: int | None = None) -> DeletionJob:
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
        run=run,
    )


def cancelled(job_id, step: str, summary: str, run: int | None = None) -> DeletionJob:
    def mutate(job):
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.warnings = [*job.warnings, summary]
        _step_state(job, step, state="cancelled")

    return _change(
        job_id, mutate, event={"step": step, "kind": "cancelled", "counts": {}, "message": summary}, force=True, run=run
    )


def succeed(job_id, seconds: float, attempt: int, run: int | None = None) -> DeletionJob:
    def mutate(job):
        now = timezone.now()
        job.status = JobStatus.SUCCEEDED
        job.progress = 100.0
        job.finished_at = now
        _step_state(job, "complete", state="done", finished_at=now.isoformat(), seconds=round(seconds, 3))

    def event(job):
        counts = {"deleted": job.total_deleted}
        return {"step": "complete", "kind": "succeeded", "attempt": attempt, "seconds": seconds, "counts": counts}

    return _change(job_id, mutate, event=event, force=True, run=run)


def _percent(job: DeletionJob) -> float:
    expected = job.total_expected
    if not expected:
        return 0.0
    # Held below 100 until verify has proven the result.
    return min(99.0, 100.0 * job.total_deleted / expected)
