"""Every appended job event is linked into its job's hash chain."""

import hashlib

import pytest

from deletion_console import audit_chain
from deletion_console.models import AppendOnlyError, JobEvent
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def test_each_event_links_to_the_one_before_and_the_first_to_the_start():
    job = DeletionJobFactory()
    first = JobEvent.objects.create(job=job, kind="requested", counts={"expected": 3}, message="by dana")
    second = JobEvent.objects.create(job=job, step="validate", kind="started", run=1)

    assert first.prev_hash == audit_chain.GENESIS
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64 and second.hash != first.hash


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_content():
    job = DeletionJobFactory()
    event = JobEvent.objects.create(
        job=job, step="mongodb", kind="batch", run=2, attempt=1, seconds=0, counts={"items": 3}, message="é"
    )
    stored = JobEvent.objects.get(pk=event.pk)
    content = (
        f'{{"attempt":1,"counts":{{"items":3}},"created_at":"{stored.created_at.isoformat(timespec="microseconds")}",'
        f'"job":"{job.pk}","kind":"batch","message":"é","run":2,"seconds":0.0,"step":"mongodb"}}'
    )

    assert stored.hash == hashlib.sha256((audit_chain.GENESIS + content).encode()).hexdigest()


def test_what_is_read_back_from_the_database_hashes_as_it_was_written():
    job = DeletionJobFactory()
    event = JobEvent.objects.create(job=job, kind="batch", seconds=3, counts={"b": 1, "a": {"n": 2}}, message="x\r\ny")

    stored = JobEvent.objects.get(pk=event.pk)

    assert audit_chain.link(stored.prev_hash, audit_chain.event_content(stored)) == stored.hash == event.hash


@pytest.mark.parametrize(
    "field, value",
    [
        ("step", "neo4j"),
        ("kind", "failed"),
        ("run", 3),
        ("counts", {"items": 4}),
        ("attempt", 2),
        ("seconds", 1.5),
        ("message", "by eve"),
        ("facts", {"requested_by": {"id": 2, "username": "eve"}}),
    ],
)
def test_every_field_of_the_content_is_covered(field, value):
    job = DeletionJobFactory()
    event = JobEvent.objects.create(job=job, step="mongodb", kind="batch", run=1, counts={"items": 3}, seconds=1.0)
    content = audit_chain.event_content(event)

    assert audit_chain.link(event.prev_hash, {**content, field: value}) != event.hash


def test_an_events_facts_are_part_of_its_content_and_an_event_without_any_hashes_as_before_facts_came():
    job = DeletionJobFactory()
    stating = JobEvent.objects.create(job=job, kind="requested", facts={"status": "pending"})
    plain = JobEvent.objects.create(job=job, kind="batch")

    assert audit_chain.event_content(JobEvent.objects.get(pk=stating.pk))["facts"] == {"status": "pending"}
    assert "facts" not in audit_chain.event_content(plain)


def test_chains_are_per_job():
    one, other = DeletionJobFactory(), DeletionJobFactory()
    JobEvent.objects.create(job=one, kind="requested")

    assert JobEvent.objects.create(job=other, kind="requested").prev_hash == audit_chain.GENESIS


def test_events_cannot_be_bulk_created_past_the_chain():
    job = DeletionJobFactory()

    with pytest.raises(AppendOnlyError):
        JobEvent.objects.bulk_create([JobEvent(job=job, kind="batch")])
