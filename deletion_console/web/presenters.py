"""Shapes a job, a preview or a plan for the pages. The browser re-renders the same shapes from
the job snapshot (static/js/progress.js), so labels come from the plan here and in the
snapshot only."""

from dataclasses import dataclass

from django.urls import reverse

from deletion_console.engine.plan import Plan, UnknownKind, get_plan
from deletion_console.models import DeletionJob, StepRecord
from deletion_console.selectors.jobs import job_snapshot, phase_states
from deletion_console.stores.registry import label as store_label


def progress_url(job: DeletionJob) -> str:
    return reverse("jobs:progress", args=[job.pk])


def _plan(kind: str) -> Plan | None:
    try:
        return get_plan(kind)
    except UnknownKind:
        return None


def step_names(job: DeletionJob) -> list[str]:
    plan = _plan(job.kind)
    return list(plan.step_names) if plan else list(job.steps)


def _step_row(name: str, label: str, record: StepRecord) -> dict:
    return {
        "name": name,
        "label": label,
        "state": record.state,
        "seconds": record.seconds,
        "last_error": record.last_error,
    }


def steps(job: DeletionJob) -> list[dict]:
    """The job's phases in order; a phase of side-by-side steps lists them under it."""
    plan = _plan(job.kind)
    if plan is None:
        return [_step_row(name, name, job.step(name)) for name in job.steps]
    phases = phase_states(job)
    rows = []
    for phase in plan.phases:
        if len(phase.steps) == 1:
            step = phase.steps[0]
            rows.append({**_step_row(step.name, step.label, job.step(step.name)), "children": []})
        else:
            children = [_step_row(s.name, s.label, job.step(s.name)) for s in phase.steps]
            rows.append(
                {
                    "name": phase.name,
                    "label": phase.label,
                    "state": phases.get(phase.name, "pending"),
                    "seconds": None,
                    "last_error": "",
                    "children": children,
                    "done": sum(child["state"] == "done" for child in children),
                    "phase": True,
                }
            )
    return rows


@dataclass(frozen=True)
class CountRow:
    step: str
    step_label: str
    entity: str
    store: str
    store_label: str
    n: int


def in_plan_order(kind: str, counts: dict) -> list[CountRow]:
    """Every (step, entity) of `counts` in the order the plan deletes them, with its store.

    The job's JSON fields come back from PostgreSQL's jsonb with their keys re-sorted (shortest
    first), which would list `NPC` before `PLAYS_IN` and Neo4j before MongoDB.
    """
    plan = _plan(kind)
    known = [(step.name, step.label, item.entity, item.store) for step, item in plan.all_items()] if plan else []
    rows = [
        CountRow(step, label, entity, store, store_label(store), counts[step][entity])
        for step, label, entity, store in known
        if entity in counts.get(step, {})
    ]
    seen = {(row.step, row.entity) for row in rows}
    for step, entities in counts.items():
        rows.extend(
            CountRow(step, step, entity, "", "", n) for entity, n in entities.items() if (step, entity) not in seen
        )
    return rows


def grouped(kind: str, counts: dict, deleted: dict | None = None) -> list[dict]:
    """Per step, its entities with their store and count (and, for a job, how many are gone)."""
    groups: dict[str, dict] = {}
    for row in in_plan_order(kind, counts):
        group = groups.setdefault(
            row.step, {"step": row.step, "label": row.step_label, "rows": [], "total": 0, "stores": []}
        )
        if row.store_label not in group["stores"]:
            group["stores"].append(row.store_label)
        done = (deleted or {}).get(row.step, {}).get(row.entity, 0)
        group["rows"].append(
            {"step": row.step, "entity": row.entity, "store": row.store_label, "expected": row.n, "deleted": done}
        )
        group["total"] += row.n
    return list(groups.values())


def store_totals(kind: str, counts: dict) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for row in in_plan_order(kind, counts):
        totals[row.store_label or row.step] = totals.get(row.store_label or row.step, 0) + row.n
    return list(totals.items())


def store_sentence(plan: Plan) -> str:
    labels = [store_label(store) for store in plan.stores()]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def progress_context(job: DeletionJob) -> dict:
    plan = _plan(job.kind)
    return {
        "job": job,
        "plan": plan,
        "snapshot": job_snapshot(job),
        "steps": steps(job),
        "counters": grouped(job.kind, job.preview, job.counts),
        "is_active": job.is_active,
        "can_resume": job.is_resumable,
        "cancel_url": reverse("jobs:cancel", args=[job.pk]),
        "resume_url": reverse("jobs:resume", args=[job.pk]),
        "run_now_url": reverse("jobs:run-now", args=[job.pk]),
        "approve_url": reverse("jobs:approve", args=[job.pk]),
        "reject_url": reverse("jobs:reject", args=[job.pk]),
        "status_url": reverse("api:deletion-detail", args=[job.pk]),
        "socket_path": f"/ws/deletions/{job.pk}/",
    }
