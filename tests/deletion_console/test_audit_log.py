"""The database appends every event to the audit log as it commits, and refuses changing or
removing events and log entries."""

import pytest
from django.db import DatabaseError, connection, transaction

from deletion_console import audit_chain
from deletion_console.models import AuditLogEntry, JobEvent
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def execute(statement: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_each_event_gets_the_next_position_and_its_place_in_its_jobs_trail():
    one, other = DeletionJobFactory(), DeletionJobFactory()
    events = [JobEvent.objects.create(job=job, kind="batch") for job in (one, other, one)]

    entries = [AuditLogEntry.objects.get(event_id=e.pk) for e in events]

    first = entries[0].position
    assert [e.position for e in entries] == [first, first + 1, first + 2]
    assert [(e.job_id, e.job_position) for e in entries] == [(one.pk, 1), (other.pk, 1), (one.pk, 2)]
    assert [e.event_hash for e in entries] == [e.hash for e in events]


def test_each_entrys_hash_covers_the_entry_before_it_as_the_python_side_recomputes_it():
    job = DeletionJobFactory()
    JobEvent.objects.create(job=job, kind="batch"), JobEvent.objects.create(job=job, kind="batch")
    before, entry = AuditLogEntry.objects.order_by("-position")[:2][::-1]

    assert entry.prev_hash == before.hash
    assert entry.hash == audit_chain.log_link(
        before.hash,
        position=entry.position,
        job_id=entry.job_id,
        job_position=entry.job_position,
        event_id=entry.event_id,
        event_hash=entry.event_hash,
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE deletion_console_jobevent SET message = 'nothing happened' WHERE id = %s",
        "DELETE FROM deletion_console_jobevent WHERE id = %s",
        "UPDATE deletion_console_auditlog SET event_hash = '' WHERE event_id = %s",
        "DELETE FROM deletion_console_auditlog WHERE event_id = %s",
    ],
    ids=["update event", "delete event", "update log", "delete log"],
)
def test_the_database_refuses_changing_or_removing_events_and_log_entries(statement):
    event = JobEvent.objects.create(job=DeletionJobFactory(), kind="requested", message="by dana")

    with pytest.raises(DatabaseError, match="is append-only: (UPDATE|DELETE) refused"):
        execute(statement, event.pk)

    assert JobEvent.objects.get(pk=event.pk).message == "by dana"
    assert AuditLogEntry.objects.get(event_id=event.pk).event_hash == event.hash


def test_the_database_refuses_removing_a_jobs_whole_trail():
    job = DeletionJobFactory()
    JobEvent.objects.create(job=job, kind="requested")

    with pytest.raises(DatabaseError, match="deletion_console_jobevent is append-only: DELETE refused"):
        execute("DELETE FROM deletion_console_jobevent WHERE job_id = %s", job.pk)
