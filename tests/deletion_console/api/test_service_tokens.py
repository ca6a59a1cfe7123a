"""Service accounts calling the API with a bearer token: preview, request with the preview token,
poll, cancel; the tokens that may not; what a token's scopes allow per kind and action; and who
may resume a job a person cancelled."""

import pytest
from django.http import HttpRequest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.engine.plan import get_plan
from deletion_console.models import BulkRequest, DeletionJob, JobEvent, JobStatus, ServiceAccount
from deletion_console.services import service_accounts
from deletion_console.stores import mongo, sql
from tenants.seeding import TenantSpec, create_tenant
from tests.deletion_console.api.conftest import token_client
from tests.factories import DeletionJobFactory, deleter, failed_job, service_account, succeeded_job
from tests.fixtures.worker import wait_for_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(clean_stores, rng):
    create_players(["p1"])
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40, players=("p1",)), rng)


def _preview(client, kind, target_id):
    return client.get(reverse("api:target-preview", args=[kind, target_id]))


def _request(client, kind, target_id, **confirmation):
    body = {"kind": kind, "target_id": target_id, **confirmation}
    return client.post(reverse("api:deletions"), body, format="json")


def test_a_token_client_previews_requests_with_the_preview_token_polls_and_cancels(service, campaign):
    account, client = service

    shown = _preview(client, "campaign", campaign.id)
    requested = _request(client, "campaign", campaign.id, preview_token=shown.json()["preview_token"])
    polled = client.get(requested["Location"])
    cancelled = client.post(reverse("api:deletion-cancel", args=[requested.json()["id"]]))

    assert shown.status_code == 200 and shown.json()["counts"] == campaign.counts
    assert requested.status_code == 201, requested.json()
    assert polled.status_code == 200 and polled.json()["status"] == "pending"
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    job = DeletionJob.objects.get()
    assert job.requested_by == account.user and job.preview == campaign.counts
    messages = list(JobEvent.objects.filter(job=job).values_list("kind", "message"))
    assert messages[0] == ("requested", "by service-orders-service")
    assert ("cancel-requested", "by service-orders-service") in messages


def test_a_token_request_without_the_preview_token_is_400_even_with_the_right_name(service, campaign):
    _, client = service

    response = _request(client, "campaign", campaign.id, confirm_name="Tomb of Ash")

    assert response.status_code == 400
    assert "preview_token" in response.json()
    assert not DeletionJob.objects.exists()


def test_a_forged_preview_token_is_400(service, campaign):
    _, client = service
    token = _preview(client, "campaign", campaign.id).json()["preview_token"]

    response = _request(client, "campaign", campaign.id, preview_token=token[:-3] + "xyz")

    assert response.status_code == 400 and "preview_token" in response.json()
    assert not DeletionJob.objects.exists()


def test_a_preview_token_of_another_target_is_refused(service, clean_stores, rng):
    _, client = service
    first, second = (create_campaign(CampaignSpec(name=name), rng) for name in ("First", "Second"))
    token = _preview(client, "campaign", first.id).json()["preview_token"]

    response = _request(client, "campaign", second.id, preview_token=token)

    assert response.status_code == 409
    assert response.json()["preview"]["target_id"] == second.id
    assert not DeletionJob.objects.exists()


def test_the_preview_token_is_refused_with_the_new_counts_after_the_data_changed(service, clean_stores, rng):
    _, client = service
    tenant = create_tenant(TenantSpec(id="t-10", name="Harbour Deli"), rng)
    token = _preview(client, "tenant", "t-10").json()["preview_token"]
    with sql.connect() as conn:
        conn.execute("INSERT INTO alerts.alert_rules (tenant_id, name) VALUES ('t-10', 'late rule')")

    response = _request(client, "tenant", "t-10", preview_token=token)

    assert response.status_code == 409
    current = response.json()["preview"]
    assert current["counts"]["alerts"]["alert_rules"] == tenant.counts["alerts"]["alert_rules"] + 1
    again = _request(client, "tenant", "t-10", preview_token=current["preview_token"])
    assert again.status_code == 201


