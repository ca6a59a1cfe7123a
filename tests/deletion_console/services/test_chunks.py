"""Chunked execution with a real worker: jobs share a worker fairly, a chunk lost with its
worker comes back from the broker, and every batch deleted is in the audit trail."""

from collections import Counter
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, InFlightBatch, JobEvent, JobStatus
from tests.deletion_console.services.test_failures import seed_with_neighbours, step_underway, wait_until
from tests.factories import request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess, console_database_url, flush_broker, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

# Short chunks of small batches: a test-sized campaign takes many chunks.
SHORT_CHUNKS = {
    "DELETION_CHUNK_SECONDS": "0.3",
    "DELETION_MONGODB_BATCH": "500",
    "DELETION_MONGODB_STATEMENT_MAX": "1000",
    "DELETION_NEO4J_BATCH": "20",
}


@pytest.fixture
def own_worker(suite_worker):
    """Stop the suite's worker; the test starts the only consumer of the queue itself."""
    suite_worker.stop()  # started again by the next test that needs it
    started = []

    def start(name, **kwargs):
        worker = WorkerProcess(name, **kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    flush_broker()


def audited_batches(job) -> dict:
    """Per entity, the sum of the job's batch events: what the audit trail says was deleted."""
    total = Counter()
    for event in JobEvent.objects.filter(job=job, kind="batch"):
        total.update(event.counts)
    return dict(total)


def deleted_per_entity(job) -> dict:
    return {entity: n for entities in job.counts.values() for entity, n in entities.items() if n}


@pytest.mark.long
def test_a_small_job_queued_behind_a_large_one_finishes_first_on_a_one_process_worker(own_worker, rng):
    own_worker("fair", extra_env=SHORT_CHUNKS, processes=1)
    before, large = seed_with_neighbours(rng, events=15_000)
    small = create_campaign(CampaignSpec(name="Small", children=2, events=10), rng)
    large_job = request_deletion("campaign", large.id)
    wait_until(step_underway(large_job.pk, "mongodb"), what="the large job's mongodb step to be underway")

    small_job = request_deletion("campaign", small.id)
    small_done = wait_for_job(small_job.pk, timeout=60)

    assert small_done.status == JobStatus.SUCCEEDED, small_done.error
    assert DeletionJob.objects.get(pk=large_job.pk).status == JobStatus.RUNNING
    large_done = wait_for_job(large_job.pk, timeout=180)
    assert large_done.status == JobStatus.SUCCEEDED, large_done.error
    assert large_done.total_deleted == sum(sum(e.values()) for e in large.counts.values())
    assert dumps.all_stores() == before


@pytest.mark.long
@pytest.mark.broker
def test_a_chunk_lost_with_its_killed_worker_is_redelivered_by_the_broker_without_the_watchdog(own_worker, rng):
    # No beat, so no watchdog: only the broker can bring the chunk back (Redis after its
    # visibility timeout, RabbitMQ as soon as the killed worker's connection is gone).
    redelivery = {
        **SHORT_CHUNKS,
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        # The killed worker may have been holding the sweep's lock.
        "CELERY_UNACKED_MUTEX_EXPIRE": "2",
    }
    first = own_worker("doomed", extra_env=redelivery)
    before, target = seed_with_neighbours(rng, events=15_000)
    job = request_deletion("campaign", target.id)
    wait_until(step_underway(job.pk, "mongodb"), what="the mongodb step to be underway")

    first.kill()
    own_worker("heir", extra_env=redelivery)
    done = wait_for_job(job.pk, timeout=180)

    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.run == 1 and not JobEvent.objects.filter(job=done, kind="requeued").exists()
    # A batch the killed worker deleted but never lived to record is settled by its heir.
    assert done.total_deleted == sum(sum(e.values()) for e in target.counts.values())
    assert audited_batches(done) == deleted_per_entity(done)
    assert dumps.all_stores() == before


@contextmanager
def job_row_locked(job_id):
    """Hold the job's row lock from another connection, as a long transaction of the web would:
    the worker's next record of the job waits for it."""
    with psycopg.connect(console_database_url(), autocommit=False) as conn:
        conn.execute(f"SELECT 1 FROM {DeletionJob._meta.db_table} WHERE id = %s FOR UPDATE", [job_id])
        yield
        conn.rollback()


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_after_its_batch_was_deleted_but_before_it_was_counted_leaves_every_document_counted(
    own_worker, rng
):
    doomed = own_worker("doomed", extra_env=SHORT_CHUNKS)
    before, target = seed_with_neighbours(rng, events=10_000)
    job = request_deletion("campaign", target.id)
    wait_until(step_underway(job.pk, "mongodb"), what="the mongodb step to be underway")

    for _ in range(20):
        with job_row_locked(job.pk):
            wait_until(waiting_on_a_lock, what="the worker waiting to record on the job")
            # Waiting to count a batch it sent (and the store deleted), not to say what it will send.
            if InFlightBatch.objects.filter(job=job).exists():
                doomed.kill()
                break
    else:
        pytest.fail("the worker never waited with a batch in flight")
    own_worker("heir", extra_env=SHORT_CHUNKS)
    done = wait_for_job(job.pk, timeout=180)

    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.total_deleted == sum(sum(e.values()) for e in target.counts.values())
    assert JobEvent.objects.filter(job=done, kind="batch", message__contains="reply was lost").exists()
    assert audited_batches(done) == deleted_per_entity(done)
    assert not InFlightBatch.objects.filter(job=done).exists()
    assert dumps.all_stores() == before


# The deployed clocks (settings' defaults), with batches small enough that a test-sized step
# takes several.
DEPLOYED_CLOCKS = {
    "DELETION_CHUNK_SECONDS": "3",
    "DELETION_CLAIM_SILENT_SECONDS": "6",
    "DELETION_WATCHDOG_INTERVAL_SECONDS": "5",
    "DELETION_HEARTBEAT_STALE_SECONDS": "120",
    "DELETION_MONGODB_BATCH": "3000",
    "DELETION_MONGODB_STATEMENT_MAX": "6000",
    "CELERY_VISIBILITY_TIMEOUT": "300",
}


@pytest.mark.broker
def test_a_worker_killed_mid_chunk_and_restarted_deletes_again_within_30_seconds(own_worker, rng):
    worker = own_worker("crash", extra_env=DEPLOYED_CLOCKS, beat=True)
    before, target = seed_with_neighbours(rng, events=12_000)
    job = request_deletion("campaign", target.id)
    wait_until(step_underway(job.pk, "mongodb"), what="the mongodb step to be underway")

    worker.kill()
    restarted = timezone.now()
    worker.start()
    again = wait_until(
        lambda: JobEvent.objects.filter(job=job, kind="batch", created_at__gt=restarted).order_by("created_at").first(),
        timeout=60,
        what="a batch deleted after the restart",
    )
    done = wait_for_job(job.pk, timeout=120)

    assert (again.created_at - restarted).total_seconds() < 30
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert all(n == 0 for entities in done.residue.values() for n in entities.values())
    assert audited_batches(done) == deleted_per_entity(done)
    assert dumps.all_stores() == before


def test_every_batch_a_job_deleted_is_in_its_audit_trail(own_worker, rng):
    own_worker("audit", extra_env=SHORT_CHUNKS)
    before, target = seed_with_neighbours(rng, events=3_000, new_format=False)
    job = request_deletion("campaign", target.id)

    done = wait_for_job(job.pk, timeout=120)

    assert done.status == JobStatus.SUCCEEDED, done.error
    assert (
        audited_batches(done)
        == deleted_per_entity(done)
        == {entity: n for entities in target.counts.values() for entity, n in entities.items() if n}
    )
    chunks = JobEvent.objects.filter(job=done, kind="batch", step="mongodb").count()
    assert chunks > 5  # small batches: the mongodb step alone took many
    assert dumps.all_stores() == before
