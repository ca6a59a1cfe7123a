"""Verifying a job's trail finds the first event that was altered, removed or inserted, a trail
or a job removed, and a job row that says otherwise than its trail."""

import pytest

from deletion_console import audit_chain, audit_facts
from deletion_console.models import AuditLogEntry, JobEvent
from deletion_console.selectors.audit import verify_chain, verify_chains, verify_log
from tests.factories import DeletionJobFactory, UserFactory
from tests.fixtures.audit import superuser, tamper

pytestmark = pytest.mark.django_db


def trail(job=None, n=5) -> list[JobEvent]:
    """A job's trail: its request's event, stating the request as the lifecycle does, and more."""
    job = job or DeletionJobFactory()
    kinds = ["requested", "started", "batch", "batch", "succeeded", "started", "succeeded"]
    request = audit_facts.of_transition(job, requested=True, approved=False)
    return [
        JobEvent.objects.create(
            job=job, step="mongodb", kind=kind, run=1, counts={"items": i}, facts=request if i == 0 else {}
        )
        for i, kind in enumerate((kinds * n)[:n])
    ]


def raw_sql(statement: str, *params) -> None:
    # Past the model's and the queryset's append-only guard, and the database's own.
    tamper(statement, *params)


def logged(event: JobEvent) -> AuditLogEntry:
    return AuditLogEntry.objects.get(event_id=event.pk)


def test_an_untouched_trail_is_intact_and_its_head_is_the_last_hash_as_the_audit_log_holds_it():
    events = trail()

    report = verify_chain(events[0].job_id)

    assert report.intact and report.broken is None
    assert report.events == report.logged == 5 and report.head == events[-1].hash
    assert (report.log_position, report.log_hash) == (logged(events[-1]).position, logged(events[-1]).hash)


def test_a_job_without_events_is_never_intact():
    report = verify_chain(DeletionJobFactory().pk)

    assert not report.intact and report.events == 0 and report.head is None
    assert "no audit events" in report.broken.problem


def test_an_event_altered_with_raw_sql_breaks_the_chain_at_its_position():
    events = trail()
    raw_sql("UPDATE deletion_console_jobevent SET counts = %s WHERE id = %s", '{"items": 200}', events[2].pk)

    report = verify_chain(events[0].job_id)

    assert not report.intact
    assert (report.broken.position, report.broken.event_id) == (3, events[2].pk)
    assert "altered" in report.broken.problem


def test_an_event_altered_and_rehashed_is_found_where_it_no_longer_matches_the_audit_log():
    events = trail()
    content = {**audit_chain.event_content(events[1]), "message": "nothing happened"}
    raw_sql(
        "UPDATE deletion_console_jobevent SET message = %s, hash = %s WHERE id = %s",
        "nothing happened",
        audit_chain.link(events[1].prev_hash, content),
        events[1].pk,
    )

    report = verify_chain(events[0].job_id)

    assert (report.broken.position, report.broken.event_id) == (2, events[1].pk)
    assert "rewritten" in report.broken.problem


@pytest.mark.parametrize("removed", [0, 2, 4], ids=["first", "middle", "last"])
def test_an_event_removed_with_raw_sql_is_named_with_its_position_from_the_audit_log(removed):
    events = trail()
    raw_sql("DELETE FROM deletion_console_jobevent WHERE id = %s", events[removed].pk)

    report = verify_chain(events[0].job_id)

    assert (report.broken.position, report.broken.event_id) == (removed + 1, events[removed].pk)
    assert f"removed: the audit log lists it at position {logged(events[removed]).position}" in report.broken.problem
    assert report.events == 4 and report.logged == 5


def test_a_whole_trail_removed_is_reported_with_the_positions_the_log_holds():
    events = trail()
    raw_sql("DELETE FROM deletion_console_jobevent WHERE job_id = %s", events[0].job_id)

    report = verify_chain(events[0].job_id)

    assert not report.intact and report.events == 0
    assert (report.broken.position, report.broken.event_id) == (1, events[0].pk)
    assert "its whole trail was removed: the audit log lists 5 events of it" in report.broken.problem


