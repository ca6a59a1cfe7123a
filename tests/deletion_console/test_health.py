"""The health view against the real servers, one of which is really stopped."""

import os
import subprocess
from pathlib import Path

import pytest

from deletion_console.stores import mongo

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("celery_worker", "transactional_db")]
ROOT = Path(__file__).resolve().parents[2]
DEPENDENCIES = {"console_db", "target_db", "mongodb", "neo4j", "redis", "celery_worker"}


def test_health_reports_every_dependency_up_with_its_latency(client):
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["down"] == []
    assert set(body["dependencies"]) == DEPENDENCIES
    assert all(d["ok"] and d["latency_ms"] >= 0 for d in body["dependencies"].values())


def test_health_turns_503_and_names_the_server_that_is_stopped(client):
    subprocess.run(["scripts/stack.sh", "down", "ferretdb"], cwd=ROOT, check=True, capture_output=True, env=os.environ)
    try:
        response = client.get("/health/")
    finally:
        subprocess.run(["scripts/stack.sh", "up"], cwd=ROOT, check=True, capture_output=True, env=os.environ)
        mongo.client().admin.command("ping")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["mongodb"]
    assert body["dependencies"]["mongodb"]["error"]
