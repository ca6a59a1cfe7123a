"""A list sent to POST /api/deletions/ is one bulk deletion; GET /api/batches/<id>/ follows it."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import BulkRequest, DeletionJob, JobStatus
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import deleter, viewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]

DELETIONS = "/api/deletions/"


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))
    return client


@pytest.fixture
def campaigns(rng):
    return [create_campaign(CampaignSpec(name=f"Bulk {n}"), rng) for n in range(4)]


def named(*targets, kind="campaign"):
    return [{"kind": kind, "target_id": t.id, "confirm_name": t.name} for t in targets]


def test_a_list_creates_one_batch_whose_jobs_beyond_the_limit_wait_queued(api, campaigns, settings):
    settings.DELETION_BATCH_MAX_RUNNING = 3

    response = api.post(DELETIONS, named(*campaigns), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    batch = BulkRequest.objects.get()
    assert response["Location"] == reverse("api:batch-detail", args=[batch.pk])
    assert body["id"] == str(batch.pk) and body["targets"] == 4 and body["max_running"] == 3
    assert [row["target_id"] for row in body["jobs"]] == [c.id for c in campaigns]
    assert [row["status"] for row in body["jobs"]] == ["pending"] * 3 + ["queued"]
    assert batch.requested_by.username == "dana"


def test_the_batch_answers_with_its_jobs_and_one_progress_figure(api, campaigns):
    batch_id = api.post(DELETIONS, named(*campaigns[:2]), format="json").json()["id"]

    body = api.get(reverse("api:batch-detail", args=[batch_id])).json()

    assert body["progress"] == 0.0 and body["finished"] is False
    assert body["by_status"] == {"pending": 2}
    assert body["total_expected"] == sum(row["total_expected"] for row in body["jobs"]) > 0


def test_one_wrong_name_refuses_the_whole_list_naming_that_target(api, campaigns):
    items = named(*campaigns[:3])
    items[1]["confirm_name"] = "not it"

    response = api.post(DELETIONS, items, format="json")

    assert response.status_code == 400
    assert list(response.json()["problems"]) == [campaigns[1].id]
    assert "does not match" in response.json()["problems"][campaigns[1].id]
    assert not DeletionJob.objects.exists() and not BulkRequest.objects.exists()


def test_a_list_of_mixed_kinds_is_refused(api, campaigns, rng):
    tenant = create_tenant(TenantSpec(id="t-1", name="Deli"), rng)

    response = api.post(DELETIONS, named(campaigns[0]) + named(tenant, kind="tenant"), format="json")

    assert response.status_code == 400 and "one kind" in response.json()["kind"][0]


def test_a_target_named_twice_is_refused(api, campaigns):
    response = api.post(DELETIONS, named(campaigns[0], campaigns[0]), format="json")

    assert response.status_code == 400 and "once" in response.json()["target_id"][0]


def test_an_empty_list_and_invalid_items_get_readable_errors(api):
    empty = api.post(DELETIONS, [], format="json")
    assert empty.status_code == 400 and "at least one" in empty.json()["detail"]
    response = api.post(DELETIONS, [{"kind": "campaign"}], format="json")
    assert response.status_code == 400 and response.json()["items"] == {"0": {"target_id": ["This field is required."]}}


def test_an_idempotency_key_is_refused_for_a_list(api, campaigns):
    response = api.post(DELETIONS, named(campaigns[0]), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 400 and "Idempotency-Key" in response.json()


def test_a_batch_is_visible_to_deleters_and_its_requester_only(api, campaigns):
    batch_id = api.post(DELETIONS, named(campaigns[0]), format="json").json()["id"]
    stranger = APIClient()
    stranger.force_authenticate(viewer(username="sam"))

    assert stranger.get(reverse("api:batch-detail", args=[batch_id])).status_code == 403
    assert api.get(reverse("api:batch-detail", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
    assert DeletionJob.objects.get().status == JobStatus.PENDING