def test_a_renamed_target_invalidates_the_preview_token(service, campaign):
    _, client = service
    token = _preview(client, "campaign", campaign.id).json()["preview_token"]
    # The name is signed with the counts: the same counts under another name are another preview.
    campaigns = mongo.database()["campaigns"]
    campaigns.update_one({"_id": {"$in": mongo.key_candidates(campaign.id)}}, {"$set": {"name": "Tomb of Embers"}})

    response = _request(client, "campaign", campaign.id, preview_token=token)

    assert response.status_code == 409 and response.json()["preview"]["label"] == "Tomb of Embers"


def test_a_person_in_a_session_still_has_to_type_the_name(campaign):
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))
    token = _preview(client, "campaign", campaign.id).json()["preview_token"]

    response = _request(client, "campaign", campaign.id, preview_token=token)

    assert response.status_code == 400 and "confirm_name" in response.json()
    assert not DeletionJob.objects.exists()


def test_an_unknown_token_is_401_with_a_bearer_challenge(db):
    job = succeeded_job()

    response = token_client("dcs_not-a-token").get(reverse("api:deletion-detail", args=[job.pk]))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_callers_get_401(db):
    response = APIClient().post(reverse("api:deletions"), {}, format="json")

    assert response.status_code == 401


def test_a_revoked_token_is_401(campaign):
    account, token = service_account("billing")
    client = token_client(token)
    assert _preview(client, "campaign", campaign.id).status_code == 200

    service_accounts.revoke(account=account)

    assert _preview(client, "campaign", campaign.id).status_code == 401
    assert _request(client, "campaign", campaign.id, preview_token="x").status_code == 401


def test_a_rotated_token_replaces_the_old_one(campaign):
    account, old = service_account("billing")

    new = service_accounts.rotate_token(account=account)

    assert _preview(token_client(old), "campaign", campaign.id).status_code == 401
    assert _preview(token_client(new), "campaign", campaign.id).status_code == 200


def test_a_token_without_the_deletion_permission_is_403(campaign):
    _, token = service_account("reporting", can_delete=False)
    client = token_client(token)

    assert _preview(client, "campaign", campaign.id).status_code == 403
    assert _request(client, "campaign", campaign.id, preview_token="x").status_code == 403
    assert client.get(reverse("api:deletion-detail", args=[succeeded_job().pk])).status_code == 403


def test_only_the_hash_of_the_token_is_stored_and_its_use_is_recorded(campaign):
    account, token = service_account("billing")
    assert account.last_used_at is None

    _preview(token_client(token), "campaign", campaign.id)

    account.refresh_from_db()
    stored = ServiceAccount.objects.filter(pk=account.pk).values().get()
    assert token not in {str(value) for value in stored.values()}
    assert token.startswith(account.token_prefix) and account.last_used_at is not None


def test_a_service_account_cannot_sign_in_with_a_password(db):
    account, token = service_account("billing")

    assert not account.user.has_usable_password()
    # The sign-in lock-out (django-axes) counts each attempt against the request it came with.
    assert not APIClient().login(request=HttpRequest(), username=account.user.username, password=token)


def test_token_requests_are_throttled_with_retry_after(service, settings, db):
    settings.API_SERVICE_REQUEST_RATE = "2/min"
    _, client = service
    other = token_client(service_account("billing")[1])

    answers = [_request(client, "campaign", "nope", preview_token="x").status_code for _ in range(3)]
    throttled = _request(client, "campaign", "nope", preview_token="x")

    assert answers[:2] == [404, 404] and answers[2] == 429
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    # Per token: another service is not held back, and reads are never throttled.
    assert _request(other, "campaign", "nope", preview_token="x").status_code == 404
    assert client.get(reverse("api:campaign-preview", args=["nope"])).status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_token_client_follows_its_deletion_to_the_end(celery_worker, clean_stores, rng):
    campaign = create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)
    _, token = service_account("orders-service")
    client = token_client(token)
    shown = _preview(client, "campaign", campaign.id).json()

    requested = client.post(
        reverse("api:v1-campaign-delete", args=[campaign.id]), {"preview_token": shown["preview_token"]}, format="json"
    )
    job = wait_for_job(requested.json()["request_id"])
    status = client.get(requested["Location"]).json()

    assert requested.status_code == 202
    assert job.status == JobStatus.SUCCEEDED
    assert status["status"] == "completed" and status["progress_percentage"] == 100
    assert status["deleted_counts"] == campaign.counts and status["completed_at"]
    assert _preview(client, "campaign", campaign.id).status_code == 404


