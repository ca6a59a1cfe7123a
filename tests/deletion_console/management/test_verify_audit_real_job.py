"""The audit of a job deleted by the real worker, tampered with as a database superuser could:
verify_audit names the job and the position of each tampering, and no certificate is issued."""

import io

import pytest
from django.core.management import CommandError, call_command

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.certificates import NotCertifiable, certificate_body
from tests.factories import UserFactory, deleter, request_deletion
from tests.fixtures.audit import superuser, tamper
from tests.fixtures.worker import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")]


@pytest.fixture
def deleted(rng) -> DeletionJob:
    target = create_campaign(CampaignSpec(name="Audited", players=("p-1", "p-2"), events=30), rng)
    job = wait_for_job(request_deletion("campaign", target.id, user=deleter(username="dana")).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def verify_audit() -> str:
    """What verify_audit reports as broken; fails the test if it reports nothing."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="audit"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def event_ids(job) -> list[int]:
    return list(JobEvent.objects.filter(job=job).order_by("id").values_list("id", flat=True))


def test_an_untouched_real_job_verifies_and_is_certified_from_its_trail(deleted):
    out = io.StringIO()
    call_command("verify_audit", str(deleted.pk), "-v", "2", stdout=out, stderr=io.StringIO())

    assert f"job {deleted.pk}: intact: {len(event_ids(deleted))} events" in out.getvalue()
    body = certificate_body(deleted)
    assert body["requested"]["by"] == "dana" and body["total_deleted"] == deleted.total_deleted > 0
    assert body["target"] == {"kind": "campaign", "id": deleted.target_id, "label": "Audited"}


def test_its_last_event_removed_is_reported_with_the_job_and_the_position(deleted):
    ids = event_ids(deleted)
    tamper("DELETE FROM deletion_console_jobevent WHERE id = %s", ids[-1])

    reported = verify_audit()

    n = len(ids)
    assert f"job {deleted.pk}: broken at event {n} of {n} (id {ids[-1]}): removed: the audit log lists it" in reported
    with pytest.raises(NotCertifiable, match=f"broken at event {n} of {n}"):
        certificate_body(deleted)


def test_its_whole_trail_removed_is_reported_with_the_job(deleted):
    ids = event_ids(deleted)
    tamper("DELETE FROM deletion_console_jobevent WHERE job_id = %s", deleted.pk)

    reported = verify_audit()

    assert f"job {deleted.pk}: broken at event 1 of {len(ids)} (id {ids[0]}): its whole trail was removed" in reported
    with pytest.raises(NotCertifiable, match="its whole trail was removed"):
        certificate_body(deleted)


def test_the_job_removed_with_its_trail_is_reported_with_the_job(deleted):
    ids = event_ids(deleted)
    with superuser() as cursor:
        for table in ("jobevent", "outboundevent", "collectedid", "idempotencykey"):
            cursor.execute(f"DELETE FROM deletion_console_{table} WHERE job_id = %s", [deleted.pk])
        cursor.execute("DELETE FROM deletion_console_deletionjob WHERE id = %s", [deleted.pk])

    reported = verify_audit()

    assert f"job {deleted.pk}: broken at event 1 of {len(ids)} (id {ids[0]}): the job was removed" in reported


def test_its_row_with_another_requester_is_reported_at_the_event_stating_the_request(deleted):
    eve = UserFactory(username="eve")
    tamper("UPDATE deletion_console_deletionjob SET requested_by_id = %s WHERE id = %s", eve.pk, deleted.pk)

    reported = verify_audit()

    first = event_ids(deleted)[0]
    assert f"job {deleted.pk}: broken at event 1 of" in reported
    assert f"(id {first}): the job's row was edited: its requested_by is" in reported and "'eve'" in reported
    with pytest.raises(NotCertifiable, match="row was edited"):
        certificate_body(DeletionJob.objects.get(pk=deleted.pk))


def test_its_row_with_other_counts_is_reported_at_the_event_that_ended_it(deleted):
    tamper("UPDATE deletion_console_deletionjob SET counts = '{}' WHERE id = %s", deleted.pk)

    reported = verify_audit()

    n = len(event_ids(deleted))
    assert f"job {deleted.pk}: broken at event {n} of {n}" in reported and "its deleted is {}" in reported
