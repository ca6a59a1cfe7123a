"""The pages of held requests: what the confirm page announces, and the job page's buttons."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import JobStatus
from tests.factories import DeletionJobFactory, approver, deleter

pytestmark = pytest.mark.django_db


def awaiting(requested_by, **kwargs):
    return DeletionJobFactory(
        status=JobStatus.AWAITING_APPROVAL,
        approval_required=True,
        approval_expires_at=timezone.now() + timedelta(days=7),
        requested_by=requested_by,
        **kwargs,
    )


def page(client, job):
    return client.get(reverse("jobs:progress", args=[job.pk])).content.decode()


@pytest.mark.usefixtures("clean_stores")
def test_the_confirm_page_says_when_a_grace_period_and_an_approval_apply(client, settings, rng):
    settings.DELETION_GRACE_PERIOD = {"campaign": 30 * 86400}
    settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}
    campaign = create_campaign(CampaignSpec(name="Held", events=3), rng)
    client.force_login(deleter())

    html = client.get(reverse("targets:delete", args=["campaigns", campaign.id])).content.decode()

    assert "Grace period: 30 days." in html
    assert "Needs a second approval." in html
    assert "Request deletion of this campaign" in html


@pytest.mark.usefixtures("clean_stores")
def test_the_confirm_page_announces_nothing_without_safeguards(client, rng):
    campaign = create_campaign(CampaignSpec(name="Plain", events=3), rng)
    client.force_login(deleter())

    html = client.get(reverse("targets:delete", args=["campaigns", campaign.id])).content.decode()

    assert 'data-testid="safeguards"' not in html
    assert "Delete this campaign" in html


def test_a_second_person_sees_approve_and_reject_and_the_requester_does_not(client):
    requester = deleter(username="req")
    job = awaiting(requester)

    client.force_login(approver(username="second"))
    html = page(client, job)
    assert 'id="approve-form"' in html and 'id="reject-form"' in html
    assert 'id="held-approval" class="notice notice--warning held" >' in html  # shown

    client.force_login(requester)
    html = page(client, job)
    assert 'id="approve-form"' not in html
    assert "a second person must approve it" in html


def test_the_requester_posting_an_approval_is_refused(client):
    both = approver(username="both")
    job = awaiting(both)
    client.force_login(both)

    response = client.post(reverse("jobs:approve", args=[job.pk]), follow=True)

    assert "a second person must decide" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.AWAITING_APPROVAL


def test_approving_needs_the_approval_permission(client):
    job = awaiting(deleter(username="req"))
    client.force_login(deleter(username="other"))

    assert client.post(reverse("jobs:approve", args=[job.pk])).status_code == 403


def test_rejecting_ends_the_request(client):
    job = awaiting(deleter(username="req"))
    client.force_login(approver(username="rita"))

    client.post(reverse("jobs:reject", args=[job.pk]), {"reason": "not this one"})

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.events.get(kind="rejected").message == "by rita: not this one"


def test_a_scheduled_job_shows_its_countdown_and_run_now(client):
    job = DeletionJobFactory(status=JobStatus.SCHEDULED, run_after=timezone.now() + timedelta(hours=1))
    client.force_login(deleter())

    html = page(client, job)

    assert 'id="held-scheduled" class="notice notice--warning held" >' in html
    assert 'id="countdown"' in html and 'id="run-now-form"' in html
    assert 'id="cancel-form" method="post"' in html


def test_the_jobs_page_filters_requests_awaiting_approval(client):
    held = awaiting(deleter(username="req"), target_label="Waiting one")
    DeletionJobFactory(target_label="Running one", status=JobStatus.RUNNING)
    client.force_login(approver())

    html = client.get(reverse("jobs:list"), {"status": "awaiting_approval"}).content.decode()

    assert "Awaiting approval" in html and held.target_label in html
    assert "Running one" not in html
