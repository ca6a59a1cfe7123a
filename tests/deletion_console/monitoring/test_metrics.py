"""/metrics: who may read it, and the deletion figures moving as a real worker deletes."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import JobEvent
from tests.factories import failed_job, request_deletion, running_job
from tests.fixtures.worker import wait_for_job

TOKEN = "scrape-token-for-tests"
pytestmark = pytest.mark.usefixtures("transactional_db")


def scrape(client) -> dict:
    """{(sample name, sorted labels): value} of one authorised scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_IPS=[])
def test_anonymous_callers_are_refused_and_a_wrong_token_is_forbidden(client):
    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 403
    assert b"deletion_" not in anonymous.content + wrong.content


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["10.20.0.0/16"])
def test_an_allow_listed_network_reads_without_a_token_and_others_do_not(client):
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 401
    # Without a configured token, no bearer token opens it.
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4", headers={"Authorization": "Bearer "}).status_code == 401


@override_settings(METRICS_TOKEN=TOKEN)
def test_stalled_jobs_retries_and_failures_are_counted(client):
    stale = running_job(step="neo4j")
    stale.heartbeat_at = timezone.now() - timedelta(hours=1)
    stale.save()
    JobEvent.objects.create(job=stale, step="neo4j", kind="retry", attempt=1, message="ServiceUnavailable: x")
    failed_job(step="postgres")

    samples = scrape(client)

    assert value(samples, "deletion_jobs_stalled", kind="campaign") == 1
    assert value(samples, "deletion_jobs_active", kind="campaign") == 1
    assert value(samples, "deletion_jobs", kind="campaign", status="failed") == 1
    assert value(samples, "deletion_retries_total", kind="campaign", step="neo4j") == 1
    assert value(samples, "deletion_failures_total", kind="campaign", step="postgres") == 1


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "celery_worker")
@override_settings(METRICS_TOKEN=TOKEN)
def test_the_counters_move_after_a_deletion_through_a_real_worker(client, rng):
    campaign = create_campaign(CampaignSpec(name="Measured campaign", events=40), rng)
    before = scrape(client)

    job = wait_for_job(request_deletion("campaign", campaign.id).pk)
    after = scrape(client)

    assert job.status == "succeeded"

    def grown(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown("deletion_jobs", kind="campaign", status="succeeded") == 1
    for store, entity in [("mongodb", "campaign_events"), ("neo4j", "Campaign"), ("postgres", "campaign_sessions")]:
        assert grown("deletion_entities_deleted_total", store=store, entity=entity) == job.counts[store][entity] > 0
    assert grown("deletion_step_duration_seconds_count", kind="campaign", step="mongodb") == 1
    assert grown("deletion_step_duration_seconds_bucket", kind="campaign", step="mongodb", le="+Inf") == 1
    assert grown("deletion_step_duration_seconds_sum", kind="campaign", step="mongodb") > 0
    assert value(after, "deletion_queue_depth", queue="deletion-tasks") >= 0
    assert value(after, "deletion_celery_workers") >= 1
    ran = [
        v
        for (name, labels), v in after.items()
        if name == "deletion_celery_worker_tasks_total" and ("task", "deletion_console.tasks.run_chunk") in labels
    ]
    assert ran and sum(ran) >= 1  # a small job runs on through its steps in a task or two
    # The web side's own metrics come from django-prometheus.
    assert any(name.startswith("django_http_requests_total") for name, _ in after)
