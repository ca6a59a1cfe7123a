"""The outbox: the deletion events other services hear, recorded with the change they report.

An event row is written in the same transaction as the step's end or the job's, so it exists
exactly when the change does; services.announce publishes it after commit, and beat publishes
whatever a crash or a broker outage left behind (at least once). The body follows seed 000's
state (request_id, status, current_step, progress_percentage, deleted_counts per store, errors,
warnings, started_at, completed_at) plus the per-step results of seed 004; the contract is
deletion_console/schemas/deletion_event.schema.json.
"""

from django.db import transaction

from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobStatus, OutboxEvent
from deletion_console.selectors.jobs import step_results
from deletion_console.services import announce

# The seed's names for the first two steps; every other step is published under its own name.
STEP_KEYS = {"validate": "deletion.validated", "collect": "deletion.collecting"}
END_KEYS = {
    JobStatus.SUCCEEDED: "deletion.completed",
    JobStatus.FAILED: "deletion.failed",
    JobStatus.CANCELLED: "deletion.cancelled",
}
# Verify and complete are reported by the end of the job.
UNPUBLISHED_STEPS = ("verify", "complete")


def step_key(step: str) -> str | None:
    return None if step in UNPUBLISHED_STEPS else STEP_KEYS.get(step, f"deletion.{step}")


def record_step(job: DeletionJob, step: str) -> None:
    """Within the transaction that marks `step` done."""
    key = step_key(step)
    if key:
        _record(job, key, step)


def record_end(job: DeletionJob) -> None:
    """Within the transaction that ends the job."""
    if job.status in TERMINAL_STATUSES:
        _record(job, END_KEYS[job.status], job.current_phase)


def _record(job: DeletionJob, key: str, step: str) -> None:
    OutboxEvent.objects.create(job=job, routing_key=key, body=body(job, key, step))
    transaction.on_commit(lambda: announce.publish_pending(job_id=job.pk))


def body(job: DeletionJob, key: str, step: str) -> dict:
    services = step_results(job)
    errors = [job.error] if job.error else []
    errors += [f"{s['name']}: {s['error']}" for s in services if s["error"] and f"{s['name']} step" not in job.error]
    progress = 100 if job.status == JobStatus.SUCCEEDED else int(job.progress)
    return {
        "event": key,
        "request_id": str(job.pk),
        "kind": job.kind,
        "target_id": job.target_id,
        f"{job.kind}_id": job.target_id,
        "target_label": job.target_label,
        "status": job.status,
        "current_step": step,
        "progress_percentage": progress,
        "deleted_counts": deleted_per_store(job),
        "errors": errors,
        "warnings": list(job.warnings),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.finished_at),
        "seq": job.seq,
        "services": services,
        "services_completed": sum(s["state"] == "done" for s in services),
        "services_failed": sum(s["state"] == "failed" for s in services),
        "total_items_deleted": job.total_deleted,
    }


def deleted_per_store(job: DeletionJob) -> dict[str, dict[str, int]]:
    """The job's counts (kept per step) regrouped per store, as the seed reports them."""
    try:
        plan = get_plan(job.kind)
    except UnknownKind:
        return {}
    stores: dict[str, dict[str, int]] = {store: {} for store in plan.stores()}
    for step, item in plan.all_items():
        stores[item.store][item.entity] = job.counts.get(step.name, {}).get(item.entity, 0)
    return stores


def _iso(value):
    return value.isoformat() if value else None
