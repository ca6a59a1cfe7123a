import io

import pytest
from django.core.management import CommandError, call_command

from tests.deletion_console.selectors.test_audit import raw_sql, trail
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def verify_audit(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_untouched_trails_verify():
    trail(), trail()

    out, err = verify_audit()

    assert "2 audit trails verified: intact, and the audit log with them." in out and err == ""


def test_an_altered_and_a_removed_event_are_reported_with_their_job_and_position_and_fail_the_command():
    altered, removed, untouched = trail(), trail(), trail()
    raw_sql("UPDATE deletion_console_jobevent SET kind = 'cancelled' WHERE id = %s", altered[3].pk)
    raw_sql("DELETE FROM deletion_console_jobevent WHERE id = %s", removed[1].pk)
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 of 3 audit trails are broken"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)

    reported = err.getvalue()
    assert f"job {altered[0].job_id}: broken at event 4 of 5 (id {altered[3].pk}): its content" in reported
    assert f"job {removed[0].job_id}: broken at event 2 of 5 (id {removed[1].pk}): removed: the audit log" in reported
    assert str(untouched[0].job_id) not in reported
    out, _ = verify_audit(str(untouched[0].job_id))
    assert "1 audit trail verified: intact" in out


def test_only_the_given_jobs_are_checked():
    broken, fine = trail(), trail()
    raw_sql("UPDATE deletion_console_jobevent SET message = 'x' WHERE id = %s", broken[0].pk)

    out, _ = verify_audit(str(fine[0].job_id), "-v", "2")

    assert f"job {fine[0].job_id}: intact: 5 events" in out
    assert "1 audit trail verified: intact" in out


def test_a_job_without_events_is_reported_as_broken():
    empty = DeletionJobFactory()
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 audit trails are broken"):
        call_command("verify_audit", str(empty.pk), stdout=io.StringIO(), stderr=err)

    assert f"job {empty.pk}: broken with no events: it has no audit events" in err.getvalue()


def test_a_removed_log_entry_is_reported_and_fails_the_command():
    events = trail()
    raw_sql("DELETE FROM deletion_console_auditlog WHERE event_id = %s", events[2].pk)
    err = io.StringIO()

    with pytest.raises(CommandError, match="the audit log is broken in 1 place"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)

    assert "audit log: broken at position" in err.getvalue()
    assert f"job {events[0].job_id}: broken at event 3 of 5: its entry in the audit log was removed" in err.getvalue()


def test_unknown_jobs_are_refused():
    with pytest.raises(CommandError, match="No such job: 00000000-0000-0000-0000-000000000000"):
        verify_audit("00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError, match="Not a job id: 'nope'"):
        verify_audit("nope")
