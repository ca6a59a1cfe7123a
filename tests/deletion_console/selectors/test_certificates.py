import pytest

from deletion_console import audit_facts
from deletion_console.certificates import signing
from deletion_console.models import AuditLogEntry, JobEvent
from deletion_console.selectors.certificates import NotCertifiable, certificate_body, issue_certificate
from tests.deletion_console.selectors.test_audit import raw_sql
from tests.factories import DeletionJobFactory, deleter, failed_job, running_job, succeeded_job, with_trail

pytestmark = pytest.mark.django_db


def test_the_body_states_target_people_times_counts_residue_queries_and_the_chain_head():
    dana = deleter(username="dana")
    job = with_trail(succeeded_job(target_id="c-7", target_label="Tomb of Ash", requested_by=dana))
    head = JobEvent.objects.filter(job=job).order_by("-id").first()
    entry = AuditLogEntry.objects.get(event_id=head.pk)

    body = certificate_body(job)

    assert body["target"] == {"kind": "campaign", "id": "c-7", "label": "Tomb of Ash"}
    assert body["requested"] == {"by": "dana", "at": audit_facts.iso(job.created_at)}
    assert body["approved"] == {"by": None, "at": None}
    assert body["started_at"] == audit_facts.iso(job.started_at)
    assert body["finished_at"] == audit_facts.iso(job.finished_at)
    assert body["counts"][0] == {"step": "mongodb", "entity": "campaign_events", "deleted": 12_500, "expected": 12_500}
    assert len(body["counts"]) == len(body["verification"]) == 7 + 7 + 3
    assert body["total_deleted"] == job.total_deleted
    attendance = body["verification"][-3]
    assert attendance["entity"] == "session_attendance" and attendance["language"] == "SQL"
    assert "campaign_id = 'c-7'" in attendance["queries"][0]
    assert all(row["residue"] == 0 for row in body["verification"])
    assert body["audit_trail"] == {
        "events": 3,
        "head": head.hash,
        "log_position": entry.position,
        "log_hash": entry.hash,
    }


def test_the_facts_come_from_the_trail_not_the_row():
    job = with_trail(succeeded_job(target_label="Tomb of Ash"))
    deleted = job.total_deleted
    # Read as it was when the trail was written, whatever the row is later made to say in memory.
    job.target_label, job.counts = "Somewhere else", {}

    body = certificate_body(job)

    assert body["target"]["label"] == "Tomb of Ash" and body["total_deleted"] == deleted > 0


def test_a_command_line_request_has_nobody_as_its_requester():
    assert certificate_body(with_trail(succeeded_job()))["requested"]["by"] is None


@pytest.mark.parametrize("make", [failed_job, running_job], ids=["failed", "running"])
def test_only_a_succeeded_job_gets_a_certificate(make):
    with pytest.raises(NotCertifiable, match="only once a deletion has succeeded"):
        certificate_body(make())


def test_a_job_whose_audit_trail_is_broken_gets_none():
    job = with_trail(succeeded_job())
    raw_sql("UPDATE deletion_console_jobevent SET kind = 'x' WHERE job_id = %s", job.pk)

    with pytest.raises(NotCertifiable, match="audit trail of this job is broken at event 1"):
        certificate_body(job)


def test_a_succeeded_job_without_events_gets_none():
    with pytest.raises(NotCertifiable, match="broken with no events"):
        certificate_body(succeeded_job())


def test_a_job_whose_row_was_edited_to_succeeded_gets_none():
    job = with_trail(DeletionJobFactory())
    raw_sql("UPDATE deletion_console_deletionjob SET status = 'succeeded' WHERE id = %s", job.pk)
    job.refresh_from_db()

    with pytest.raises(NotCertifiable, match="the job's row was edited: its status is 'succeeded'"):
        certificate_body(job)


def test_the_issued_certificate_is_signed_and_deterministic(certificate_key):
    job = with_trail(succeeded_job())

    document = issue_certificate(job)

    assert document["certificate"]["development_key"] is False
    data = signing.dumps(document).encode()
    assert signing.verify(data, certificate_key.public).body == document["certificate"]
    assert signing.dumps(issue_certificate(job)).encode() == data
