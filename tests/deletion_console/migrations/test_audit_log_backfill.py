"""The migration that introduced the audit log enters the events that existed before it, in the
order they were appended, and attests each job's row, so an upgraded database verifies."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deletion_console import audit_chain
from deletion_console.models import AuditLogEntry, JobEvent
from deletion_console.selectors.audit import verify_chain, verify_chains, verify_log
from tests.fixtures.audit import tamper

pytestmark = pytest.mark.django_db(transaction=True)


def log_migration(executor) -> tuple[tuple[str, str], tuple[str, str]]:
    (key,) = [k for k in executor.loader.disk_migrations if k[0] == "deletion_console" and k[1].endswith("_audit_log")]
    (before,) = [d for d in executor.loader.disk_migrations[key].dependencies if d[0] == "deletion_console"]
    return key, before


def test_existing_events_are_logged_in_order_and_each_job_is_attested():
    executor = MigrationExecutor(connection)
    _, before = log_migration(executor)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    try:
        old = MigrationExecutor(connection).loader.project_state([before]).apps
        Job, Event = old.get_model("deletion_console", "DeletionJob"), old.get_model("deletion_console", "JobEvent")
        User = old.get_model("auth", "User")
        dana = User.objects.create(username="dana")
        jobs = [
            Job.objects.create(id=uuid.uuid4(), kind="campaign", target_id=f"c-{n}", requested_by=dana, status="failed")
            for n in range(2)
        ]
        heads = {}
        for n in range(3):
            for job in jobs:  # interleaved, as jobs running side by side append
                event = Event(job=job, step="mongodb", kind="batch", counts={"items": n})
                event.prev_hash = heads.get(job.pk, audit_chain.GENESIS)
                event.hash = heads[job.pk] = audit_chain.link(event.prev_hash, audit_chain.event_content(event))
                event.save()
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert [(r.intact, r.events, r.logged) for r in verify_chains(j.pk for j in jobs)] == [(True, 4, 4)] * 2
    assert verify_log() == []
    entries = list(AuditLogEntry.objects.order_by("position"))
    assert [e.event_id for e in entries[:6]] == sorted(e.event_id for e in entries[:6])
    attested = JobEvent.objects.get(job_id=jobs[0].pk, kind="attested")
    assert attested.facts["requested_by"] == {"id": dana.pk, "username": "dana"}
    assert attested.facts["status"] == "failed"
    # Attested, the row is held to what it said then.
    tamper("UPDATE deletion_console_deletionjob SET requested_by_id = NULL WHERE id = %s", jobs[0].pk)
    assert "its requested_by is None" in verify_chain(jobs[0].pk).broken.problem
