"""When things go wrong, with real servers and real worker processes: a store that goes away,
a worker killed mid-step, a cancel, and an error that no retry can fix."""

import time

import pytest
from django.conf import settings
from django.db import transaction

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.devtools.drills import stack
from deletion_console.models import CollectedId, JobEvent, JobStatus
from deletion_console.services import jobs
from deletion_console.stores import mongo
from tests.factories import request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

PLAYERS = ("p1", "p2", "p3")
# Small batches make each step long enough to interrupt in the middle, and real backoff
# (1 s, 2 s, 4 s) shows the delays growing as production would.
SLOW_STEPS = {
    # One chunk per step: a worker killed mid-step then always holds its step's only message,
    # which only the watchdog brings back (the broker's visibility timeout is far longer).
    "DELETION_CHUNK_SECONDS": "60",
    "DELETION_MONGODB_BATCH": "1000",
    "DELETION_NEO4J_BATCH": "10",
    "DELETION_RETRY_BASE_SECONDS": "1",
}


@pytest.fixture
def exclusive_worker(suite_worker):
    """A worker (with beat, for the watchdog) that is the only consumer of the queue."""
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("failures", extra_env=SLOW_STEPS, beat=True).start()
    yield worker
    worker.stop()


def wait_until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def step_underway(job_id, step):
    def check():
        job = jobs.DeletionJob.objects.get(pk=job_id)
        return job.current_phase == step and sum(job.counts.get(step, {}).values()) > 0

    return check


def seed_with_neighbours(rng, **target):
    create_players(PLAYERS)
    for n in range(4):
        create_campaign(CampaignSpec(name=f"Neighbour {n}", new_format=n % 2 == 0, players=PLAYERS[:2]), rng)
    before = dumps.all_stores()
    return before, create_campaign(CampaignSpec(name="Target", players=PLAYERS, **target), rng)


def test_neo4j_stopped_mid_step_fails_after_three_growing_retries_then_resumes_to_zero_residue(exclusive_worker, rng):
    before, target = seed_with_neighbours(rng, children=60, events=50)
    job = request_deletion("campaign", target.id)
    wait_until(step_underway(job.pk, "neo4j"), what="the neo4j step to be underway")

    stack("down", "neo4j")
    try:
        failed = wait_for_job(job.pk, timeout=60)
    finally:
        stack("up")

    assert failed.status == JobStatus.FAILED
    assert failed.current_phase == "neo4j"
    assert failed.error.startswith("neo4j step failed: ") and "gave up after 4 attempts" in failed.error
    assert "MongoDB data removed; Neo4j step failed" in failed.warnings[-1]
    assert failed.steps["postgres"]["state"] == "pending"  # the steps after it did not run
    retries = list(JobEvent.objects.filter(job=failed, kind="retry").order_by("created_at"))
    assert [e.attempt for e in retries] == [1, 2, 3]
    assert [e.message.rsplit("retrying in ", 1)[1] for e in retries] == ["1 s", "2 s", "4 s"]
    # The backoff is the wait from each failed attempt to the next start (not start to start,
    # which also counts how long the attempt took to fail).
    starts = list(JobEvent.objects.filter(job=failed, step="neo4j", kind="started").order_by("created_at"))[1:]
    waits = [
        (start.created_at - retry.created_at).total_seconds() for retry, start in zip(retries, starts, strict=True)
    ]
    assert all(delay <= wait < delay + 1.5 for wait, delay in zip(waits, (1, 2, 4), strict=True)), waits

    jobs.resume(failed.pk)
    resumed = wait_for_job(job.pk, timeout=90)

    assert resumed.status == JobStatus.SUCCEEDED, resumed.error
    assert all(n == 0 for entities in resumed.residue.values() for n in entities.values())
    assert dumps.all_stores() == before


def test_cancel_during_mongodb_step_stops_within_one_batch_and_counts_what_is_gone(exclusive_worker, rng):
    _, target = seed_with_neighbours(rng, events=12_000)
    job = request_deletion("campaign", target.id)
    wait_until(step_underway(job.pk, "mongodb"), what="the mongodb step to be underway")

    jobs.cancel(job.pk)
    cancelled = wait_for_job(job.pk, timeout=30)

    assert cancelled.status == JobStatus.CANCELLED
    requested = JobEvent.objects.get(job=cancelled, kind="cancel-requested")
    later_batches = JobEvent.objects.filter(job=cancelled, kind="batch", created_at__gt=requested.created_at)
    assert later_batches.count() <= 1
    events_left = mongo.count(settings.MONGODB_DB, "campaign_events", {"campaign_id": target.id})
    assert 0 < events_left < target.counts["mongodb"]["campaign_events"]
    assert cancelled.counts["mongodb"]["campaign_events"] == target.counts["mongodb"]["campaign_events"] - events_left
    assert all(n == 0 for entity, n in cancelled.counts["mongodb"].items() if entity != "campaign_events")
    assert sum(cancelled.counts["neo4j"].values()) == 0 and sum(cancelled.counts["postgres"].values()) == 0
    assert "Cancelled during mongodb" in cancelled.warnings[-1]


def test_non_transient_error_fails_at_once_with_its_reason_and_no_retries(celery_worker, rng):
    target = create_campaign(CampaignSpec(name="Malformed"), rng)
    with transaction.atomic():
        job = request_deletion("campaign", target.id)
        CollectedId.objects.create(job=job, entity="quests", value="not-an-object-id", is_object_id=True)

    failed = wait_for_job(job.pk)

    assert failed.status == JobStatus.FAILED
    assert failed.current_phase == "mongodb"
    assert "InvalidId" in failed.error and "not-an-object-id" in failed.error
    assert not JobEvent.objects.filter(job=failed, kind="retry").exists()
    assert JobEvent.objects.filter(job=failed, step="mongodb", kind="started").count() == 1
