"""A succeeded job's deletion certificate: what was removed, how it was proven, signed."""

from deletion_console.certificates import keys, signing
from deletion_console.certificates.queries import plan_items, residue_query
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.audit import verify_chain
from deletion_console.selectors.scopes import JobScope


class NotCertifiable(Exception):
    """This job gets no certificate; the message says why."""


def per_step(job: DeletionJob, field: str) -> dict[str, dict[str, int]]:
    """The job's `counts`, `preview` or `residue`: {step: {entity: n}}.

    The one place certificates read these fields, should their shape change."""
    return getattr(job, field) or {}


def certificate_body(job: DeletionJob) -> dict:
    if job.status != JobStatus.SUCCEEDED:
        raise NotCertifiable(
            f"This job is {job.get_status_display().lower()}: a deletion certificate is issued only once a "
            "deletion has succeeded."
        )
    chain = verify_chain(job.pk)
    if not chain.intact:
        raise NotCertifiable(f"The audit trail of this job is broken {chain.detail()}; no certificate is issued.")
    return {
        "format": signing.FORMAT,
        "job": str(job.pk),
        "target": {"kind": job.kind, "id": job.target_id, "label": job.target_label},
        # by: null when requested from the command line.
        "requested": {"by": job.requested_by.get_username() if job.requested_by else None, "at": _iso(job.created_at)},
        # null for a job that needed no second approval.
        "approved": _approval(job),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "counts": _counts(job),
        "total_deleted": job.total_deleted,
        "verification": _verification(job),
        "audit_trail": {"events": chain.events, "head": chain.head},
    }


def issue_certificate(job: DeletionJob) -> dict:
    """The signed certificate document; raises NotCertifiable or keys.CertificateKeyError."""
    body = certificate_body(job)
    key = keys.signing_key()
    # Signed, so that a development certificate cannot pass for a real one.
    body["development_key"] = key.development
    return signing.sign(body, key)


def _approval(job: DeletionJob) -> dict:
    # When from the audit event (which the chain's head, signed below, covers); who from the job,
    # as the event names the approver only in its message.
    event = job.events.filter(kind="approved").order_by("-id").first()
    if event is None:
        return {"by": None, "at": None}
    return {"by": job.approved_by.get_username() if job.approved_by else None, "at": _iso(event.created_at)}


def _counts(job: DeletionJob) -> list[dict]:
    deleted, expected = per_step(job, "counts"), per_step(job, "preview")
    rows = []
    listed = set()
    for step, item in plan_items(get_plan(job.kind)):
        listed.add((step, item.entity))
        rows.append(_count_row(step, item.entity, deleted, expected))
    # Whatever else the job counted (a plan changed since) is stated too.
    extra = {(s, e) for figures in (deleted, expected) for s, entities in figures.items() for e in entities}
    rows.extend(_count_row(step, entity, deleted, expected) for step, entity in sorted(extra - listed))
    return rows


def _count_row(step: str, entity: str, deleted: dict, expected: dict) -> dict:
    return {
        "step": step,
        "entity": entity,
        "deleted": deleted.get(step, {}).get(entity, 0),
        "expected": expected.get(step, {}).get(entity, 0),
    }


def _verification(job: DeletionJob) -> list[dict]:
    residue = per_step(job, "residue")
    plan = get_plan(job.kind)
    scope = JobScope(job, plan)
    rows = []
    for step, item in plan_items(plan):
        query = residue_query(item, ref=scope.ref, keys=scope.keys)
        rows.append(
            {
                "step": step,
                "entity": item.entity,
                "store": query.store,
                "language": query.language,
                "queries": list(query.queries),
                "residue": residue.get(step, {}).get(item.entity),  # null: not measured
            }
        )
    return rows


def _iso(value):
    return value.isoformat() if value else None
