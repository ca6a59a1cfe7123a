"""The routes seed 000 and 004 clients call, answering in the seeds' shapes."""

import uuid

import pytest
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobStatus
from tenants.seeding import TenantSpec, create_tenant
from tests.deletion_console.api.conftest import token_client
from tests.factories import failed_job, running_job, service_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(clean_stores, rng):
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)


@pytest.fixture
def tenant(clean_stores, rng):
    return create_tenant(TenantSpec(id="t-10", name="Harbour Deli"), rng)


def test_the_paths_are_the_seeds(db):
    job_id = uuid.uuid4()
    assert reverse("api:v1-campaign-delete", args=["c1"]) == "/api/v1/delete/campaign/c1"
    assert reverse("api:v1-status", args=[job_id]) == f"/api/v1/delete/status/{job_id}"
    assert reverse("api:v1-cancel", args=[job_id]) == f"/api/v1/delete/cancel/{job_id}"
    assert reverse("api:v1-tenant-preview", args=["t1"]) == "/api/v1/tenant/t1/deletion-preview"
    assert reverse("api:v1-tenant-delete", args=["t1"]) == "/api/v1/tenant/t1"


def test_post_delete_campaign_returns_a_request_id_to_follow(service, campaign):
    _, client = service
    token = client.get(reverse("api:campaign-preview", args=[campaign.id])).json()["preview_token"]

    response = client.post(f"/api/v1/delete/campaign/{campaign.id}", {"preview_token": token}, format="json")

    assert response.status_code == 202
    body = response.json()
    job = DeletionJob.objects.get(pk=body["request_id"])
    assert job.kind == "campaign" and job.target_id == campaign.id
    assert body["campaign_id"] == campaign.id and body["tenant_id"] is None
    assert body["status"] == "pending" and body["progress_percentage"] == 0
    assert body["status_url"] == response["Location"] == f"/api/v1/delete/status/{job.pk}"


def test_status_maps_the_job_onto_the_seeds_states(service):
    _, client = service
    running, failed = running_job(), failed_job(step="neo4j", reason="ServiceUnavailable: down")

    running_status = client.get(f"/api/v1/delete/status/{running.pk}").json()
    failed_status = client.get(f"/api/v1/delete/status/{failed.pk}").json()

    assert running_status["status"] == "in_progress" and running_status["current_step"] == "mongodb"
    assert running_status["deleted_counts"] == running.counts and running_status["errors"] == []
    assert failed_status["status"] == "failed" and failed_status["errors"] == [failed.error]
    assert failed_status["warnings"] == failed.warnings and failed_status["completed_at"]
    assert failed_status["job"]["id"] == str(failed.pk)


def test_status_of_an_unknown_request_is_404(service):
    _, client = service
    assert client.get(f"/api/v1/delete/status/{uuid.uuid4()}").status_code == 404


def test_delete_cancel_cancels_and_refuses_a_finished_job(service):
    _, client = service
    job = running_job()

    cancelled = client.delete(f"/api/v1/delete/cancel/{job.pk}")
    ended = client.delete(f"/api/v1/delete/cancel/{failed_job().pk}")

    assert cancelled.status_code == 200 and cancelled.json()["job"]["cancel_requested"] is True
    assert ended.status_code == 409


def test_tenant_deletion_preview_has_the_seeds_counts_and_a_token(service, tenant):
    _, client = service

    body = client.get("/api/v1/tenant/t-10/deletion-preview").json()

    assert body["tenant_id"] == "t-10" and body["service"] == "deletion-console"
    assert body["counts"] == tenant.counts
    total = sum(sum(entities.values()) for entities in tenant.counts.values())
    assert body["total_items"] == sum(body["data_counts"].values()) == total
    assert body["preview_token"]


def test_delete_tenant_with_the_preview_token_queues_its_deletion(service, tenant):
    _, client = service
    token = client.get("/api/v1/tenant/t-10/deletion-preview").json()["preview_token"]

    response = client.delete(f"/api/v1/tenant/t-10?preview_token={token}")

    assert response.status_code == 202
    body = response.json()
    assert body["message"] == "Tenant data deletion requested"
    assert body["summary"]["tenant_id"] == "t-10" and body["summary"]["status"] == "pending"
    assert DeletionJob.objects.get(pk=body["request_id"]).status == JobStatus.PENDING


def test_delete_tenant_without_a_token_is_refused(service, tenant):
    _, client = service

    assert client.delete("/api/v1/tenant/t-10").status_code == 400
    assert client.delete("/api/v1/tenant/t-404", {"preview_token": "x"}, format="json").status_code == 404
    assert not DeletionJob.objects.exists()


def test_seed_routes_need_the_deletion_permission(campaign):
    client = token_client(service_account("reporting", can_delete=False)[1])

    assert client.post(f"/api/v1/delete/campaign/{campaign.id}", {}, format="json").status_code == 403
    assert client.get("/api/v1/tenant/t-10/deletion-preview").status_code == 403
    assert client.delete("/api/v1/tenant/t-10").status_code == 403
