"""Structured logs: JSON lines carrying the job's fields, from a real worker and from the web."""

import io
import json
import logging

import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console import logcontext
from deletion_console.logformat import ConsoleFormatter, JsonFormatter
from tests.factories import DeletionJobFactory, request_deletion, viewer
from tests.fixtures.worker import LOG_DIR, wait_for_job


@pytest.fixture(autouse=True)
def no_fields_from_earlier_tests():
    # Building a chunk's context binds its job for the rest of the context (as in a worker).
    with logcontext.isolated():
        yield


def capture(logger_name: str, formatter: logging.Formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logcontext.JobContextFilter())
    logging.getLogger(logger_name).addHandler(handler)
    return stream, handler


def test_a_json_line_carries_the_bound_fields_and_the_scope_drops_them_at_its_end():
    stream, handler = capture("tests.logs", JsonFormatter())
    log = logging.getLogger("tests.logs")
    try:
        with logcontext.bound(job_id="j-1", step="mongodb", run=2):
            logcontext.bind(kind="campaign", target_id="c-9", attempt=3)
            log.warning("inside %s", "the scope", extra={"batch": 7})
        log.warning("outside")
    finally:
        logging.getLogger("tests.logs").removeHandler(handler)

    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "inside the scope" and inside["level"] == "warning"
    assert {k: inside[k] for k in ("job_id", "kind", "target_id", "step", "run", "attempt", "batch")} == {
        "job_id": "j-1",
        "kind": "campaign",
        "target_id": "c-9",
        "step": "mongodb",
        "run": 2,
        "attempt": 3,
        "batch": 7,
    }
    assert "job_id" not in outside


def test_the_console_format_shows_the_bound_fields_after_the_message():
    stream, handler = capture("tests.logs", ConsoleFormatter())
    try:
        with logcontext.bound(job_id="j-2", step="neo4j"):
            logging.getLogger("tests.logs").warning("batch done")
    finally:
        logging.getLogger("tests.logs").removeHandler(handler)

    assert stream.getvalue().rstrip().endswith("batch done [job_id=j-2 step=neo4j]")


@pytest.mark.django_db
def test_a_web_line_about_a_job_carries_its_id_and_the_request_id(client):
    job = DeletionJobFactory()
    client.force_login(viewer())
    stream, handler = capture("django.request", JsonFormatter())
    try:
        response = client.get(f"/jobs/{job.pk}/", headers={"X-Request-ID": "req-12345678"})
    finally:
        logging.getLogger("django.request").removeHandler(handler)

    assert response.status_code == 403
    assert response["X-Request-ID"] == "req-12345678"
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["job_id"] == str(job.pk) and line["request_id"] == "req-12345678"


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")
def test_a_worker_line_parses_as_json_with_the_jobs_fields(rng):
    campaign = create_campaign(CampaignSpec(name="Logged campaign", events=30), rng)

    job = wait_for_job(request_deletion("campaign", campaign.id).pk)

    lines = [
        json.loads(line)
        for line in (LOG_DIR / "suite-worker.log").read_text(errors="replace").splitlines()
        if str(job.pk) in line and line.startswith("{")
    ]
    ended = [line for line in lines if line["message"].startswith("deletion chunk ended") and line["step"] == "neo4j"]
    assert ended, "no JSON line of the worker about the job's neo4j step"
    assert ended[0] | {"attempt": 1} == ended[0]
    assert {k: ended[0][k] for k in ("job_id", "kind", "target_id", "step", "run")} == {
        "job_id": str(job.pk),
        "kind": "campaign",
        "target_id": campaign.id,
        "step": "neo4j",
        "run": 1,
    }
    # Celery's own line for the task, written after the function returned, is bound as well.
    assert any(line["logger"] == "celery.app.trace" and line.get("target_id") == campaign.id for line in lines)
