"""The API for any kind: a target's preview and a deletion request, campaigns and tenants alike."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob
from deletion_console.stores import sql
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import deleter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))
    return client


@pytest.fixture
def targets(rng):
    tenant = create_tenant(TenantSpec(id="t-10", name="Harbour Deli"), rng)
    campaign = create_campaign(CampaignSpec(name="Tomb of Ash"), rng)
    return {"tenant": tenant, "campaign": campaign}


@pytest.mark.parametrize("kind", ["campaign", "tenant"])
def test_the_preview_of_either_kind_has_its_counts_per_step_and_a_token(api, targets, kind):
    target = targets[kind]

    body = api.get(reverse("api:target-preview", args=[kind, target.id])).json()

    assert body["counts"] == target.counts
    assert body["total"] == sum(sum(e.values()) for e in target.counts.values())
    assert [step["name"] for step in body["steps"]] == list(target.counts)
    assert body["preview_token"] and body["left_behind"] == []


def test_a_tenant_preview_names_the_store_of_every_entity(api, targets):
    body = api.get(reverse("api:target-preview", args=["tenant", "t-10"])).json()

    registry = next(step for step in body["steps"] if step["name"] == "registry")
    assert [(e["entity"], e["store"]) for e in registry["entities"]] == [("tenants", "PostgreSQL"), ("Tenant", "Neo4j")]
    assert set(body["store_totals"]) == {"postgres", "mongodb", "neo4j"}


@pytest.mark.parametrize("kind", ["campaign", "tenant"])
def test_a_request_with_the_preview_token_creates_a_job_for_either_kind(api, targets, kind):
    target = targets[kind]
    token = api.get(reverse("api:target-preview", args=[kind, target.id])).json()["preview_token"]

    body = {"kind": kind, "target_id": target.id, "confirm_name": target.name, "preview_token": token}
    response = api.post(reverse("api:deletions"), body, format="json")

    assert response.status_code == 201, response.json()
    assert DeletionJob.objects.get(kind=kind, target_id=target.id).preview == target.counts


def test_a_request_against_a_preview_the_data_has_outgrown_is_refused_with_the_new_counts(api, targets):
    token = api.get(reverse("api:target-preview", args=["tenant", "t-10"])).json()["preview_token"]
    with sql.connect() as conn:
        conn.execute("INSERT INTO alerts.alert_rules (tenant_id, name) VALUES ('t-10', 'late rule')")

    body = {"kind": "tenant", "target_id": "t-10", "confirm_name": "Harbour Deli", "preview_token": token}
    response = api.post(reverse("api:deletions"), body, format="json")

    assert response.status_code == 409
    assert (
        response.json()["preview"]["counts"]["alerts"]["alert_rules"]
        == targets["tenant"].counts["alerts"]["alert_rules"] + 1
    )
    assert not DeletionJob.objects.exists()


def test_an_unknown_kind_or_target_is_a_404_with_a_message(api, targets):
    unknown_kind = api.get(reverse("api:target-preview", args=["planet", "x"]))
    unknown_tenant = api.get(reverse("api:target-preview", args=["tenant", "t-1"]))
    request = api.post(
        reverse("api:deletions"), {"kind": "tenant", "target_id": "t-1", "confirm_name": "x"}, format="json"
    )

    assert unknown_kind.status_code == 404 and "known kinds" in unknown_kind.json()["detail"]
    assert unknown_tenant.status_code == 404 and unknown_tenant.json()["detail"] == "No tenant with id 't-1' was found."
    assert request.status_code == 404 and request.json()["detail"] == "No tenant with id 't-1' was found."
