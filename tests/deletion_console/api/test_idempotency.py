"""`Idempotency-Key` on deletion requests: a retried request returns the job the first one made."""

import pytest
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, IdempotencyKey
from tests.deletion_console.api.conftest import token_client
from tests.factories import service_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(clean_stores, rng):
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)


def _token(client, campaign):
    return client.get(reverse("api:campaign-preview", args=[campaign.id])).json()["preview_token"]


def _post(client, campaign, token, key):
    body = {"kind": "campaign", "target_id": campaign.id, "preview_token": token}
    return client.post(reverse("api:deletions"), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeated_key_returns_the_same_job_with_200(service, campaign):
    _, client = service
    token = _token(client, campaign)

    first = _post(client, campaign, token, "order-77-delete")
    again = _post(client, campaign, token, "order-77-delete")

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again["Location"] == first["Location"]
    assert DeletionJob.objects.count() == 1
    assert IdempotencyKey.objects.get().job_id == DeletionJob.objects.get().pk


def test_the_same_key_returns_the_job_even_once_the_preview_is_stale(service, campaign):
    _, client = service
    first = _post(client, campaign, _token(client, campaign), "k-1")

    again = _post(client, campaign, "no longer a valid token", "k-1")

    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_without_a_key_a_second_request_meets_the_active_job(service, campaign):
    _, client = service
    token = _token(client, campaign)

    first = _post(client, campaign, token, "")
    again = client.post(
        reverse("api:deletions"), {"kind": "campaign", "target_id": campaign.id, "preview_token": token}, format="json"
    )

    assert again.status_code == 409 and again.json()["job_id"] == first.json()["id"]


def test_keys_are_per_client(service, campaign):
    _, client = service
    other = token_client(service_account("billing")[1])
    _post(client, campaign, _token(client, campaign), "shared-key")

    response = _post(other, campaign, _token(other, campaign), "shared-key")

    # Not billing's job to get back: its own request meets the active job instead.
    assert response.status_code == 409


def test_a_key_reused_for_another_target_is_422(service, clean_stores, rng):
    _, client = service
    first, second = (create_campaign(CampaignSpec(name=name), rng) for name in ("First", "Second"))
    _post(client, first, _token(client, first), "k-2")

    response = _post(client, second, _token(client, second), "k-2")

    assert response.status_code == 422 and "Idempotency-Key" in response.json()["detail"]
    assert DeletionJob.objects.count() == 1


def test_an_overlong_key_is_400(service, campaign):
    _, client = service

    response = _post(client, campaign, _token(client, campaign), "k" * 256)

    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not DeletionJob.objects.exists()
