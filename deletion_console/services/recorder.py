"""What a running chunk records on its job: its step's start and end, each batch's count, its
heartbeats, the residue measured and the facts found about the target.

Each record goes through the lifecycle (`lifecycle.apply` for a step's start and end, which may
move the job on, `lifecycle.record` for the rest): one short transaction that locks the job row
(so the worker never overwrites a cancel flag set by the web at the same moment), fences out a
chunk that is no longer its step's live one, and sends the progress message after commit.

Steps that run side by side meet here too: the row lock makes the last of them to end the one
that sees the whole phase over, and so the one that starts the next phase or ends the job.
"""

import time
from dataclasses import dataclass

import django.db
from django.conf import settings
from django.db import connection
from django.utils import timezone

from deletion_console.engine.plan import Phase, Plan
from deletion_console.models import (
    OVER_STATES,
    TERMINAL_STATUSES,
    DeletionJob,
    InFlightBatch,
    JobEventKind,
    JobStatus,
    StepState,
)
from deletion_console.services import lifecycle, outbox, outcomes
from deletion_console.services.context import Chunk
from deletion_console.services.lifecycle import Action


def start_step(ctx: Chunk) -> DeletionJob:
    def mutate(job):
        now = timezone.now().isoformat()
        job.update_step(ctx.step, state=StepState.RUNNING, started_at=now, attempt=ctx.attempt, run=job.run)
        return JobStatus.RUNNING

    event = {"step": ctx.step, "attempt": ctx.attempt}
    return lifecycle.apply(ctx.job.pk, Action.START_STEP, mutate=mutate, event=event, ctx=ctx)


def claim(ctx: Chunk) -> DeletionJob:
    """The chunk has started on a step already under way: its worker now holds the step."""
    return lifecycle.record(ctx, lambda job: None)


def continue_step(ctx: Chunk) -> DeletionJob:
    """The chunk's time is up: the next chunk of the same step is about to be queued."""
    return lifecycle.record(ctx, lambda job: job.new_chunk(ctx.step, by=ctx.message))


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
        return {"step": ctx.step, "attempt": ctx.attempt, "seconds": seconds, "counts": counts}

    return _end_step(ctx, Action.FINISH_STEP, event, state=StepState.DONE, seconds=round(seconds, 3))


def fail_step(ctx: Chunk, reason: str) -> Ended:
    event = {"step": ctx.step, "attempt": ctx.attempt, "message": reason}
    return _end_step(ctx, Action.FAIL_STEP, event, state=StepState.FAILED, last_error=reason)


def cancel_step(ctx: Chunk) -> Ended:
    event = {"step": ctx.step, "attempt": ctx.attempt, "message": "stopped by a cancel request"}
    return _end_step(ctx, Action.CANCEL_STEP, event, state=StepState.CANCELLED)


def _end_step(ctx: Chunk, action: Action, event, **fields) -> Ended:
    queue: list[str] = []

    def mutate(job):
        job.update_step(ctx.step, finished_at=timezone.now().isoformat(), **fields)
        if fields["state"] == StepState.DONE:
            outbox.record_step(job, ctx.step)
        outcome, following = _after_step(job, ctx.plan, ctx.plan.phase_of(ctx.step), by=ctx.message)
        queue.extend(following)
        return outcome

    job = lifecycle.apply(ctx.job.pk, action, mutate=mutate, event=event, ctx=ctx)
    return Ended(job, queue)


def _after_step(job: DeletionJob, plan: Plan, phase: Phase, *, by: list) -> tuple[JobStatus, list[str]]:
    """Once no step of the phase is left to end: the next phase, the job's success, or its end;
    returns the job's status then and the steps whose chunks to queue."""
    states = [job.step_state(name) for name in phase.step_names]
    if not all(state in OVER_STATES for state in states):
        return JobStatus.RUNNING, []
    if all(state == StepState.DONE for state in states):
        following = plan.next_phase(phase)
        if following is not None:
            return JobStatus.RUNNING, lifecycle.enter_phase(job, following, by=by)
        job.progress = 100.0
        return JobStatus.SUCCEEDED, []
    if StepState.FAILED in states:
        job.error = outcomes.phase_error(job, plan, phase)
        job.add_warning(outcomes.state_of_data(job, plan))
        return JobStatus.FAILED, []
    job.add_warning(f"Cancelled during {phase.name}. {outcomes.removed_summary(job, plan)}")
    return JobStatus.CANCELLED, []


def record_facts(ctx: Chunk, facts: dict, warning: str | None = None) -> DeletionJob:
    def mutate(job):
        job.target_facts = {**job.target_facts, **facts}
        if facts.get("label"):
            job.target_label = facts["label"]
        job.add_warning(warning)

    return lifecycle.record(ctx, mutate)


