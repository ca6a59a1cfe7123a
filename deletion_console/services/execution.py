"""Running one step of a job. Celery tasks call `run_step` and do what its outcome says.

Every step is idempotent: it can run twice, or be resumed after a crash at any point, and end
in the same state, because deletes are by persisted ids or by stable owner fields and counts
are added per batch as they are committed.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from deletion_console.engine.plan import STORE_STEPS, Plan, get_plan
from deletion_console.engine.scope import JobScope, LiveScope
from deletion_console.models import TERMINAL_STATUSES, CollectedId, DeletionJob
from deletion_console.services import announce, progress
from deletion_console.stores import errors, mongo

STORE_NAMES = {"mongodb": "MongoDB", "neo4j": "Neo4j", "postgres": "PostgreSQL"}


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


def run_step(job_id, step: str, run: int, attempt: int) -> Outcome:
    job = DeletionJob.objects.get(pk=job_id)
    if job.run != run or job.status in TERMINAL_STATUSES:
        return STOP  # superseded by a newer run (resume, watchdog) or already over
    if job.cancel_requested:
        _cancel(job, step)
        return STOP
    plan = get_plan(job.kind)
    started = time.monotonic()
    progress.start_step(job_id, step, attempt)
    try:
        counts = STEP_RUNNERS[step](job_id, plan, step, attempt)
    except Cancelled:
        _cancel(DeletionJob.objects.get(pk=job_id), step)
        return STOP
    except Exception as exc:
        return _handle_error(job_id, step, attempt, exc)
    if step == "complete":
        job = progress.succeed(job_id, time.monotonic() - started, attempt)
        announce.deletion_finished(job)
        return CONTINUE
    progress.finish_step(job_id, step, time.monotonic() - started, attempt, counts)
    return CONTINUE


def _handle_error(job_id, step: str, attempt: int, exc: Exception) -> Outcome:
    reason = errors.describe(exc)
    if errors.is_transient(exc) and attempt <= settings.DELETION_MAX_RETRIES:
        delay = settings.DELETION_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        progress.retrying(job_id, step, attempt, reason, delay)
        return Outcome(proceed=False, retry_in=delay)
    if errors.is_transient(exc):
        reason = f"{reason} (gave up after {attempt} attempts)"
    job = progress.fail(job_id, step, attempt, reason, _state_of_data(DeletionJob.objects.get(pk=job_id), step))
    announce.deletion_finished(job)
    return STOP


def _cancel(job: DeletionJob, step: str) -> None:
    job = progress.cancelled(job.pk, step, f"Cancelled during {step}. {_removed_summary(job)}")
    announce.deletion_finished(job)


# --- the steps -------------------------------------------------------------------------------


def validate(job_id, plan: Plan, step: str, attempt: int) -> dict:
    job = DeletionJob.objects.get(pk=job_id)
    found = plan.target.find(job.target_id)
    if found is None:
        progress.record_facts(
            job_id,
            {"found": False, "ref": job.target_id},
            warning=f"The {plan.target.noun} itself was already gone; removing whatever of it remains.",
        )
        return {}
    plan.target.hide(found)
    keys = [mongo.encode_key(key) for key in found.keys]
    progress.record_facts(job_id, {"found": True, "ref": str(found.keys[0]), "keys": keys, "label": found.label})
    return {}


def collect(job_id, plan: Plan, step: str, attempt: int) -> dict:
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


def delete_from_store(job_id, plan: Plan, step: str, attempt: int) -> dict:
    scope = JobScope(DeletionJob.objects.get(pk=job_id))
    batch_size = settings.DELETION_BATCH_SIZE[step]
    deleted = {}
    for item in plan.items(step):
        for count in item.delete(scope, batch_size):
            deleted[item.entity] = deleted.get(item.entity, 0) + count
            job = progress.record_batch(job_id, step, step, item.entity, count, attempt)
            if job.cancel_requested:
                raise Cancelled()
    return deleted


def verify(job_id, plan: Plan, step: str, attempt: int) -> dict:
    scope = JobScope(DeletionJob.objects.get(pk=job_id))
    residue = {store: {item.entity: item.count(scope) for item in plan.items(store)} for store in STORE_STEPS}
    progress.record_residue(job_id, residue)
    left = [f"{STORE_NAMES[s]} {entity}: {n}" for s, entities in residue.items() for entity, n in entities.items() if n]
    if left:
        raise ResidueFound("residue remains after deletion (" + ", ".join(left) + ")")
    return {"residue": 0}


def complete(job_id, plan: Plan, step: str, attempt: int) -> dict:
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


def _removed_summary(job: DeletionJob) -> str:
    removed = job.total_deleted
    parts = [f"{STORE_NAMES[s]} {sum(e.values()):,}" for s, e in job.counts.items() if sum(e.values())]
    if not removed:
        return "Nothing had been removed."
    return f"Already removed {removed:,} entities ({', '.join(parts)}); the rest remains until the job is resumed."


def _state_of_data(job: DeletionJob, failed_step: str) -> str:
    """Say which stores are already cleaned and which still hold the target's data."""
    done = [STORE_NAMES[s] for s in STORE_STEPS if job.steps.get(s, {}).get("state") == "done"]
    if failed_step in STORE_STEPS:
        remains = f"{STORE_NAMES[failed_step]} step failed: {STORE_NAMES[failed_step]} data of this {job.kind} remains"
        pending = [STORE_NAMES[s] for s in STORE_STEPS[STORE_STEPS.index(failed_step) + 1 :]]
        later = f"; {', '.join(pending)} not yet touched" if pending else ""
        head = f"{' and '.join(done)} data removed; " if done else ""
        return f"{head}{remains}{later} until the job is resumed."
    if failed_step == "verify":
        return "All deletion steps ran, but residue was found; resume the job to delete it and verify again."
    if not done:
        return "Nothing has been deleted yet; the job can be resumed or requested again."
    return f"{' and '.join(done)} data removed; resume the job to finish."
