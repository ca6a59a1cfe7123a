"""The health views against the real servers, one of which is really stopped."""

import os
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

from deletion_console.stores import mongo
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("celery_worker", "transactional_db")]
ROOT = Path(__file__).resolve().parents[2]
DEPENDENCIES = {"console_db", "postgres", "mongodb", "neo4j", "redis", "events_broker", "celery_worker"}
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="operator", is_staff=True))
    return client


def test_readiness_reports_every_dependency_up_with_its_latency_to_staff(staff_client):
    response = staff_client.get("/health/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["down"] == []
    assert set(body["dependencies"]) == DEPENDENCIES
    assert all(d["ok"] and d["latency_ms"] >= 0 for d in body["dependencies"].values())


def test_health_is_the_readiness_check_and_anonymous_callers_see_only_ok(client):
    for url in ("/health/", "/health/ready/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == {"ok": True}


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_metrics_token_sees_the_details_and_a_wrong_one_does_not(client):
    detailed = client.get("/health/ready/", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    plain = client.get("/health/ready/", headers={"Authorization": "Bearer not-the-token"}).json()

    assert set(detailed["dependencies"]) == DEPENDENCIES
    assert plain == {"ok": True}


def test_liveness_answers_without_asking_any_dependency(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_readiness_turns_503_and_names_the_server_that_is_stopped_only_to_staff(client, staff_client):
    subprocess.run(["scripts/stack.sh", "down", "ferretdb"], cwd=ROOT, check=True, capture_output=True, env=os.environ)
    try:
        detailed = staff_client.get("/health/")
        staff_client.logout()
        plain = client.get("/health/ready/")
        live = client.get("/health/live/")
    finally:
        subprocess.run(["scripts/stack.sh", "up"], cwd=ROOT, check=True, capture_output=True, env=os.environ)
        mongo.client().admin.command("ping")

    assert detailed.status_code == 503
    body = detailed.json()
    assert body["down"] == ["mongodb"]
    assert body["dependencies"]["mongodb"]["error"]
    assert plain.status_code == 503 and plain.json() == {"ok": False}
    assert live.status_code == 200
