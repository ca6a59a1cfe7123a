"""Held requests against the real stores, without a worker: what a grace period and a second
approval do to a request before anything runs."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from campaigns.selectors import find_by_id
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.jobs import due_jobs, stalled_jobs
from deletion_console.services import approvals, jobs, orphans, safeguards, schedule
from deletion_console.services.errors import ActiveJobExists, ApprovalExpired, ApprovalRefused, JobStateError
from tests.factories import approver, deleter, request_deletion
from tests.fixtures import dumps
from tests.fixtures.orphans import orphaned_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def campaign(rng):
    create_players(["p1", "p2"])
    create_campaign(CampaignSpec(name="Neighbour", events=5, players=("p1",)), rng)
    return create_campaign(CampaignSpec(name="Held back", events=20, players=("p1", "p2")), rng)


@pytest.fixture
def grace(settings):
    settings.DELETION_GRACE_PERIOD = {"campaign": 3600}


@pytest.fixture
def approval(settings):
    settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}


def kinds_of_events(job):
    return list(JobEvent.objects.filter(job=job).order_by("id").values_list("kind", flat=True))


def test_without_safeguards_a_request_starts_at_once(campaign):
    job = request_deletion("campaign", campaign.id)

    assert job.status == JobStatus.PENDING
    assert job.run_after is None and not job.approval_required


def test_the_approval_threshold_counts_the_entities_to_delete(settings):
    settings.DELETION_APPROVAL = {"tenant": {"min_entities": 1000}}

    assert safeguards.for_request("tenant", 1000).needs_approval
    assert not safeguards.for_request("tenant", 999).needs_approval
    assert not safeguards.for_request("campaign", 10**9).needs_approval


@pytest.mark.usefixtures("grace")
def test_a_scheduled_job_hides_its_target_once_committed_and_deletes_nothing(
    campaign, django_capture_on_commit_callbacks
):
    before = dumps.all_stores()

    with django_capture_on_commit_callbacks(execute=True):
        job = request_deletion("campaign", campaign.id)

    assert job.status == JobStatus.SCHEDULED
    assert timedelta(minutes=59) < job.run_after - timezone.now() <= timedelta(hours=1)
    assert find_by_id(campaign.id)["status"] == "deleting"
    assert kinds_of_events(job) == ["requested", "scheduled"]
    assert job.steps["validate"]["state"] == "pending" and "chunk" not in job.steps["validate"]
    after = dumps.all_stores()
    assert after["neo4j"] == before["neo4j"] and after["postgres"] == before["postgres"]


@pytest.mark.usefixtures("grace")
def test_cancelling_a_scheduled_job_deletes_nothing_and_shows_the_target_again(
    campaign, django_capture_on_commit_callbacks
):
    before = dumps.all_stores()
    job = request_deletion("campaign", campaign.id)

    with django_capture_on_commit_callbacks(execute=True):
        jobs.cancel(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert dumps.all_stores() == before
    assert find_by_id(campaign.id)["status"] == "active"


@pytest.mark.usefixtures("grace")
def test_a_scheduled_job_is_the_targets_active_job(campaign):
    job = request_deletion("campaign", campaign.id)

    with pytest.raises(ActiveJobExists) as refused:
        request_deletion("campaign", campaign.id)
    assert refused.value.job == job


@pytest.mark.usefixtures("grace")
def test_a_due_job_starts_once_however_many_ticks_see_it(campaign):
    job = request_deletion("campaign", campaign.id)
    assert schedule.start_due(job.pk) is None  # not due yet
    DeletionJob.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(hours=2))  # ticks missed
    assert list(due_jobs()) == [job]

    assert schedule.start_due(job.pk) is not None
    assert schedule.start_due(job.pk) is None

    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert job.steps["validate"]["chunk"] == job.chunk
    assert kinds_of_events(job).count("grace-period-over") == 1
    assert list(due_jobs()) == []


@pytest.mark.usefixtures("grace")
def test_run_now_starts_a_scheduled_job_and_only_a_scheduled_one(campaign):
    job = request_deletion("campaign", campaign.id)

    schedule.run_now(job.pk, deleter())

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.PENDING
    with pytest.raises(JobStateError):
        schedule.run_now(job.pk)


@pytest.mark.usefixtures("grace", "approval")
def test_the_watchdog_leaves_held_jobs_alone(campaign, settings):
    job = request_deletion("campaign", campaign.id)
    DeletionJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(days=1))

    assert job.status == JobStatus.AWAITING_APPROVAL
    assert list(stalled_jobs()) == []


@pytest.mark.usefixtures("approval")
def test_a_job_needing_approval_waits_and_leaves_the_target_visible(campaign):
    job = request_deletion("campaign", campaign.id, user=deleter())

    assert job.status == JobStatus.AWAITING_APPROVAL
    assert job.approval_expires_at > timezone.now() + timedelta(days=6)
    assert find_by_id(campaign.id)["status"] == "active"
    assert kinds_of_events(job) == ["requested", "awaiting-approval"]


@pytest.mark.usefixtures("approval")
def test_the_requester_cannot_approve_their_own_request(campaign):
    both = approver(username="both")
    both.user_permissions.add(Permission.objects.get(codename="request_deletion"))
    job = request_deletion("campaign", campaign.id, user=both)

    with pytest.raises(ApprovalRefused, match="a second person"):
        approvals.approve(job.pk, type(both).objects.get(pk=both.pk))
    with pytest.raises(ApprovalRefused, match="permission"):
        approvals.approve(job.pk, deleter())

    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL and job.approved_by is None
    assert "approved" not in kinds_of_events(job)


@pytest.mark.usefixtures("approval")
def test_a_second_persons_approval_starts_the_job(campaign):
    job = request_deletion("campaign", campaign.id, user=deleter())
    second = approver(username="second")

    approvals.approve(job.pk, second)

    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    assert job.approved_by == second and job.approved_at is not None
    assert kinds_of_events(job) == ["requested", "awaiting-approval", "approved"]
    assert JobEvent.objects.get(job=job, kind="approved").created_at == job.approved_at


@pytest.mark.usefixtures("approval", "grace")
def test_an_approved_job_then_waits_out_its_grace_period_hidden(campaign, django_capture_on_commit_callbacks):
    job = request_deletion("campaign", campaign.id, user=deleter())
    assert find_by_id(campaign.id)["status"] == "active"

    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(job.pk, approver())

    job.refresh_from_db()
    assert job.status == JobStatus.SCHEDULED and job.run_after > timezone.now()
    assert find_by_id(campaign.id)["status"] == "deleting"
    assert kinds_of_events(job)[-2:] == ["approved", "scheduled"]


@pytest.mark.usefixtures("approval")
def test_a_rejected_request_ends_without_deleting_and_cannot_be_resumed(campaign):
    before = dumps.all_stores()
    job = request_deletion("campaign", campaign.id, user=deleter())

    approvals.reject(job.pk, approver(username="rita"), reason="wrong tenant")

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.is_resumable
    assert JobEvent.objects.get(job=job, kind="rejected").message == "by rita: wrong tenant"
    with pytest.raises(JobStateError):
        jobs.resume(job.pk)
    assert dumps.all_stores() == before


@pytest.mark.usefixtures("approval")
def test_an_expired_request_ends_and_can_no_longer_be_approved(campaign):
    job = request_deletion("campaign", campaign.id, user=deleter())
    DeletionJob.objects.filter(pk=job.pk).update(approval_expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ApprovalExpired):
        approvals.approve(job.pk, approver())

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.approved_by is None and not job.is_resumable
    assert kinds_of_events(job)[-1] == "expired"
    assert approvals.expire(job.pk) is None  # the beat task finds nothing more to do


@pytest.mark.usefixtures("approval")
def test_cancelling_a_request_awaiting_approval_ends_it_at_once(campaign):
    job = request_deletion("campaign", campaign.id, user=deleter())

    jobs.cancel(job.pk)

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED


@pytest.mark.parametrize("guard", ["approval", "grace"])
def test_the_cleaning_of_a_kinds_orphans_is_held_as_that_kind_is(guard, rng, request):
    request.getfixturevalue(guard)
    orphaned_campaign(rng, "Crashed half way")
    orphans.run_sweep()

    job = orphans.request_cleanup(owner_kind="campaign", by="by the orphan sweeper")

    assert job.kind == "campaign-orphans"
    expected = JobStatus.AWAITING_APPROVAL if guard == "approval" else JobStatus.SCHEDULED
    assert job.status == expected
