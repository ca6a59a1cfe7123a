"""Running a job, one bounded chunk at a time (the shape of Sentry's chunked deletions).

The task for one step of a job calls `run_chunk`. A chunk reads the job once, then does
units of the step (one batch of one plan item, one collector, one store's residue count) until
the step is done or the chunk's time budget (DELETION_CHUNK_SECONDS) is spent. Each unit is
recorded with the step's cursor in the same transaction as its counts and audit event; then the
chunk queues what comes next: the same step again, at the back of the queue, so that other
jobs' chunks interleave with it, or what follows the step (services.recorder decides: the next
phase once every side-by-side step of this one is over). A killed worker loses at most the chunk
it was running: the broker redelivers it and it resumes from the cursor. If the task had already
numbered what follows (run on into it, or queued it but perhaps died before the message went out),
the redelivered message numbers that afresh and goes on with it.

Every unit is idempotent: deletes are by persisted ids or by stable owner fields, and counts are
added per batch as they are committed, so a chunk can run twice and end in the same state.
"""

import enum
import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from deletion_console import dispatch, logcontext
from deletion_console.engine.plan import FIRST_STEPS, get_plan
from deletion_console.engine.scope import LiveScope
from deletion_console.models import CollectedId, DeletionJob, InFlightBatch, StepState
from deletion_console.selectors import plan_checks
from deletion_console.selectors.scopes import JobScope
from deletion_console.services import lifecycle, recorder
from deletion_console.services.context import Chunk
from deletion_console.stores import errors
from deletion_console.stores.registry import get_store

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    MORE = "more"  # the step goes on in a newly queued chunk
    NEXT = "next"  # the step is done; what follows is queued, or the job has ended
    STOP = "stop"  # nothing queued: a retry later, failed, cancelled, superseded or already over


class Cancelled(Exception):
    pass


class ResidueFound(Exception):
    pass


class PlanMismatch(Exception):
    """The plan contradicts the live schema: deleting by it would fail half way or leave data."""


def cancellable(plan, phase_name: str) -> bool:
    # Once every deletion step has run, finishing is the truthful outcome: a cancel then is ignored.
    return phase_name in FIRST_STEPS or phase_name in {phase.name for phase in plan.deletion_phases}


# A step that ends within this share of its chunk's budget has the next one run on in the same
# task: queueing it would cost a broker round trip and a wait for a worker, which for a small job
# is most of its time. Later than that, the next step goes to the back of the queue as usual.
RUN_ON_SHARE = 0.5


def run_chunk(*, job_id, step: str, run: int, chunk: int, run_on: bool = True, worker: str = "") -> Outcome:
    """Run one chunk of a step; if the step ends well within the chunk's budget and one step
    follows, run that one's first chunk here too, fenced and recorded exactly as a queued one
    would be (side-by-side steps are still queued, to run on several workers). `worker` names
    the worker process running it, for the watchdog (see selectors.jobs.lost_reason)."""
    started = time.monotonic()
    deadline = started + settings.DELETION_CHUNK_SECONDS
    run_on_until = started + settings.DELETION_CHUNK_SECONDS * RUN_ON_SHARE if run_on else started
    quick_until = deadline if run_on else started
    message = [step, run, chunk]
    waiting: list[str] = []  # steps numbered by this task and to be run on here, in turn
    while True:
        job = DeletionJob.objects.get(pk=job_id)
        attempt = job.step(step).attempt
        ctx = Chunk(
            job=job,
            plan=get_plan(job.kind),
            step=step,
            run=run,
            chunk=chunk,
            attempt=attempt,
            by=message,
            worker=worker,
        )
        if not ctx.is_current(job):
            # Superseded by a newer run or chunk, over, or a message delivered again. If the task
            # it was delivered to died after numbering what came next, that goes on here.
            following = _renumbered(job_id, message) if [step, run, chunk] == message else None
            if following is None:
                return Outcome.STOP
            step, chunk = following, DeletionJob.objects.get(pk=job_id).step(following).chunk
            continue
        # From here on the chunk's log lines carry the job's kind, target and attempt too.
        logcontext.bind_job(job, attempt=ctx.attempt)
        logcontext.bind(step=step, chunk=chunk)
        if job.total_expected <= settings.DELETION_QUICK_JOB_ROWS:
            # A small job's whole run fits in a chunk or two: queueing its next step would send
            # it to wait behind other jobs' chunks again, for far longer than the step takes.
            run_on_until = quick_until
        try:
            outcome, following = _run(ctx, deadline=deadline, run_on=time.monotonic() < run_on_until)
        except lifecycle.Superseded:
            return Outcome.STOP  # the new run numbered every unfinished step afresh
        waiting.extend(following)
        if waiting and (outcome is not Outcome.NEXT or time.monotonic() >= run_on_until):
            _queue_waiting(ctx.job.pk, waiting)
            return outcome
        if not waiting:
            return outcome
        # The line a queued chunk's task would have ended with, while the finished step is bound.
        log.info(
            "deletion chunk ended: %s; running on into %s", outcome.value, waiting[0], extra={"outcome": outcome.value}
        )
        step = waiting.pop(0)
        run, chunk = ctx.job.run, ctx.job.step(step).chunk


