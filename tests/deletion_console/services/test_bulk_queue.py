"""A bulk request's queued jobs start, oldest first, only while fewer than its limit run, however
they come to start (no worker: the commits that would queue their chunks are rolled back with
each test)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign
from campaigns.selectors import find_by_id
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import approvals, bulk, jobs, lifecycle, schedule
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.errors import ActiveJobExists, BulkRefused
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from tests.factories import approver, request_deletion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def campaigns(rng):
    return [create_campaign(CampaignSpec(name=f"Queue {n}", events=3), rng) for n in range(3)]


def request(campaigns, limit):
    confirmations = {
        c.id: jobs.Confirmation(shown=sign_preview(preview("campaign", c.id)), in_bulk=True) for c in campaigns
    }
    return bulk.request_bulk(kind="campaign", confirmations=confirmations, limit=limit)


def test_a_queued_job_waits_until_a_place_is_free(campaigns):
    batch = request(campaigns[:2], limit=1)
    first, second = batch.jobs.order_by("created_at", "pk")

    assert (first.status, second.status) == (JobStatus.PENDING, JobStatus.QUEUED)
    assert lifecycle.release_queued(batch.pk) == []
    DeletionJob.objects.filter(pk=first.pk).update(status=JobStatus.SUCCEEDED)
    assert [job.pk for job in lifecycle.release_queued(batch.pk)] == [second.pk]
    assert DeletionJob.objects.get(pk=second.pk).status == JobStatus.PENDING


def test_two_places_freed_start_the_two_oldest_queued_jobs(campaigns):
    batch = request(campaigns, limit=1)
    DeletionJob.objects.filter(bulk_request=batch, status=JobStatus.PENDING).update(status=JobStatus.FAILED)
    batch.max_running = 2
    batch.save()

    started = lifecycle.release_queued(batch.pk)

    assert [job.target_id for job in started] == [c.id for c in campaigns[1:]]


def test_a_queued_target_cannot_be_requested_again(campaigns):
    batch = request(campaigns[:2], limit=1)
    queued = batch.jobs.get(status=JobStatus.QUEUED)

    with pytest.raises(ActiveJobExists) as exists:
        request_deletion("campaign", campaigns[1].id)

    assert exists.value.job == queued


# --- held jobs of a bulk request -----------------------------------------------------------------


@pytest.fixture
def grace(settings):
    settings.DELETION_GRACE_PERIOD = {"campaign": 3600}


def statuses(bulk) -> list[str]:
    return list(bulk.jobs.order_by("created_at", "pk").values_list("status", flat=True))


@pytest.mark.usefixtures("grace")
def test_a_refused_bulk_request_hides_none_of_its_targets(campaigns, django_capture_on_commit_callbacks):
    confirmations = {
        c.id: jobs.Confirmation(shown=sign_preview(preview("campaign", c.id)), in_bulk=True) for c in campaigns
    }
    # The last target's data changes after it was shown: the whole request is refused.
    mongo.database()["campaign_events"].insert_one({"campaign_id": campaigns[-1].id, "kind": "late"})

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BulkRefused):
        bulk.request_bulk(kind="campaign", confirmations=confirmations, limit=1)

    assert [find_by_id(c.id)["status"] for c in campaigns] == ["active"] * 3
    assert not DeletionJob.objects.exists()


@pytest.mark.usefixtures("grace")
def test_held_jobs_of_a_bulk_request_start_within_its_limit_once_their_grace_period_is_over(campaigns):
    held = request(campaigns, limit=1)
    assert statuses(held) == [JobStatus.SCHEDULED] * 3
    held.jobs.update(run_after=timezone.now() - timedelta(seconds=1))

    for job in held.jobs.order_by("created_at", "pk"):
        schedule.start_due(job.pk)

    assert statuses(held) == [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.QUEUED]


def test_approved_jobs_of_a_bulk_request_start_within_its_limit(campaigns, settings):
    settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}
    held = request(campaigns, limit=1)
    assert statuses(held) == [JobStatus.AWAITING_APPROVAL] * 3

    for job in held.jobs.order_by("created_at", "pk"):
        approvals.approve(job.pk, approver())

    assert statuses(held) == [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.QUEUED]


def test_resumed_jobs_of_a_bulk_request_wait_for_a_place_too(campaigns):
    requested = request(campaigns[:2], limit=1)
    first, second = requested.jobs.order_by("created_at", "pk")
    DeletionJob.objects.filter(pk=second.pk).update(status=JobStatus.FAILED)

    jobs.resume(second.pk)

    assert statuses(requested) == [JobStatus.PENDING, JobStatus.QUEUED]
