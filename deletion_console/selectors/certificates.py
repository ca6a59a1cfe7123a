"""A succeeded job's deletion certificate: what was removed, how it was proven, signed."""

from deletion_console.certificates import keys, signing
from deletion_console.certificates.queries import plan_items, residue_query
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.audit import verify_chain
from deletion_console.selectors.scopes import JobScope


class NotCertifiable(Exception):
    """This job gets no certificate; the message says why."""


def certificate_body(job: DeletionJob) -> dict:
    """What the certificate states, every fact of it read from the job's audit trail (the events
    whose chain, and place in the audit log, verify_chain has just checked), not from its row."""
    if job.status != JobStatus.SUCCEEDED:
        raise NotCertifiable(
            f"This job is {job.get_status_display().lower()}: a deletion certificate is issued only once a "
            "deletion has succeeded."
        )
    chain = verify_chain(job.pk)
    if not chain.intact:
        raise NotCertifiable(f"The audit trail of this job is broken {chain.detail()}; no certificate is issued.")
    facts = chain.facts
    if facts.get("status") != JobStatus.SUCCEEDED:
        raise NotCertifiable("The audit trail of this job does not state that its deletion succeeded.")
    deleted = facts.get("deleted", {})
    return {
        "format": signing.FORMAT,
        "job": str(job.pk),
        "target": facts.get("target"),
        # by: null when requested from the command line.
        "requested": {"by": _name(facts.get("requested_by")), "at": facts.get("requested_at")},
        # by and at null for a job that needed no second approval.
        "approved": {"by": _name(facts.get("approved_by")), "at": facts.get("approved_at")},
        "started_at": facts.get("started_at"),
        "finished_at": facts.get("finished_at"),
        "counts": _counts(job.kind, deleted, facts.get("expected", {})),
        "total_deleted": sum(sum(entities.values()) for entities in deleted.values()),
        "verification": _verification(job, facts.get("residue", {})),
        # The job's last event and its entry in the audit log: what this certificate vouches for.
        "audit_trail": {
            "events": chain.events,
            "head": chain.head,
            "log_position": chain.log_position,
            "log_hash": chain.log_hash,
        },
    }


def issue_certificate(job: DeletionJob) -> dict:
    """The signed certificate document; raises NotCertifiable or keys.CertificateKeyError."""
    body = certificate_body(job)
    key = keys.signing_key()
    # Signed, so that a development certificate cannot pass for a real one.
    body["development_key"] = key.development
    return signing.sign(body, key)


def _name(person: dict | None) -> str | None:
    return person["username"] if person else None


def _counts(kind: str, deleted: dict, expected: dict) -> list[dict]:
    """{step: {entity: n}} deleted and expected, one row per plan item."""
    rows = []
    listed = set()
    for step, item in plan_items(get_plan(kind)):
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


def _verification(job: DeletionJob, residue: dict) -> list[dict]:
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
