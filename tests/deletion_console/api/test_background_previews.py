"""POST /api/previews/ and GET /api/previews/<id>/: a preview of many targets, asked for at once
(202) and counted by a real worker; polled until done, its tokens confirm the deletions."""

import time
import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import JobStatus, PreviewRequest
from deletion_console.services.preview import preview
from tests.deletion_console.api.conftest import token_client
from tests.factories import deleter, service_account, viewer
from tests.fixtures.worker import wait_for_job

PREVIEWS = reverse("api:previews")


@pytest.fixture
def campaigns(clean_stores, rng):
    return [create_campaign(CampaignSpec(name=f"Ember {n}", events=100 * (n + 1), children=2), rng) for n in range(4)]


@pytest.fixture
def person():
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))
    return client


def poll_until_done(client, url, timeout: float = 60) -> tuple[dict, list[int]]:
    deadline = time.monotonic() + timeout
    counted = []
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        counted.append(body["counted"])
        if body["status"] != "counting":
            return body, counted
        time.sleep(0.1)
    raise AssertionError(f"still counting after {timeout} s: {counted}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_preview_of_many_targets_is_accepted_at_once_then_polled_to_its_counts(celery_worker, campaigns):
    _, token = service_account("orders-service")
    client = token_client(token)
    ids = [c.id for c in campaigns]

    response = client.post(PREVIEWS, {"kind": "campaign", "target_ids": [*ids, "no-such-campaign"]}, format="json")

    assert response.status_code == 202, response.content
    accepted = response.json()
    assert response["Location"] == accepted["status_url"] == reverse("api:preview-detail", args=[accepted["id"]])
    assert accepted["targets"] == 4 and accepted["missing"] == ["no-such-campaign"]
    assert accepted["status"] == "counting" and accepted["counted"] == 0 and accepted["previews"] == []

    body, counted = poll_until_done(client, response["Location"])

    assert body["status"] == "done" and body["counted"] == 4 and body["progress"] == 100.0 and body["error"] == ""
    assert counted == sorted(counted)
    assert [p["target_id"] for p in body["previews"]] == ids
    assert [p["counts"] for p in body["previews"]] == [preview("campaign", t).counts for t in ids]
    # Each token confirms that target's deletion, as the single preview's does.
    first = body["previews"][0]
    request = {"kind": "campaign", "target_id": first["target_id"], "preview_token": first["preview_token"]}
    created = client.post(reverse("api:deletions"), request, format="json")
    assert created.status_code == 201, created.content
    assert wait_for_job(created.json()["id"]).status == JobStatus.SUCCEEDED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"target_ids": ["x"]}, "kind"),
        ({"kind": "planet", "target_ids": ["x"]}, "kind"),
        ({"kind": "campaign", "target_ids": []}, "target_ids"),
        ({"kind": "campaign"}, "target_ids"),
        ({"kind": "campaign", "target_ids": ["bad\x00id"]}, "target_ids"),
    ],
)
def test_a_malformed_preview_request_is_a_400_naming_the_field(person, body, field):
    response = person.post(PREVIEWS, body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not PreviewRequest.objects.exists()


@pytest.mark.django_db
def test_too_many_targets_is_a_400_and_none_found_a_404(person, campaigns, settings):
    settings.DELETION_BATCH_MAX_TARGETS = 3

    too_many = person.post(PREVIEWS, {"kind": "campaign", "target_ids": [c.id for c in campaigns]}, format="json")
    none = person.post(PREVIEWS, {"kind": "campaign", "target_ids": ["nope", "neither"]}, format="json")

    assert too_many.status_code == 400 and "at most 3" in too_many.json()["detail"]
    assert none.status_code == 404 and "None of the 2" in none.json()["detail"]


@pytest.mark.django_db
def test_a_preview_is_its_requesters_alone_and_needs_the_permission(person, campaigns):
    response = person.post(PREVIEWS, {"kind": "campaign", "target_ids": [campaigns[0].id]}, format="json")
    url = response["Location"]

    assert person.get(url).status_code == 200
    other = APIClient()
    other.force_authenticate(deleter(username="other"))
    assert other.get(url).status_code == 404
    assert other.get(reverse("api:preview-detail", args=[uuid.uuid4()])).status_code == 404
    onlooker = APIClient()
    onlooker.force_authenticate(viewer(username="vic"))
    assert onlooker.get(url).status_code == 403
    assert onlooker.post(PREVIEWS, {"kind": "campaign", "target_ids": ["x"]}, format="json").status_code == 403


@pytest.mark.django_db
def test_a_token_needs_the_preview_scope_on_the_kind(campaigns):
    _, token = service_account("tenant-service", scopes={"tenant": ["preview"], "campaign": ["read"]})

    response = token_client(token).post(PREVIEWS, {"kind": "campaign", "target_ids": [campaigns[0].id]}, format="json")

    assert response.status_code == 403 and "preview on campaign" in response.json()["detail"]


@pytest.mark.django_db
def test_previews_share_the_preview_rate(person, campaigns, settings):
    settings.API_PREVIEW_RATE = "1/min"
    body = {"kind": "campaign", "target_ids": [campaigns[0].id]}

    assert person.post(PREVIEWS, body, format="json").status_code == 202
    refused = person.post(PREVIEWS, body, format="json")

    assert refused.status_code == 429 and "Retry-After" in refused
