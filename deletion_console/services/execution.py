"""Running one step of a job. Celery tasks call `run_step` and do what its outcome says.

Every step is idempotent: it can run twice, or be resumed after a crash at any point, and end
in the same state, because deletes are by persisted ids or by stable owner fields and counts
are added per batch as they are committed.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from deletion_console.engine.plan import STORE_LABELS, STORE_STEPS, Plan, get_plan
from deletion_console.engine.scope import JobScope, LiveScope
from deletion_console.models import TERMINAL_STATUSES, CollectedId, DeletionJob
from deletion_console.services import announce, progress
from deletion_console.stores import errors, mongo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    proceed: bool
    retry_in: float | None = None


CONTINUE = Outcome(proceed=True)
STOP = Outcome(proceed=False)


class Cancelled(Exception):
    pass


class ResidueFound(Exception):
    pass


# Once every store step has run, finishing is the truthful outcome: a cancel then is ignored.
CANCELLABLE_STEPS = ("validate", "collect", *STORE_STEPS)


def run_step(job_id, step: str, run: int, attempt: int) -> Outcome:
    job = DeletionJob.objects.get(pk=job_id)
    if job.run != run or job.status in TERMINAL_STATUSES or _done_in_run(job, step, run):
        # Superseded by a newer run (resume, watchdog), already over, or a re-delivered message
        # for a step this run has finished (its successor was queued before the ack).
        return STOP
    if job.cancel_requested and step in CANCELLABLE_STEPS:
        _cancel(job, step, run)
        return STOP
    try:
        return _run(job, step, run, attempt)
    except progress.Superseded:
        return STOP


def _run(job: DeletionJob, step: str, run: int, attempt: int) -> Outcome:
    plan = get_plan(job.kind)
    started = time.monotonic()
    progress.start_step(job.pk, step, attempt, run=run)
    try:
        counts = STEP_RUNNERS[step](job.pk, plan, step, attempt, run)
    except Cancelled:
        _cancel(DeletionJob.objects.get(pk=job.pk), step, run)
        return STOP
    except progress.Superseded:
        raise
    except Exception as exc:
        return _handle_error(job.pk, step, run, attempt, exc)
    if step == "complete":
        finished = progress.succeed(job.pk, time.monotonic() - started, attempt, run=run)
        announce.deletion_finished(finished)
        return CONTINUE
    progress.finish_step(job.pk, step, time.monotonic() - started, attempt, counts, run=run)
    return CONTINUE


def _done_in_run(job: DeletionJob, step: str, run: int) -> bool:
    state = job.steps.get(step, {})
    return state.get("state") == "done" and state.get("run") == run


def _handle_error(job_id, step: str, run: int, attempt: int, exc: Exception) -> Outcome:
    reason = errors.describe(exc)
    if errors.is_transient(exc) and attempt <= settings.DELETION_MAX_RETRIES:
        delay = settings.DELETION_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        progress.retrying(job_id, step, attempt, reason, delay, run=run)
        return Outcome(proceed=False, retry_in=delay)
    if errors.is_transient(exc):
        reason = f"{reason} (gave up after {attempt} attempts)"
    warning = state_of_data(DeletionJob.objects.get(pk=job_id), step)
    job = progress.fail(job_id, step, attempt, reason, warning, run=run)
    _show_again_if_untouched(job)
    announce.deletion_finished(job)
    return STOP


def _cancel(job: DeletionJob, step: str, run: int | None) -> None:
    job = progress.cancelled(job.pk, step, f"Cancelled during {step}. {removed_summary(job)}", run=run)
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


# --- the steps -------------------------------------------------------------------------------


def validate(job_id, plan: Plan, step: str, attempt: int, run: int | None = None) -> dict:
    job = DeletionJob.objects.get(pk=job_id)
    found = plan.target.find(job.target_id)
    if found is None:
        progress.record_facts(
            job_id,
            {"found": False, "ref": job.target_id},
            warning=f"The {plan.target.noun} itself was already gone; removing whatever of it remains.",
            run=run,
        )
        return {}
    plan.target.hide(found)
    keys = [mongo.encode_key(key) for key in found.keys]
    facts = {"found": True, "ref": str(found.keys[0]), "keys": keys, "label": found.label}
    progress.record_facts(job_id, facts, run=run)
    return {}


def collect(job_id, plan: Plan, step: str, attempt: int, run: int | None = None) -> dict:
    job = DeletionJob.objects.get(pk=job_id)
    scope = LiveScope(plan, job.target_id)
    batch_size = settings.DELETION_BATCH_SIZE["mongodb"]
    totals = {}
    for collector in plan.collect:
        for ids in collector.ids(scope.found, scope.ref, batch_size):
            rows = [
                CollectedId(job_id=job_id, entity=collector.entity, value=v, is_object_id=o)
                for v, o in map(mongo.encode_key, ids)
            ]
            CollectedId.objects.bulk_create(rows, ignore_conflicts=True)
            totals[collector.entity] = totals.get(collector.entity, 0) + len(rows)
            progress.record_heartbeat(
                job_id, step, f"collected {len(rows)} {collector.entity} ids", {collector.entity: len(rows)}, attempt
            )
            _check_cancel(job_id)
    return totals


def delete_from_store(job_id, plan: Plan, step: str, attempt: int, run: int | None = None) -> dict:
    scope = JobScope(DeletionJob.objects.get(pk=job_id))
    batch_size = settings.DELETION_BATCH_SIZE[step]
    deleted = {}
    for item in plan.items(step):
        for count in item.delete(scope, batch_size):
            deleted[item.entity] = deleted.get(item.entity, 0) + count
            job = progress.record_batch(job_id, step, step, item.entity, count, attempt, run=run)
            if job.cancel_requested:
                raise Cancelled()
    return deleted


def verify(job_id, plan: Plan, step: str, attempt: int, run: int | None = None) -> dict:
    scope = JobScope(DeletionJob.objects.get(pk=job_id))
    residue = {}
    for store in STORE_STEPS:
        residue[store] = {item.entity: item.count(scope) for item in plan.items(store)}
        # Counting a large store takes a while: a heartbeat per store keeps the watchdog away.
        progress.record_heartbeat(
            job_id, step, f"counted {STORE_LABELS[store]} residue", residue[store], attempt, run=run
        )
    progress.record_residue(job_id, residue, run=run)
    left = [
        f"{STORE_LABELS[s]} {entity}: {n}" for s, entities in residue.items() for entity, n in entities.items() if n
    ]
    if left:
        raise ResidueFound("residue remains after deletion (" + ", ".join(left) + ")")
    return {"residue": 0}


def complete(job_id, plan: Plan, step: str, attempt: int, run: int | None = None) -> dict:
    # Collected ids have served their purpose once the result is proven.
    with transaction.atomic():
        CollectedId.objects.filter(job_id=job_id).delete()
    return {}


STEP_RUNNERS = {
    "validate": validate,
    "collect": collect,
    **{store: delete_from_store for store in STORE_STEPS},
    "verify": verify,
    "complete": complete,
}


def _check_cancel(job_id) -> None:
    if DeletionJob.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise Cancelled()


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