def _queue_waiting(job_id, steps: list[str]) -> None:
    with transaction.atomic():
        job = DeletionJob.objects.get(pk=job_id)
        dispatch.queue_chunks(job, [name for name in steps if not job.step(name).is_over])


def _renumbered(job_id, message: list) -> str | None:
    """For a message delivered again, the chunks its task numbered (and may have died before
    sending, or ran on into) numbered afresh: the one to go on with here; several are queued."""
    with transaction.atomic():
        job, steps = lifecycle.renumber(job_id, message)
        if len(steps) > 1:
            dispatch.queue_chunks(job, steps)
    if len(steps) == 1:
        log.info("deletion chunk delivered again: going on with %s", steps[0])
        return steps[0]
    return None


def run_step(job_id, step: str) -> Outcome:
    """Run a step to its end in this process, chunk after chunk (for tests and the shell)."""
    while True:
        job = DeletionJob.objects.get(pk=job_id)
        chunk = job.step(step).chunk
        outcome = run_chunk(job_id=job_id, step=step, run=job.run, chunk=chunk, run_on=False)
        if outcome != Outcome.MORE:
            return outcome


def _stopping(ctx: Chunk) -> bool:
    return ctx.job.cancel_requested and cancellable(ctx.plan, ctx.job.current_phase)


def _run(ctx: Chunk, *, deadline: float, run_on: bool = False) -> tuple[Outcome, list[str]]:
    """The chunk's outcome, and the steps to run on in this task, if any."""
    if _stopping(ctx):
        return _ended(ctx, recorder.cancel_step(ctx))
    if ctx.state.state != StepState.RUNNING or ctx.state.run != ctx.run:
        recorder.start_step(ctx)
    elif ctx.worker:
        recorder.claim(ctx)
    unit = UNITS.get(ctx.step, delete_step)
    try:
        while not unit(ctx):
            if _stopping(ctx):
                raise Cancelled()
            if time.monotonic() >= deadline:
                with transaction.atomic():
                    job = recorder.continue_step(ctx)
                    dispatch.queue_chunks(job, [ctx.step])
                return Outcome.MORE, []
    except Cancelled:
        return _ended(ctx, recorder.cancel_step(ctx))
    except lifecycle.Superseded:
        raise
    except Exception as exc:
        return _handle_error(ctx, exc)
    ended = recorder.finish_step(ctx, _seconds_since(ctx.state.started_at))
    return _ended(ctx, ended, Outcome.NEXT, run_on=run_on and time.monotonic() < deadline)


def _ended(
    ctx: Chunk, ended: recorder.Ended, outcome: Outcome = Outcome.STOP, *, run_on: bool = False
) -> tuple[Outcome, list[str]]:
    """After a step ended: the steps that follow it, to run on in this task, or [] with what
    follows queued (its end, and the job's, are recorded and announced by the lifecycle).
    Side-by-side steps run on here one after another only for a small job: a large one's are
    queued, to run at once on several workers."""
    together = len(ended.queue) == 1 or ended.job.total_expected <= settings.DELETION_QUICK_JOB_ROWS
    if run_on and ended.queue and together:
        return outcome, list(ended.queue)
    if ended.queue:
        with transaction.atomic():
            dispatch.queue_chunks(ended.job, ended.queue)
    return outcome, []


def _seconds_since(iso: str | None) -> float:
    started = parse_datetime(iso) if iso else None
    return (timezone.now() - started).total_seconds() if started else 0.0


def _handle_error(ctx: Chunk, exc: Exception) -> tuple[Outcome, list[str]]:
    reason = errors.describe(exc)
    if errors.is_transient(exc) and ctx.attempt <= settings.DELETION_MAX_RETRIES:
        delay = settings.DELETION_RETRY_BASE_SECONDS * 2 ** (ctx.attempt - 1)
        with transaction.atomic():
            dispatch.queue_chunks(recorder.retrying(ctx, reason, delay), [ctx.step], countdown=delay)
        return Outcome.STOP, []
    if errors.is_transient(exc):
        reason = f"{reason} (gave up after {ctx.attempt} attempts)"
    return _ended(ctx, recorder.fail_step(ctx, reason))


# --- the units of each step: each does one bounded piece, records it, and says if the step is done


