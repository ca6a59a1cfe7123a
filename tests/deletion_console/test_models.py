import pytest
from django.db import IntegrityError, transaction

from deletion_console.models import AppendOnlyError, JobEvent, JobStatus
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_active_job_for_the_same_target():
    DeletionJobFactory(target_id="c-1", status=JobStatus.RUNNING)

    with pytest.raises(IntegrityError), transaction.atomic():
        DeletionJobFactory(target_id="c-1", status=JobStatus.PENDING)


def test_finished_jobs_do_not_block_a_new_one_for_the_same_target():
    DeletionJobFactory(target_id="c-1", status=JobStatus.SUCCEEDED)
    DeletionJobFactory(target_id="c-1", status=JobStatus.FAILED)

    DeletionJobFactory(target_id="c-1", status=JobStatus.PENDING)


def test_the_same_target_id_of_another_kind_is_another_target():
    DeletionJobFactory(kind="campaign", target_id="x", status=JobStatus.RUNNING)

    DeletionJobFactory(kind="tenant", target_id="x", status=JobStatus.RUNNING)


def test_job_events_can_be_added_but_never_changed_or_removed():
    job = DeletionJobFactory()
    event = JobEvent.objects.create(job=job, step="validate", kind="started")

    event.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        JobEvent.objects.filter(job=job).update(message="rewritten")
    with pytest.raises(AppendOnlyError):
        JobEvent.objects.filter(job=job).delete()
    # bulk_update runs in an atomic block of its own; a savepoint keeps the test's transaction usable.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        JobEvent.objects.bulk_update([event], ["message"])
    assert JobEvent.objects.get(pk=event.pk).message == ""
