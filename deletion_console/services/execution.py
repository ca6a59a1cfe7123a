"""Running a job, one bounded chunk at a time (the shape of Sentry's chunked deletions).

The task for a job's current step calls `run_chunk`. A chunk reads the job once, then does
units of the step (one batch of one plan item, one collector, one store's residue count) until
the step is done or the chunk's time budget (DELETION_CHUNK_SECONDS) is spent. Each unit is
recorded with the step's cursor in the same transaction as its counts and audit event; then the
chunk queues what comes next: the same step again, at the back of the queue, so that other
jobs' chunks interleave with it, or the next step. A killed worker loses at most the chunk it
was running: the broker redelivers it and it resumes from the cursor.

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

from deletion_console import dispatch
from deletion_console.engine.plan import STEPS, STORE_LABELS, STORE_STEPS, get_plan
from deletion_console.engine.scope import JobScope, LiveScope
from deletion_console.models import TERMINAL_STATUSES, CollectedId, DeletionJob
from deletion_console.services import announce, progress
from deletion_console.services.context import Chunk
from deletion_console.stores import errors, mongo

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    MORE = "more"  # the step goes on in a newly queued chunk
    NEXT = "next"  # the step is done; the next one is queued, or the job has succeeded
    STOP = "stop"  # nothing queued: a retry later, failed, cancelled, superseded or already over


class Cancelled(Exception):
    pass


class ResidueFound(Exception):
    pass


# Once every store step has run, finishing is the truthful outcome: a cancel then is ignored.
CANCELLABLE_STEPS = ("validate", "collect", *STORE_STEPS)


def run_chunk(*, job_id, step: str, run: int, chunk: int) -> Outcome:
    job = DeletionJob.objects.get(pk=job_id)
    if job.run != run or job.chunk != chunk or job.current_step != step or job.status in TERMINAL_STATUSES:
        # Superseded by a newer run or chunk, already over, or a re-delivered message for a
        # chunk whose successor was queued before the ack.
        return Outcome.STOP
    ctx = Chunk(job=job, plan=get_plan(job.kind), step=step, run=run, chunk=chunk, attempt=max(job.attempt, 1))
    try:
        return _run(ctx)
    except progress.Superseded:
        return Outcome.STOP


def run_step(job_id, step: str) -> Outcome:
    """Run a step to its end in this process, chunk after chunk (for tests and the shell)."""
    while True:
        job = DeletionJob.objects.get(pk=job_id)
        outcome = run_chunk(job_id=job_id, step=step, run=job.run, chunk=job.chunk)
        if outcome != Outcome.MORE:
            return outcome


def _run(ctx: Chunk) -> Outcome:
    if ctx.job.cancel_requested and ctx.step in CANCELLABLE_STEPS:
        _cancel(ctx)
        return Outcome.STOP
    state = ctx.job.steps.get(ctx.step, {})
    if state.get("state") != "running" or state.get("run") != ctx.run:
        progress.start_step(ctx)
    deadline = time.monotonic() + settings.DELETION_CHUNK_SECONDS
    try:
        while not UNITS[ctx.step](ctx):
            if ctx.job.cancel_requested and ctx.step in CANCELLABLE_STEPS:
                raise Cancelled()
            if time.monotonic() >= deadline:
                with transaction.atomic():
                    dispatch.queue_chunk(progress.continue_step(ctx))
                return Outcome.MORE
    except Cancelled:
        _cancel(ctx)
        return Outcome.STOP
    except progress.Superseded:
        raise
    except Exception as exc:
        return _handle_error(ctx, exc)
    return _finish_step(ctx)


def _finish_step(ctx: Chunk) -> Outcome:
    started = ctx.job.steps.get(ctx.step, {}).get("started_at")
    seconds = _seconds_since(started)
    if ctx.step == STEPS[-1]:
        announce.deletion_finished(progress.succeed(ctx, seconds))
        return Outcome.NEXT
    next_step = STEPS[STEPS.index(ctx.step) + 1]
    with transaction.atomic():
        job = progress.finish_step(ctx, seconds, next_step, _step_counts(ctx.job, ctx.step))
        dispatch.queue_chunk(job)
    return Outcome.NEXT


def _seconds_since(iso: str | None) -> float:
    started = parse_datetime(iso) if iso else None
    return (timezone.now() - started).total_seconds() if started else 0.0


def _step_counts(job: DeletionJob, step: str) -> dict:
    return dict(job.counts.get(step, {})) if step in STORE_STEPS else {}


def _handle_error(ctx: Chunk, exc: Exception) -> Outcome:
    reason = errors.describe(exc)
    if errors.is_transient(exc) and ctx.attempt <= settings.DELETION_MAX_RETRIES:
        delay = settings.DELETION_RETRY_BASE_SECONDS * 2 ** (ctx.attempt - 1)
        with transaction.atomic():
            dispatch.queue_chunk(progress.retrying(ctx, reason, delay), countdown=delay)
        return Outcome.STOP
    if errors.is_transient(exc):
        reason = f"{reason} (gave up after {ctx.attempt} attempts)"
    warning = state_of_data(ctx.job, ctx.step)
    job = progress.fail(ctx.job.pk, ctx.step, ctx.attempt, reason, warning, ctx=ctx)
    _show_again_if_untouched(job)
    announce.deletion_finished(job)
    return Outcome.STOP


def _cancel(ctx: Chunk) -> None:
    summary = f"Cancelled during {ctx.step}. {removed_summary(ctx.job)}"
    job = progress.cancelled(ctx.job.pk, ctx.step, summary, ctx=ctx)
    _show_again_if_untouched(job)
    announce.deletion_finished(job)


def _show_again_if_untouched(job: DeletionJob) -> None:
    """A job that stopped before any store step leaves the target whole: the platform may show
    it again. Once anything is deleted it stays hidden, half gone, until a resume finishes it."""
    if not job.target_facts.get("found") or any(job.steps.get(s, {}).get("state") != "pending" for s in STORE_STEPS):
        return
    plan = get_plan(job.kind)
    try:
        found = plan.target.find(job.target_id)
        if found:
            plan.target.unhide(found)
    except Exception:  # the job's outcome stands; a target left hidden is logged, not fatal
        log.exception("Could not show %s %s again", job.kind, job.target_id)


# --- the units of each step: each does one bounded piece, records it, and says if the step is done


def validate(ctx: Chunk) -> bool:
    found = ctx.plan.target.find(ctx.job.target_id)
    if found is None:
        warning = f"The {ctx.plan.target.noun} itself was already gone; removing whatever of it remains."
        progress.record_facts(ctx, {"found": False, "ref": ctx.job.target_id}, warning=warning)
        return True
    ctx.plan.target.hide(found)
    keys = [mongo.encode_key(key) for key in found.keys]
    progress.record_facts(ctx, {"found": True, "ref": str(found.keys[0]), "keys": keys, "label": found.label})
    return True


def collect(ctx: Chunk) -> bool:
    """One collector per unit: its ids are streamed from one query, which cannot be resumed
    half way, and re-collecting is harmless (the rows are unique per job, entity and id)."""
    index = ctx.cursor.get("collector", 0)
    if index >= len(ctx.plan.collect):
        return True
    collector = ctx.plan.collect[index]
    scope = LiveScope(ctx.plan, ctx.job.target_id)
    found = 0
    for ids in collector.ids(scope.found, scope.ref, settings.DELETION_COLLECT_BATCH):
        rows = [
            CollectedId(job_id=ctx.job.pk, entity=collector.entity, value=v, is_object_id=o)
            for v, o in map(mongo.encode_key, ids)
        ]
        CollectedId.objects.bulk_create(rows, ignore_conflicts=True)
        found += len(rows)
        progress.record_heartbeat(ctx, f"collected {len(rows)} {collector.entity} ids", {collector.entity: len(rows)})
        if ctx.job.cancel_requested:
            raise Cancelled()
    progress.record_heartbeat(
        ctx, f"collected {found} {collector.entity} ids in all", {collector.entity: found}, {"collector": index + 1}
    )
    return index + 1 >= len(ctx.plan.collect)


def delete_from_store(ctx: Chunk) -> bool:
    """One batch of one plan item per unit, resumed from the cursor."""
    items = ctx.plan.items(ctx.step)
    index = ctx.cursor.get("item", 0)
    if index >= len(items):
        return True
    item = items[index]
    expected = ctx.job.preview.get(ctx.step, {}).get(item.entity, 0)
    done = ctx.job.counts.get(ctx.step, {}).get(item.entity, 0)
    batch = item.delete_batch(
        JobScope(ctx.job), ctx.cursor.get("position"), settings.DELETION_BATCH_SIZE[ctx.step], max(expected - done, 0)
    )
    cursor = {"item": index, "position": batch.resume_at} if batch.resume_at is not None else {"item": index + 1}
    progress.record_batch(ctx, store=ctx.step, entity=item.entity, deleted=batch.deleted, cursor=cursor)
    return cursor["item"] >= len(items)


def verify(ctx: Chunk) -> bool:
    """One store's residue per unit; the last one decides."""
    index = ctx.cursor.get("store", 0)
    if index < len(STORE_STEPS):
        store = STORE_STEPS[index]
        scope = JobScope(ctx.job)
        residue = {item.entity: item.count(scope) for item in ctx.plan.items(store)}
        progress.record_residue(ctx, store, residue, {"store": index + 1})
        if index + 1 < len(STORE_STEPS):
            return False
    left = [
        f"{STORE_LABELS[s]} {entity}: {n}"
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
    return True


UNITS = {
    "validate": validate,
    "collect": collect,
    **{store: delete_from_store for store in STORE_STEPS},
    "verify": verify,
    "complete": complete,
}


# --- what a failure or cancel leaves behind ---------------------------------------------------


def removed_summary(job: DeletionJob) -> str:
    removed = job.total_deleted
    parts = [f"{STORE_LABELS[s]} {sum(e.values()):,}" for s, e in job.counts.items() if sum(e.values())]
    if not removed:
        return "Nothing had been removed."
    return f"Already removed {removed:,} entities ({', '.join(parts)}); the rest remains until the job is resumed."


def state_of_data(job: DeletionJob, failed_step: str) -> str:
    """Say which stores are already cleaned and which still hold the target's data."""
    done = [STORE_LABELS[s] for s in STORE_STEPS if job.steps.get(s, {}).get("state") == "done"]
    if failed_step in STORE_STEPS:
        remains = (
            f"{STORE_LABELS[failed_step]} step failed: {STORE_LABELS[failed_step]} data of this {job.kind} remains"
        )
        pending = [STORE_LABELS[s] for s in STORE_STEPS[STORE_STEPS.index(failed_step) + 1 :]]
        later = f"; {', '.join(pending)} not yet touched" if pending else ""
        head = f"{' and '.join(done)} data removed; " if done else ""
        return f"{head}{remains}{later} until the job is resumed."
    if failed_step == "verify":
        return "All deletion steps ran, but residue was found; resume the job to delete it and verify again."
    if not done:
        return "Nothing has been deleted yet; the job can be resumed or requested again."
    return f"{' and '.join(done)} data removed; resume the job to finish."
