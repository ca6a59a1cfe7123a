"""A batch's queued jobs start, oldest first, only while fewer than its limit run (no worker:
the commits that would queue their chunks are rolled back with each test)."""

import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import batches, jobs
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from tests.factories import request_deletion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def campaigns(rng):
    return [create_campaign(CampaignSpec(name=f"Queue {n}", events=3), rng) for n in range(3)]


def request(campaigns, limit):
    confirmations = {
        c.id: jobs.Confirmation(shown=sign_preview(preview("campaign", c.id)), in_batch=True) for c in campaigns
    }
    return batches.request_batch(kind="campaign", confirmations=confirmations, limit=limit)


def test_a_queued_job_waits_until_a_place_is_free(campaigns):
    batch = request(campaigns[:2], limit=1)
    first, second = batch.jobs.order_by("created_at", "pk")

    assert (first.status, second.status) == (JobStatus.PENDING, JobStatus.QUEUED)
    assert batches.release_queued(batch.pk) == []
    DeletionJob.objects.filter(pk=first.pk).update(status=JobStatus.SUCCEEDED)
    assert [job.pk for job in batches.release_queued(batch.pk)] == [second.pk]
    assert DeletionJob.objects.get(pk=second.pk).status == JobStatus.PENDING


def test_two_places_freed_start_the_two_oldest_queued_jobs(campaigns):
    batch = request(campaigns, limit=1)
    DeletionJob.objects.filter(batch=batch, status=JobStatus.PENDING).update(status=JobStatus.FAILED)
    batch.max_running = 2
    batch.save()

    started = batches.release_queued(batch.pk)

    assert [job.target_id for job in started] == [c.id for c in campaigns[1:]]


def test_a_queued_target_cannot_be_requested_again(campaigns):
    batch = request(campaigns[:2], limit=1)
    queued = batch.jobs.get(status=JobStatus.QUEUED)

    with pytest.raises(jobs.ActiveJobExists) as exists:
        request_deletion("campaign", campaigns[1].id)

    assert exists.value.job == queued
