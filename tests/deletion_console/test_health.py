"""The health views against the real servers, one of which is really stopped."""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from deletion_console.selectors import health
from deletion_console.stores import mongo
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("celery_worker", "transactional_db")]
ROOT = Path(__file__).resolve().parents[2]
DEPENDENCIES = {"console_db", "postgres", "mongodb", "neo4j", "redis", "events_broker", "celery_worker"}
TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def no_report_yet():
    # Rounds of checks are cached per process: each test starts with none.
    cache.delete(health.CACHE_KEY)


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


def test_health_is_the_readiness_check_and_anonymous_callers_see_only_ok(client, staff_client):
    staff_client.get("/health/ready/")
    staff_client.logout()

    for url in ("/health/", "/health/ready/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json() == {"ok": True}


def test_anonymous_callers_never_start_a_round_of_checks_and_get_503_stale_without_one(client, monkeypatch):
    opened = []
    monkeypatch.setattr(health, "check_all", lambda: opened.append(1))

    answers = [client.get("/health/") for _ in range(20)]

    assert opened == []
    assert {(r.status_code, r.content) for r in answers} == {(503, b'{"ok": false, "stale": true}')}


def test_one_round_of_checks_serves_every_caller_for_health_cache_seconds(client, staff_client, settings):
    first = staff_client.get("/health/ready/").json()
    again = staff_client.get("/health/ready/").json()
    staff_client.logout()
    anonymous = [client.get("/health/").json() for _ in range(5)]
    cache.delete(health.CACHE_KEY)  # as HEALTH_CACHE_SECONDS passing does
    staff_client.force_login(UserFactory(username="operator", is_staff=True))
    later = staff_client.get("/health/ready/").json()

    assert again["checked_at"] == first["checked_at"] and later["checked_at"] > first["checked_at"]
    assert anonymous == [{"ok": True}] * 5
    assert settings.HEALTH_CACHE_SECONDS == 10


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_metrics_token_sees_the_details_and_a_wrong_one_does_not(client):
    detailed = client.get("/health/ready/", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    # A wrong token is an anonymous caller: the outcome of the round the token started, no more.
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