def validate(ctx: Chunk) -> bool:
    # Before anything is hidden or deleted: a plan the live schema contradicts goes no further.
    problems = plan_checks.blocking_problems(ctx.plan)
    if problems:
        raise PlanMismatch("the plan does not match the live schema: " + "; ".join(problems))
    found = ctx.plan.target.find(ctx.job.target_id)
    if found is None:
        warning = f"The {ctx.plan.noun} itself was already gone; removing whatever of it remains."
        recorder.record_facts(ctx, {"found": False, "ref": ctx.job.target_id}, warning=warning)
        return True
    ctx.plan.target.hide(found)
    encode = get_store(ctx.plan.target.store).encode_key
    keys = [encode(key) for key in found.keys]
    recorder.record_facts(ctx, {"found": True, "ref": str(found.keys[0]), "keys": keys, "label": found.label})
    return True


def collect(ctx: Chunk) -> bool:
    """One collector per unit: its ids are streamed from one query, which cannot be resumed
    half way, and re-collecting is harmless (the rows are unique per job, entity and id)."""
    index = ctx.cursor.get("collector", 0)
    if index >= len(ctx.plan.collect):
        return True
    collector = ctx.plan.collect[index]
    encode = get_store(collector.store).encode_key
    scope = LiveScope(ctx.plan, ctx.job.target_id)
    found = 0
    for ids in collector.ids(scope.found, scope.ref, settings.DELETION_COLLECT_BATCH):
        rows = [
            CollectedId(job_id=ctx.job.pk, entity=collector.entity, value=v, is_object_id=typed)
            for v, typed in map(encode, ids)
        ]
        CollectedId.objects.bulk_create(rows, ignore_conflicts=True)
        found += len(rows)
        recorder.record_heartbeat(ctx, f"collected {len(rows)} {collector.entity} ids", {collector.entity: len(rows)})
        if ctx.job.cancel_requested:
            raise Cancelled()
    recorder.record_heartbeat(
        ctx, f"collected {found} {collector.entity} ids in all", {collector.entity: found}, {"collector": index + 1}
    )
    return index + 1 >= len(ctx.plan.collect)


def delete_step(ctx: Chunk) -> bool:
    """One batch of one plan item per unit, resumed from the cursor; a chunk's first unit
    settles first what a lost batch of an earlier one deleted."""
    items = ctx.plan.items(ctx.step)
    if not ctx.settled:
        _settle(ctx, items)
        ctx.settled = True
    index = ctx.cursor.get("item", 0)
    if index >= len(items):
        return True
    item = items[index]
    expected = ctx.job.preview.get(ctx.step, {}).get(item.entity, 0)
    done = ctx.job.counts.get(ctx.step, {}).get(item.entity, 0)
    intended = []

    def intend(sent: dict) -> None:
        recorder.record_intent(ctx, item=index, entity=item.entity, sent=sent)
        intended.append(True)

    batch = item.delete_batch(
        JobScope(ctx.job, ctx.plan, intend=intend),
        ctx.cursor.get("position"),
        get_store(item.store).batch_size,
        max(expected - done, 0),
    )
    cursor = {"item": index, "position": batch.resume_at} if batch.resume_at is not None else {"item": index + 1}
    recorder.record_batch(ctx, entity=item.entity, deleted=batch.deleted, cursor=cursor, landed=bool(intended))
    return cursor["item"] >= len(items)


def _settle(ctx: Chunk, items) -> None:
    # Before any new batch of the step: its deletes would make the lost batch's keys look gone.
    for lost in recorder.in_flight(ctx):
        gone = items[lost.item].settle(JobScope(ctx.job, ctx.plan), lost.sent)
        recorder.record_batch(ctx, entity=lost.entity, deleted=gone, cursor=ctx.cursor, settled=lost)


def verify(ctx: Chunk) -> bool:
    """One deletion step's residue per unit; the last one decides."""
    steps = ctx.plan.deletion_steps
    index = ctx.cursor.get("step", 0)
    if index < len(steps):
        step = steps[index]
        scope = JobScope(ctx.job, ctx.plan)
        residue = {item.entity: item.count(scope) for item in step.items}
        recorder.record_residue(ctx, step.name, residue, {"step": index + 1})
        if index + 1 < len(steps):
            return False
    labels = {step.name: step.label for step in steps}
    left = [
        f"{labels.get(s, s)} {entity}: {n}"
        for s, entities in ctx.job.residue.items()
        for entity, n in entities.items()
        if n
    ]
    if left:
        raise ResidueFound("residue remains after deletion (" + ", ".join(left) + ")")
    return True


def complete(ctx: Chunk) -> bool:
    # Collected ids have served their purpose once the result is proven.
    with transaction.atomic():
        CollectedId.objects.filter(job_id=ctx.job.pk).delete()
        InFlightBatch.objects.filter(job_id=ctx.job.pk).delete()
    return True


UNITS = {"validate": validate, "collect": collect, "verify": verify, "complete": complete}
