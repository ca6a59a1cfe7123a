"""A resume is checked again before it runs: who may resume a job a person cancelled, whether its
target still resolves (or went with the job), how much its data has grown, and its age."""

from datetime import timedelta

import pytest
from bson import ObjectId
from django.conf import settings as django_settings
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import execution, jobs
from deletion_console.services.errors import PersonMustResume, ResumeRefused
from deletion_console.stores import mongo
from tests.factories import deleter, request_deletion, service_account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def campaign(rng):
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)


def allowed_growth(campaign) -> int:
    """The most entities a resume lets in beyond what remained, at a drift bound of 10%."""
    return int(0.10 * sum(sum(entities.values()) for entities in campaign.counts.values()))


@pytest.fixture
def service_user(db):
    return service_account("orders-service")[0].user


def cancelled_before_start(campaign, by=None) -> DeletionJob:
    # Not committed: no worker takes it, and the cancel ends it at once.
    job = request_deletion("campaign", campaign.id)
    return jobs.cancel(job.pk, by)


def cancelled_half_way(campaign) -> DeletionJob:
    """Cancelled once its MongoDB step is done: the campaign document went with it."""
    job = request_deletion("campaign", campaign.id)
    for step in ("validate", "collect", "mongodb"):
        assert execution.run_step(job.pk, step) == execution.Outcome.NEXT, step
    jobs.cancel(job.pk)
    execution.run_step(job.pk, "neo4j")
    stopped = DeletionJob.objects.get(pk=job.pk)
    assert stopped.status == JobStatus.CANCELLED and stopped.step_state("mongodb") == "done"
    return stopped


def add_events(campaign, n: int) -> None:
    events = [{"_id": ObjectId(), "campaign_id": campaign.id, "kind": "late"} for _ in range(n)]
    mongo.database()["campaign_events"].insert_many(events)


def run_to_the_end(job_id) -> DeletionJob:
    job = DeletionJob.objects.get(pk=job_id)
    for step in get_plan(job.kind).step_names:
        if job.step_state(step) != "done":
            assert execution.run_step(job_id, step) == execution.Outcome.NEXT, step
    return DeletionJob.objects.get(pk=job_id)


# ---- who ----


def test_a_job_a_person_cancelled_is_resumed_by_a_person_not_by_a_service(campaign, service_user):
    dana = deleter(username="dana")
    job = cancelled_before_start(campaign, by=dana)
    assert job.cancelled_by_person

    with pytest.raises(PersonMustResume, match="only a person may resume it") as refused:
        jobs.resume(job.pk, service_user)
    resumed = jobs.resume(job.pk, dana)

    assert refused.value.http_status == 403
    assert resumed.status == JobStatus.PENDING and not resumed.cancelled_by_person


def test_a_cancel_from_the_command_line_is_a_persons(campaign, service_user):
    job = cancelled_before_start(campaign, by=None)

    with pytest.raises(PersonMustResume):
        jobs.resume(job.pk, service_user)
    assert jobs.resume(job.pk).status == JobStatus.PENDING


def test_a_job_a_service_cancelled_may_be_resumed_by_a_service(campaign, service_user):
    job = cancelled_before_start(campaign, by=service_user)

    assert not job.cancelled_by_person
    assert jobs.resume(job.pk, service_user).status == JobStatus.PENDING


# ---- the target ----


def test_a_target_something_else_removed_before_the_job_deleted_any_of_it_is_not_resumed(campaign):
    job = cancelled_before_start(campaign)
    mongo.database()["campaigns"].delete_one({"_id": {"$in": mongo.key_candidates(campaign.id)}})

    with pytest.raises(ResumeRefused, match="no longer exists, and job .* deleted none of it") as refused:
        jobs.resume(job.pk)

    assert refused.value.http_status == 409
    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_a_half_deleted_target_whose_record_went_with_the_job_is_resumed_to_zero_residue(campaign):
    job = cancelled_half_way(campaign)
    assert mongo.database()["campaigns"].count_documents({"_id": {"$in": mongo.key_candidates(campaign.id)}}) == 0

    resumed = jobs.resume(job.pk)
    finished = run_to_the_end(resumed.pk)

    assert finished.status == JobStatus.SUCCEEDED, finished.error
    assert finished.counts == campaign.counts
    assert all(n == 0 for entities in finished.residue.values() for n in entities.values())


# ---- the counts ----


def test_data_grown_beyond_the_drift_bound_refuses_the_resume_and_says_to_request_anew(campaign, settings):
    settings.DELETION_RESUME_MAX_DRIFT = 0.10
    job = cancelled_before_start(campaign)
    add_events(campaign, allowed_growth(campaign) + 1)

    with pytest.raises(ResumeRefused, match=f"grown by {allowed_growth(campaign) + 1} entities") as refused:
        jobs.resume(job.pk)

    assert "Request a new deletion of its target instead" in str(refused.value)
    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_data_grown_within_the_drift_bound_is_resumed(campaign, settings):
    settings.DELETION_RESUME_MAX_DRIFT = 0.10
    job = cancelled_before_start(campaign)
    add_events(campaign, allowed_growth(campaign))

    assert jobs.resume(job.pk).status == JobStatus.PENDING


def test_the_drift_of_a_half_deleted_target_is_what_remains_now_against_what_remained(campaign, settings):
    settings.DELETION_RESUME_MAX_DRIFT = 0.10
    job = cancelled_half_way(campaign)
    # Its events were all deleted: the new ones are that many more than remained, not fewer than
    # the 40 it was confirmed against.
    add_events(campaign, allowed_growth(campaign))
    assert jobs.resume(job.pk).status == JobStatus.PENDING


def test_events_added_to_a_half_deleted_target_beyond_the_bound_refuse_the_resume(campaign, settings):
    settings.DELETION_RESUME_MAX_DRIFT = 0.10
    job = cancelled_half_way(campaign)
    add_events(campaign, allowed_growth(campaign) + 1)

    with pytest.raises(ResumeRefused, match=f"grown by {allowed_growth(campaign) + 1} entities") as refused:
        jobs.resume(job.pk)

    # The campaign itself is gone: no new request can name it.
    assert "the orphan sweep finds what remains" in str(refused.value)


# ---- the age ----


def test_a_job_older_than_the_age_limit_is_not_resumed(campaign, settings):
    settings.DELETION_RESUME_MAX_AGE_SECONDS = 7 * 24 * 3600
    job = cancelled_before_start(campaign)
    DeletionJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))

    with pytest.raises(ResumeRefused, match="more than 7 days ago .*Request a new deletion"):
        jobs.resume(job.pk)


def test_the_age_counts_from_the_start_of_the_deletion(campaign, settings):
    settings.DELETION_RESUME_MAX_AGE_SECONDS = 7 * 24 * 3600
    job = cancelled_half_way(campaign)
    # Requested long ago (a grace period, say), started a day ago.
    DeletionJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(days=30), started_at=timezone.now() - timedelta(days=1)
    )

    assert jobs.resume(job.pk).status == JobStatus.PENDING


def test_the_defaults_are_a_tenth_and_a_week():
    assert django_settings.DELETION_RESUME_MAX_DRIFT == 0.10
    assert django_settings.DELETION_RESUME_MAX_AGE_SECONDS == 7 * 24 * 3600
