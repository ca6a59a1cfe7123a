from datetime import timedelta

import pytest
from django.utils import timezone

from deletion_console.models import JobStatus
from deletion_console.selectors.jobs import jobs_needing_attention, lost_reason, silent_workers, stalled_jobs
from tests.factories import DeletionJobFactory, running_job

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


def claimed_job(worker: str, silent_for: float):
    job = running_job(step="mongodb")
    beat_at = (timezone.now() - timedelta(seconds=silent_for)).isoformat()
    job.update_step("mongodb", worker=worker, beat_at=beat_at)
    job.save()
    return job


def test_a_chunk_whose_worker_is_silent_and_no_longer_answers_is_lost(settings):
    settings.DELETION_CLAIM_SILENT_SECONDS = 6
    job = claimed_job("w1@host#boot-a", silent_for=10)

    reason = lost_reason(job, now=timezone.now(), alive={"w1@host#boot-b"})  # restarted: a new boot

    assert reason == "its worker w1@host stopped answering while running mongodb"


def test_a_chunk_whose_silent_worker_still_answers_is_not_lost(settings):
    settings.DELETION_CLAIM_SILENT_SECONDS = 6
    job = claimed_job("w1@host#boot-a", silent_for=10)

    assert silent_workers(job, now=timezone.now()) == {"mongodb": "w1@host#boot-a"}
    assert lost_reason(job, now=timezone.now(), alive={"w1@host#boot-a"}) is None


def test_a_chunk_that_wrote_a_moment_ago_is_not_asked_about(settings):
    settings.DELETION_CLAIM_SILENT_SECONDS = 6
    job = claimed_job("w1@host#boot-a", silent_for=1)

    assert silent_workers(job, now=timezone.now()) == {}
    assert lost_reason(job, now=timezone.now(), alive=set()) is None


def test_a_chunk_waiting_in_the_queue_is_lost_only_once_the_job_is_silent_past_the_stale_limit(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    job = running_job(step="mongodb")  # numbered, unclaimed: its message waits for a worker

    assert lost_reason(job, now=timezone.now() + timedelta(seconds=30), alive=set()) is None
    assert lost_reason(job, now=timezone.now() + timedelta(seconds=61), alive=set()).startswith("heartbeat stale")
