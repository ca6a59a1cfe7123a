"""Shapes a job for the progress and jobs pages. The browser re-renders the same shapes from
the job snapshot (static/js/progress.js), so labels live here and in that script only."""

from django.urls import reverse

from deletion_console.engine.plan import STEPS, STORE_LABELS, STORE_STEPS, UnknownKind, get_plan
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.jobs import job_snapshot

STEP_LABELS = {
    "validate": "Validate the target",
    "collect": "Collect child ids",
    "mongodb": "Delete from MongoDB",
    "neo4j": "Delete from Neo4j",
    "postgres": "Delete from PostgreSQL",
    "verify": "Verify zero residue",
    "complete": "Complete",
}


def progress_url(job: DeletionJob) -> str:
    # Campaign jobs live under the campaign pages; any other kind has the generic job page.
    if job.kind == "campaign":
        return reverse("campaigns:status", args=[job.pk])
    return reverse("jobs:progress", args=[job.pk])


def steps(job: DeletionJob) -> list[dict]:
    rows = []
    for name in STEPS:
        state = job.steps.get(name, {})
        rows.append(
            {
                "name": name,
                "label": STEP_LABELS.get(name, name),
                "state": state.get("state", "pending"),
                "seconds": state.get("seconds"),
                "last_error": state.get("last_error", ""),
            }
        )
    return rows


def in_plan_order(kind: str, counts: dict) -> list[tuple[str, str, int]]:
    """(store, entity, n) in the order the plan deletes them.

    The job's JSON fields come back from PostgreSQL's jsonb with their keys re-sorted (shortest
    first), which would list `NPC` before `PLAYS_IN` and Neo4j before MongoDB.
    """
    try:
        plan = get_plan(kind)
        order = {store: [item.entity for item in plan.items(store)] for store in STORE_STEPS}
    except UnknownKind:
        order = {}
    rows = []
    for store in [*order, *(s for s in counts if s not in order)]:
        entities = counts.get(store, {})
        known = [e for e in order.get(store, []) if e in entities]
        rows.extend((store, entity, entities[entity]) for entity in [*known, *(e for e in entities if e not in known)])
    return rows


def counters(job: DeletionJob) -> list[dict]:
    """Per store, one row per entity: deleted so far of expected (the confirmed preview)."""
    groups: dict[str, dict] = {}
    for store, entity, expected in in_plan_order(job.kind, job.preview):
        group = groups.setdefault(store, {"store": store, "label": STORE_LABELS.get(store, store), "rows": []})
        deleted = job.counts.get(store, {}).get(entity, 0)
        group["rows"].append({"store": store, "entity": entity, "expected": expected, "deleted": deleted})
    return list(groups.values())


def progress_context(job: DeletionJob) -> dict:
    return {
        "job": job,
        "snapshot": job_snapshot(job),
        "steps": steps(job),
        "counters": counters(job),
        "is_active": job.is_active,
        "can_resume": job.status in (JobStatus.FAILED, JobStatus.CANCELLED),
        "cancel_url": reverse("jobs:cancel", args=[job.pk]),
        "resume_url": reverse("jobs:resume", args=[job.pk]),
        "status_url": reverse("api:deletion-detail", args=[job.pk]),
        "socket_path": f"/ws/deletions/{job.pk}/",
    }