def record_intent(ctx: Chunk, *, item: int, entity: str, sent: dict) -> None:
    """What a batch is about to send to a store that may delete part of it and lose the reply
    (see InFlightBatch): committed on its own before the batch is sent. The chunk's own row, so
    no job lock is needed: a chunk superseded meanwhile stops at its batch's count, as before."""
    InFlightBatch.objects.update_or_create(
        job_id=ctx.job.pk,
        step=ctx.step,
        run=ctx.run,
        chunk=ctx.chunk,
        defaults={"item": item, "entity": entity, "sent": sent},
    )


def in_flight(ctx: Chunk) -> list[InFlightBatch]:
    """The step's batches whose reply was lost, to settle first: left by earlier chunks, or by
    an earlier delivery of this chunk's own message (a redelivered chunk has the same number)."""
    return list(InFlightBatch.objects.filter(job_id=ctx.job.pk, step=ctx.step))


def record_batch(
    ctx: Chunk, *, entity: str, deleted: int, cursor: dict, landed: bool = False, settled: InFlightBatch | None = None
) -> DeletionJob:
    """Add one batch's count and move the step's cursor past it, in one transaction; the
    returned job tells the caller whether to stop. A batch that deleted nothing only moves the
    cursor: the audit trail lists what was deleted. `landed`: the batch had an intent, which
    its count now replaces; `settled`: the count is that of an earlier chunk's lost batch."""

    def count(job):
        # The batch is counted by whoever removes its row: this chunk, or a later one settling it.
        if settled is not None:
            if not InFlightBatch.objects.filter(pk=settled.pk).delete()[0]:
                return
        elif landed and not _own_batch(ctx).delete()[0]:
            return
        if deleted:
            per_step = dict(job.counts.get(ctx.step, {}))
            per_step[entity] = per_step.get(entity, 0) + deleted
            job.counts = {**job.counts, ctx.step: per_step}
            job.progress = _percent(job)

    def count_and_move(job):
        count(job)
        job.update_step(ctx.step, cursor=cursor)

    event = None
    if deleted:
        event = {"step": ctx.step, "kind": JobEventKind.BATCH, "attempt": ctx.attempt, "counts": {entity: deleted}}
        if settled is not None:
            event["message"] = f"counted when checked: an interrupted batch's {entity} whose reply was lost"
    return _patiently(lambda: lifecycle.record(ctx, count_and_move, event=event, if_superseded=count))


def _own_batch(ctx: Chunk):
    return InFlightBatch.objects.filter(job_id=ctx.job.pk, step=ctx.step, run=ctx.run, chunk=ctx.chunk)


def _patiently(write):
    """`write()`, again while the console's database is away, for up to
    DELETION_RECORD_PATIENCE_SECONDS: the batch it records is already deleted, and a chunk that
    gave up would run again from the old cursor and find those documents gone, uncounted."""
    deadline = time.monotonic() + settings.DELETION_RECORD_PATIENCE_SECONDS
    while True:
        try:
            return write()
        except (django.db.OperationalError, django.db.InterfaceError):
            if time.monotonic() >= deadline:
                raise
            connection.close()  # unusable now; the next attempt opens a new one
            time.sleep(1.0)


def record_heartbeat(ctx: Chunk, message: str, counts: dict, cursor: dict | None = None) -> DeletionJob:
    def mutate(job):
        if cursor is not None:
            job.update_step(ctx.step, cursor=cursor)

    event = {"step": ctx.step, "kind": JobEventKind.PROGRESS, "attempt": ctx.attempt, "counts": counts}
    return lifecycle.record(ctx, mutate, event={**event, "message": message})


def record_residue(ctx: Chunk, step: str, residue: dict, cursor: dict) -> DeletionJob:
    def mutate(job):
        job.residue = {**job.residue, step: residue}
        job.update_step(ctx.step, cursor=cursor)

    return lifecycle.record(ctx, mutate)


def retrying(ctx: Chunk, reason: str, delay: float) -> DeletionJob:
    """A transient failure: the step's next attempt is about to be queued, `delay` seconds out."""

    def mutate(job):
        job.new_chunk(ctx.step, state=StepState.RETRYING, last_error=reason, attempt=ctx.attempt + 1)

    event = {"step": ctx.step, "attempt": ctx.attempt, "message": f"{reason}; retrying in {delay:g} s"}
    return lifecycle.apply(ctx.job.pk, Action.RETRY_STEP, mutate=mutate, event=event, ctx=ctx)


def _percent(job: DeletionJob) -> float:
    expected = job.total_expected
    if not expected:
        return 0.0
    # Held below 100 until verify has proven the result.
    return min(99.0, 100.0 * job.total_deleted / expected)