# ---- scopes: what a token may do, per kind and action ----

CAMPAIGN_ONLY = {"campaign": ["read", "preview", "request", "cancel", "resume"]}


def _tenant_job():
    """A tenant's deletion that failed at its first step."""
    steps = {step: {"state": "pending"} for step in get_plan("tenant").step_names}
    steps["validate"] = {"state": "failed", "last_error": "ServiceUnavailable"}
    return DeletionJobFactory(
        kind="tenant",
        target_id="t-1",
        target_label="Harbour Deli",
        status=JobStatus.FAILED,
        current_phase="validate",
        steps=steps,
        preview={},
        counts={},
        error="validate step failed: ServiceUnavailable",
    )


def test_a_campaign_token_is_not_told_a_tenant_job_exists(db):
    _, token = service_account("campaign-service", scopes=CAMPAIGN_ONLY)
    client = token_client(token)
    tenant_job, campaign_job = _tenant_job(), failed_job()

    answers = {
        "detail": client.get(reverse("api:deletion-detail", args=[tenant_job.pk])),
        "status": client.get(reverse("api:v1-status", args=[tenant_job.pk])),
        "cancel": client.post(reverse("api:deletion-cancel", args=[tenant_job.pk])),
        "seed cancel": client.delete(reverse("api:v1-cancel", args=[tenant_job.pk])),
        "resume": client.post(reverse("api:deletion-resume", args=[tenant_job.pk])),
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert answers["detail"].json() == {"detail": "No such deletion job."}
    assert DeletionJob.objects.get(pk=tenant_job.pk).status == JobStatus.FAILED
    assert client.get(reverse("api:deletion-detail", args=[campaign_job.pk])).status_code == 200


def test_a_campaign_token_may_not_preview_or_request_a_tenant(clean_stores, rng):
    create_tenant(TenantSpec(id="t-10", name="Harbour Deli"), rng)
    _, token = service_account("campaign-service", scopes=CAMPAIGN_ONLY)
    client = token_client(token)

    preview = _preview(client, "tenant", "t-10")
    seed_preview = client.get(reverse("api:v1-tenant-preview", args=["t-10"]))
    requested = _request(client, "tenant", "t-10", preview_token="x")
    in_bulk = client.post(reverse("api:deletions"), [{"kind": "tenant", "target_id": "t-10"}], format="json")
    seed_delete = client.delete(reverse("api:v1-tenant-delete", args=["t-10"]) + "?preview_token=x")

    assert [r.status_code for r in (preview, seed_preview, requested, in_bulk, seed_delete)] == [403] * 5
    assert preview.json() == {"detail": "This token's scopes do not allow preview on tenant."}
    assert not DeletionJob.objects.exists()


def test_a_campaign_token_is_not_told_a_tenant_bulk_request_exists(db):
    _, token = service_account("campaign-service", scopes=CAMPAIGN_ONLY)
    tenants = BulkRequest.objects.create(kind="tenant", max_running=3)

    response = token_client(token).get(reverse("api:batch-detail", args=[tenants.pk]))

    assert response.status_code == 404


def test_a_read_only_token_reads_and_previews_but_may_not_request_cancel_or_resume(campaign):
    _, token = service_account("reporting", scopes={"campaign": ["read", "preview"]})
    client = token_client(token)
    stopped = failed_job()

    shown = _preview(client, "campaign", campaign.id)
    requested = _request(client, "campaign", campaign.id, preview_token=shown.json()["preview_token"])
    seed_requested = client.post(
        reverse("api:v1-campaign-delete", args=[campaign.id]), {"preview_token": "x"}, format="json"
    )
    resumed = client.post(reverse("api:deletion-resume", args=[stopped.pk]))
    cancelled = client.post(reverse("api:deletion-cancel", args=[stopped.pk]))

    assert shown.status_code == 200
    assert client.get(reverse("api:deletion-detail", args=[stopped.pk])).status_code == 200
    assert [r.status_code for r in (requested, seed_requested, resumed, cancelled)] == [403] * 4
    assert requested.json() == {"detail": "This token's scopes do not allow request on campaign."}
    assert resumed.json() == {"detail": "This token's scopes do not allow resume on campaign."}
    assert not DeletionJob.objects.exclude(pk=stopped.pk).exists()
    assert DeletionJob.objects.get(pk=stopped.pk).status == JobStatus.FAILED


def test_a_token_resumes_only_with_the_resume_scope(db):
    _, without = service_account("no-resume", scopes={"campaign": ["read", "preview", "request", "cancel"]})
    _, with_it = service_account("resumer", scopes={"campaign": ["resume"]})
    stopped = failed_job()
    url = reverse("api:deletion-resume", args=[stopped.pk])

    refused = token_client(without).post(url)
    resumed = token_client(with_it).post(url)

    assert refused.status_code == 403
    assert resumed.status_code == 200 and resumed.json()["status"] == "pending"


def test_a_token_with_no_scopes_may_do_nothing(campaign):
    _, token = service_account("unscoped", scopes={})
    client = token_client(token)

    assert _preview(client, "campaign", campaign.id).status_code == 403
    assert client.get(reverse("api:deletion-detail", args=[failed_job().pk])).status_code == 404
    # What names no kind it could read still needs the action on some kind.
    assert client.post(reverse("api:deletions"), {}, format="json").status_code == 403


def test_a_person_is_not_held_to_any_scope(db):
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))

    assert client.get(reverse("api:deletion-detail", args=[_tenant_job().pk])).status_code == 200


