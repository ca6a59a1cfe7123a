"""Recomputing a job's chain finds the first event that was altered, removed or inserted."""

import pytest
from django.db import connection

from deletion_console import audit_chain
from deletion_console.models import JobEvent
from deletion_console.selectors.audit import verify_chain, verify_chains
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def trail(job=None, n=5) -> list[JobEvent]:
    job = job or DeletionJobFactory()
    kinds = ["requested", "started", "batch", "batch", "succeeded", "started", "succeeded"]
    return [
        JobEvent.objects.create(job=job, step="mongodb", kind=kinds[i % len(kinds)], run=1, counts={"items": i})
        for i in range(n)
    ]


def raw_sql(statement: str, *params) -> None:
    # Straight through a cursor: past the model's and the queryset's append-only guard.
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_trail_is_intact_and_its_head_is_the_last_hash():
    events = trail()

    report = verify_chain(events[0].job_id)

    assert report.intact and report.broken is None
    assert report.events == 5 and report.head == events[-1].hash


def test_a_job_without_events_is_intact():
    report = verify_chain(DeletionJobFactory().pk)

    assert report.intact and report.events == 0 and report.head is None


def test_an_event_altered_with_raw_sql_breaks_the_chain_at_its_position():
    events = trail()
    raw_sql("UPDATE deletion_console_jobevent SET counts = %s WHERE id = %s", '{"items": 200}', events[2].pk)

    report = verify_chain(events[0].job_id)

    assert not report.intact
    assert (report.broken.position, report.broken.event_id) == (3, events[2].pk)
    assert "altered" in report.broken.problem


def test_an_event_altered_and_rehashed_is_found_at_the_next_one():
    events = trail()
    content = {**audit_chain.event_content(events[1]), "message": "nothing happened"}
    raw_sql(
        "UPDATE deletion_console_jobevent SET message = %s, hash = %s WHERE id = %s",
        "nothing happened",
        audit_chain.link(events[1].prev_hash, content),
        events[1].pk,
    )

    report = verify_chain(events[0].job_id)

    assert (report.broken.position, report.broken.event_id) == (3, events[2].pk)
    assert "rewritten" in report.broken.problem


@pytest.mark.parametrize("removed, position", [(0, 1), (2, 3)], ids=["first", "middle"])
def test_an_event_removed_with_raw_sql_is_found_at_the_one_after_it(removed, position):
    events = trail()
    raw_sql("DELETE FROM deletion_console_jobevent WHERE id = %s", events[removed].pk)

    report = verify_chain(events[0].job_id)

    assert (report.broken.position, report.broken.event_id) == (position, events[removed + 1].pk)
    assert "removed" in report.broken.problem
    assert report.events == 4


def test_an_event_inserted_with_a_valid_link_is_found_where_it_was_inserted():
    events = trail(n=3)
    job_id = events[0].job_id
    # Forged into the middle of the trail, linked to the event before it with a correct hash:
    # the id is taken between two existing ones by renumbering the later event.
    raw_sql("UPDATE deletion_console_jobevent SET id = id + 1000 WHERE id = %s", events[2].pk)
    forged = JobEvent(job_id=job_id, kind="batch", step="mongodb", run=1, counts={"items": 1})
    forged.prev_hash = events[1].hash
    forged.hash = audit_chain.link(forged.prev_hash, audit_chain.event_content(forged))
    raw_sql(
        "INSERT INTO deletion_console_jobevent (id, job_id, step, kind, run, counts, attempt, message, created_at,"
        " prev_hash, hash) VALUES (%s, %s, 'mongodb', 'batch', 1, %s, 1, '', %s, %s, %s)",
        events[2].pk,
        job_id,
        '{"items": 1}',
        forged.created_at,
        forged.prev_hash,
        forged.hash,
    )

    report = verify_chain(job_id)

    assert (report.broken.position, report.broken.event_id) == (3, events[2].pk)
    assert "inserted" in report.broken.problem and "event 4" in report.broken.problem


def test_a_broken_trail_leaves_every_other_job_intact():
    tampered, untouched = trail(), trail()
    raw_sql("UPDATE deletion_console_jobevent SET message = 'x' WHERE id = %s", tampered[0].pk)

    reports = {r.job_id: r for r in verify_chains()}

    assert not reports[tampered[0].job_id].intact
    assert reports[untouched[0].job_id].intact and reports[untouched[0].job_id].events == 5


def test_only_the_given_jobs_are_checked_and_jobs_without_events_are_listed():
    one, other = trail(), trail()
    empty = DeletionJobFactory()

    reports = list(verify_chains([one[0].job_id, empty.pk]))

    assert {r.job_id for r in reports} == {one[0].job_id, empty.pk}
    assert all(r.intact for r in reports)
    assert other  # not among them
