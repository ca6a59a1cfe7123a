"""The migration that introduced the hash chain links the events that existed before it."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deletion_console.models import JobEvent
from deletion_console.selectors.audit import verify_chain

pytestmark = pytest.mark.django_db(transaction=True)


def chain_migration(executor) -> tuple[tuple[str, str], tuple[str, str]]:
    """(the migration that adds the chain, the one before it), found by name so a renumbering keeps the test."""
    (key,) = [k for k in executor.loader.disk_migrations if k[0] == "deletion_console" and k[1].endswith("_audit_chain")]
    (before,) = [d for d in executor.loader.disk_migrations[key].dependencies if d[0] == "deletion_console"]
    return key, before


def test_existing_events_are_chained_in_the_order_they_were_appended():
    executor = MigrationExecutor(connection)
    chain, before = chain_migration(executor)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    try:
        old = MigrationExecutor(connection).loader.project_state([before]).apps
        Job, Event = old.get_model("deletion_console", "DeletionJob"), old.get_model("deletion_console", "JobEvent")
        jobs = [Job.objects.create(id=uuid.uuid4(), kind="campaign", target_id=f"c-{n}") for n in range(2)]
        for job in jobs:
            for n in range(3):
                Event.objects.create(job=job, step="mongodb", kind="batch", counts={"items": n}, seconds=0.5 * n)
        Event.objects.filter(job=jobs[1]).update(created_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    finally:
        MigrationExecutor(connection).migrate(latest)

    reports = [verify_chain(job.pk) for job in jobs]

    # Each with the event that attested its row when the audit log began.
    assert [(r.intact, r.events) for r in reports] == [(True, 4), (True, 4)]
    first = JobEvent.objects.filter(job_id=jobs[0].pk).order_by("id").first()
    assert first.prev_hash == "0" * 64
    # A chain migrated in goes on like any other.
    JobEvent.objects.create(job_id=jobs[0].pk, kind="resumed")
    assert verify_chain(jobs[0].pk).intact