# ---- who may resume a job a person cancelled ----


@pytest.fixture
def held(settings, clean_stores, rng):
    """A campaign whose deletion is held for a grace period: cancelling it deletes nothing and
    needs no worker, whoever cancels it."""
    settings.DELETION_GRACE_PERIOD = {"campaign": 3600}
    return create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)


def _request_held(client, campaign):
    shown = _preview(client, "campaign", campaign.id).json()
    requested = _request(client, "campaign", campaign.id, preview_token=shown["preview_token"])
    assert requested.status_code == 201 and requested.json()["status"] == "scheduled", requested.json()
    return requested.json()["id"]


def test_a_token_may_not_resume_a_job_a_person_cancelled_and_a_person_may(service, held):
    _, client = service
    person = APIClient()
    person.force_authenticate(deleter(username="dana"))
    job_id = _request_held(client, held)
    assert person.post(reverse("api:deletion-cancel", args=[job_id])).json()["status"] == "cancelled"

    refused = client.post(reverse("api:deletion-resume", args=[job_id]))
    resumed = person.post(reverse("api:deletion-resume", args=[job_id]))

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": f"Job {job_id} was cancelled by a person; only a person may resume it "
        "(from its page, the admin or the command line).",
        "job_id": job_id,
        "status": "cancelled",
    }
    assert resumed.status_code == 200 and resumed.json()["status"] == "pending"


def test_a_token_may_resume_a_job_a_service_cancelled(service, held):
    _, client = service
    job_id = _request_held(client, held)
    assert client.post(reverse("api:deletion-cancel", args=[job_id])).json()["status"] == "cancelled"

    resumed = client.post(reverse("api:deletion-resume", args=[job_id]))

    assert resumed.status_code == 200 and resumed.json()["status"] == "pending"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("canceller", ["service", "person"])
def test_a_cancelled_job_resumed_through_the_api_runs_to_the_end_on_the_worker(
    celery_worker, settings, clean_stores, rng, canceller
):
    settings.DELETION_GRACE_PERIOD = {"campaign": 3600}
    campaign = create_campaign(CampaignSpec(name="Tomb of Ash", events=40), rng)
    _, token = service_account("orders-service")
    service_client = token_client(token)
    person = APIClient()
    person.force_authenticate(deleter(username="dana"))
    job_id = _request_held(service_client, campaign)
    stopper = person if canceller == "person" else service_client
    assert stopper.post(reverse("api:deletion-cancel", args=[job_id])).json()["status"] == "cancelled"

    resumer = person if canceller == "person" else service_client
    resumed = resumer.post(reverse("api:deletion-resume", args=[job_id]))
    job = wait_for_job(job_id)

    assert resumed.status_code == 200, resumed.json()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.counts == campaign.counts
    assert _preview(service_client, "campaign", campaign.id).status_code == 404
