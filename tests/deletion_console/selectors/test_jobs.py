from datetime import timedelta

import pytest
from django.utils import timezone

from deletion_console.models import JobStatus
from deletion_console.selectors.jobs import jobs_needing_attention, stalled_jobs
from tests.factories import DeletionJobFactory

pytestmark = pytest.mark.django_db


def test_stalled_jobs_are_active_jobs_whose_heartbeat_is_older_than_the_limit(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    long_ago = timezone.now() - timedelta(minutes=5)
    stale = DeletionJobFactory(status=JobStatus.RUNNING, heartbeat_at=long_ago)
    DeletionJobFactory(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    DeletionJobFactory(status=JobStatus.SUCCEEDED, heartbeat_at=long_ago)

    assert list(stalled_jobs()) == [stale]


def test_jobs_needing_attention_are_the_failed_and_the_stalled(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    failed = DeletionJobFactory(status=JobStatus.FAILED, error="neo4j step failed: ServiceUnavailable")
    stale = DeletionJobFactory(status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1))
    DeletionJobFactory(status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    assert set(jobs_needing_attention()) == {failed, stale}


def test_a_pending_job_waiting_in_the_queue_is_not_stalled(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    waiting = DeletionJobFactory(status=JobStatus.PENDING, heartbeat_at=None)
    DeletionJobFactory._meta.model.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert not stalled_jobs().exists()
