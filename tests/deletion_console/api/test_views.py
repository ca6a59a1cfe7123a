import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.models import DeletionJob, JobStatus
from tests.factories import DeletionJobFactory, deleter, failed_job, running_job, succeeded_job, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def dana(api):
    user = deleter(username="dana")
    api.force_authenticate(user)
    return user


@pytest.fixture
def campaign(clean_stores, rng):
    create_players(["p1"])
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40, players=("p1",)), rng)


def _request(api, campaign_id, name, kind="campaign"):
    return api.post(
        reverse("api:deletions"), {"kind": kind, "target_id": campaign_id, "confirm_name": name}, format="json"
    )


def test_preview_returns_counts_per_store_totals_and_what_is_kept(api, dana, campaign):
    response = api.get(reverse("api:campaign-preview", args=[campaign.id]))

    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "Tomb of Ash" and body["exists"] is True
    assert body["counts"] == campaign.counts
    assert body["store_totals"]["mongodb"] == sum(campaign.counts["mongodb"].values())
    assert body["total"] == sum(body["store_totals"].values())
    assert body["kept"] == ["Player nodes in Neo4j", "players rows in PostgreSQL"]


def test_preview_of_unknown_campaign_is_404(api, dana, clean_stores):
    assert api.get(reverse("api:campaign-preview", args=["nope"])).status_code == 404


def test_request_creates_the_job_and_answers_201_with_its_snapshot(api, dana, campaign):
    response = _request(api, campaign.id, "Tomb of Ash")

    assert response.status_code == 201
    job = DeletionJob.objects.get()
    body = response.json()
    assert body["id"] == str(job.pk) and body["status"] == "pending"
    assert body["preview"] == campaign.counts
    assert response["Location"] == reverse("api:deletion-detail", args=[job.pk])
    assert job.requested_by == dana


def test_request_with_a_wrong_name_is_400(api, dana, campaign):
    response = _request(api, campaign.id, "Tomb of ash")

    assert response.status_code == 400
    assert "does not match" in response.json()["confirm_name"][0]
    assert not DeletionJob.objects.exists()


def test_request_for_an_unknown_target_is_404(api, dana, clean_stores):
    assert _request(api, "nope", "nope").status_code == 404


def test_request_for_an_unknown_kind_is_400(api, dana):
    assert _request(api, "x", "x", kind="planet").status_code == 400


def test_request_while_a_job_is_active_is_409_with_its_id(api, dana, campaign):
    job = DeletionJobFactory(target_id=campaign.id, status=JobStatus.RUNNING)

    response = _request(api, campaign.id, "Tomb of Ash")

    assert response.status_code == 409
    assert response.json()["job_id"] == str(job.pk)


def test_detail_is_the_job_snapshot(api, dana):
    job = succeeded_job()

    body = api.get(reverse("api:deletion-detail", args=[job.pk])).json()

    assert body["id"] == str(job.pk) and body["status"] == "succeeded" and body["seq"] == job.seq
    assert body["total_deleted"] == body["total_expected"] == job.total_expected


def test_cancel_and_resume(api, dana):
    active, ended = running_job(), failed_job()

    cancelled = api.post(reverse("api:deletion-cancel", args=[active.pk]))
    resumed = api.post(reverse("api:deletion-resume", args=[ended.pk]))

    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    assert resumed.status_code == 200 and resumed.json()["status"] == "pending"


def test_cancel_or_resume_in_the_wrong_state_is_409(api, dana):
    done = succeeded_job()

    assert api.post(reverse("api:deletion-cancel", args=[done.pk])).status_code == 409
    assert api.post(reverse("api:deletion-resume", args=[running_job().pk])).status_code == 409


def test_anonymous_callers_are_refused(api):
    job = succeeded_job()

    assert api.get(reverse("api:deletion-detail", args=[job.pk])).status_code in (401, 403)
    assert _request(api, "x", "x").status_code in (401, 403)


def test_without_the_permission_writes_and_previews_are_403_and_others_jobs_hidden(api, clean_stores):
    vic = viewer(username="vic")
    api.force_authenticate(vic)
    others, own = running_job(), running_job(requested_by=vic)

    assert api.get(reverse("api:campaign-preview", args=["x"])).status_code == 403
    assert _request(api, "x", "x").status_code == 403
    assert api.post(reverse("api:deletion-cancel", args=[own.pk])).status_code == 403
    assert api.get(reverse("api:deletion-detail", args=[others.pk])).status_code == 403
    assert api.get(reverse("api:deletion-detail", args=[own.pk])).status_code == 200
    own.refresh_from_db()
    assert not own.cancel_requested