def test_a_removed_job_is_reported_from_the_audit_log():
    events, other = trail(), trail()
    job_id = events[0].job_id
    with superuser() as cursor:
        cursor.execute("DELETE FROM deletion_console_jobevent WHERE job_id = %s", [job_id])
        cursor.execute("DELETE FROM deletion_console_deletionjob WHERE id = %s", [job_id])

    reports = {r.job_id: r for r in verify_chains()}

    assert reports[other[0].job_id].intact
    removed = reports[job_id]
    assert (removed.broken.position, removed.broken.event_id) == (1, events[0].pk)
    assert "the job was removed, its trail with it: the audit log lists 5 events of it" in removed.broken.problem


def test_an_event_and_its_log_entry_removed_break_the_audit_logs_sequence():
    events, after = trail(n=2), trail(n=1)
    gone = logged(events[-1])
    with superuser() as cursor:
        cursor.execute("DELETE FROM deletion_console_jobevent WHERE id = %s", [events[-1].pk])
        cursor.execute("DELETE FROM deletion_console_auditlog WHERE position = %s", [gone.position])

    (found,) = verify_log()

    assert found.position == gone.position
    assert f"entries {gone.position} are missing: removed (the next is job {after[0].job_id}'s)" in found.problem


def test_a_log_entry_altered_is_found_at_its_position():
    events = trail(n=2)
    entry = logged(events[0])
    raw_sql("UPDATE deletion_console_auditlog SET job_position = 7 WHERE position = %s", entry.position)

    assert [b.position for b in verify_log()] == [entry.position]


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
        " prev_hash, hash, facts) VALUES (%s, %s, 'mongodb', 'batch', 1, %s, 1, '', %s, %s, %s, '{}')",
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


def test_an_event_inserted_past_the_audit_log_is_found():
    events = trail(n=2)
    job = events[0].job
    extra = JobEvent(job=job, kind="batch", step="mongodb", run=1, counts={"items": 9}, prev_hash=events[-1].hash)
    extra.hash = audit_chain.link(extra.prev_hash, audit_chain.event_content(extra))
    raw_sql(
        "INSERT INTO deletion_console_jobevent (job_id, step, kind, run, counts, attempt, message, created_at,"
        " prev_hash, hash, facts) VALUES (%s, 'mongodb', 'batch', 1, %s, 1, '', %s, %s, %s, '{}')",
        job.pk,
        '{"items": 9}',
        extra.created_at,
        extra.prev_hash,
        extra.hash,
    )

    report = verify_chain(job.pk)

    assert report.broken.position == 3 and "not in the audit log" in report.broken.problem


def test_a_job_row_whose_requester_was_edited_is_reported_at_the_event_stating_the_request():
    dana, eve = UserFactory(username="dana"), UserFactory(username="eve")
    events = trail(job=DeletionJobFactory(requested_by=dana))
    raw_sql("UPDATE deletion_console_deletionjob SET requested_by_id = %s WHERE id = %s", eve.pk, events[0].job_id)

    report = verify_chain(events[0].job_id)

    assert (report.broken.position, report.broken.event_id) == (1, events[0].pk)
    edited = f"the job's row was edited: its requested_by is {{'id': {eve.pk}, 'username': 'eve'}}"
    assert edited in report.broken.problem
    assert "'username': 'dana'" in report.broken.problem


def test_a_trail_that_states_no_request_is_broken():
    job = DeletionJobFactory()
    JobEvent.objects.create(job=job, kind="requested", message="by nobody")

    assert "states its request" in verify_chain(job.pk).broken.problem


def test_a_broken_trail_leaves_every_other_job_intact():
    tampered, untouched = trail(), trail()
    raw_sql("UPDATE deletion_console_jobevent SET message = 'x' WHERE id = %s", tampered[0].pk)

    reports = {r.job_id: r for r in verify_chains()}

    assert not reports[tampered[0].job_id].intact
    assert reports[untouched[0].job_id].intact and reports[untouched[0].job_id].events == 5
    assert verify_log() == []


def test_only_the_given_jobs_are_checked_and_jobs_without_events_are_listed_as_broken():
    one, other = trail(), trail()
    empty = DeletionJobFactory()

    reports = {r.job_id: r for r in verify_chains([one[0].job_id, empty.pk])}

    assert set(reports) == {one[0].job_id, empty.pk}
    assert reports[one[0].job_id].intact and not reports[empty.pk].intact
    assert other  # not among them
