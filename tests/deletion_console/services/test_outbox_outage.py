"""The outbox through a RabbitMQ outage, with real servers and a real worker: the job goes on
without the events broker, its events wait in the outbox, and once RabbitMQ is back each of
them reaches a bound queue exactly once; also when RabbitMQ goes down in the middle of a batch."""

import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connections
from kombu import Connection, Consumer, Queue

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import JobStatus, OutboxEvent
from deletion_console.services import announce, jobs
from tests.factories import failed_job, request_deletion
from tests.fixtures.worker import WorkerProcess, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.broker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "test-outbox-outage"
# Enough Neo4j batches after the MongoDB step that RabbitMQ is down well before the job ends.
SLOW_GRAPH = {"DELETION_NEO4J_BATCH": "10"}


def stack(*args):
    subprocess.run(["scripts/stack.sh", *args], cwd=ROOT, check=True, capture_output=True, env=os.environ)


def wait_until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def events_broker_is_rabbitmq_alone(settings):
    # make test's second pass makes RabbitMQ Celery's broker and moves the events to Redis:
    # stopping RabbitMQ there would stop the job itself, not the events.
    if not settings.DELETION_EVENTS_URL.startswith("amqp"):
        pytest.skip("the deletion events are not on RabbitMQ here, so its outage does not reach them")
    if settings.CELERY_BROKER_URL.startswith("amqp"):
        pytest.skip("Celery's broker is RabbitMQ here: stopping it would stop the job, not only its events")


@pytest.fixture
def worker_with_beat(celery_worker):
    """The only consumer of the queue, with beat: beat's publisher rounds run through the outage."""
    celery_worker.stop()
    worker = WorkerProcess("outbox-outage", extra_env=SLOW_GRAPH, beat=True).start()
    yield worker
    worker.stop()
    celery_worker.start()


@pytest.fixture
def events_queue(settings):
    # Durable and kept: it must outlive RabbitMQ's restart with the messages it already holds.
    queue = Queue(QUEUE, exchange=announce.exchange(), routing_key="deletion.*", durable=True, auto_delete=False)
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        bound.purge()
    yield queue
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        queue(conn.default_channel).delete()


def drain(queue, settings) -> list:
    """Every message the queue holds, as (message, body)."""
    received = []
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        consumer = Consumer(conn, queues=[queue], no_ack=True, prefetch_count=1000, accept=["json"])
        consumer.register_callback(lambda body, message: received.append((message, body)))
        with consumer:
            try:
                while True:
                    conn.drain_events(timeout=2)
            except TimeoutError:
                pass  # two quiet seconds: nothing more is coming
    return received


def queue_depth(queue, settings) -> int:
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        return queue(conn.default_channel).queue_declare(passive=True).message_count


def outbox_of(job_id):
    return OutboxEvent.objects.filter(job_id=job_id).order_by("id")


@pytest.mark.usefixtures("events_broker_is_rabbitmq_alone")
def test_events_recorded_while_rabbitmq_is_down_are_each_published_once_when_it_is_back(
    worker_with_beat, events_queue, rng, settings
):
    target = create_campaign(CampaignSpec(name="Announced through an outage", children=60, events=3000), rng)
    job = request_deletion("campaign", target.id)
    wait_until(
        lambda: jobs.DeletionJob.objects.get(pk=job.pk).current_phase == "mongodb",
        what="the mongodb step to be underway",
    )

    stack("down", "rabbitmq")
    try:
        finished = wait_for_job(job.pk, timeout=120)
        # A few of beat's publisher rounds (every 2 s here) meet the outage too.
        time.sleep(5)
        pending = list(outbox_of(job.pk).filter(published_at=None).values_list("routing_key", flat=True))
        published_before = list(outbox_of(job.pk).exclude(published_at=None).values_list("routing_key", flat=True))
    finally:
        stack("up")

    assert finished.status == JobStatus.SUCCEEDED, finished.error
    assert "deletion.validated" in published_before  # sent before the outage, kept by the queue
    assert pending and pending[-1] == "deletion.completed", pending

    # Beat's next rounds publish what waited; no one calls the publisher by hand.
    wait_until(lambda: not outbox_of(job.pk).filter(published_at=None).exists(), timeout=30, what="the outbox to empty")
    # Then a round or two more: whatever they would send again would be a duplicate.
    time.sleep(5)
    announce.publish_pending()

    received = [
        (message.properties["message_id"], message.delivery_info["routing_key"], body["current_step"])
        for message, body in drain(events_queue, settings)
        if body["request_id"] == str(job.pk)
    ]
    recorded = [(str(e.pk), e.routing_key, e.body["current_step"]) for e in outbox_of(job.pk)]
    duplicates = [event for event, n in Counter(received).items() if n > 1]
    assert not duplicates, duplicates
    assert Counter(received) == Counter(recorded), (received, recorded)


BATCH = 10_000


@pytest.mark.usefixtures("events_broker_is_rabbitmq_alone")
def test_rabbitmq_stopping_in_the_middle_of_a_batch_neither_repeats_nor_loses_an_event(events_queue, settings):
    settings.DELETION_EVENTS_BATCH = BATCH
    job = failed_job()
    OutboxEvent.objects.bulk_create(
        OutboxEvent(job=job, routing_key="deletion.failed", body={"request_id": str(job.pk), "n": n})
        for n in range(BATCH)
    )
    first_round = {}

    def publish():
        first_round["sent"] = announce.publish_pending()
        connections.close_all()

    publisher = threading.Thread(target=publish)
    publisher.start()
    # Down while the batch is going out: some of it is on the broker, the rest is not.
    wait_until(lambda: queue_depth(events_queue, settings) > 0, what="the batch to start reaching the queue")
    try:
        stack("down", "rabbitmq")
        publisher.join(timeout=60)
    finally:
        stack("up")
    while announce.publish_pending():
        pass

    assert not OutboxEvent.objects.filter(published_at=None).exists()
    messages = drain(events_queue, settings)
    received = Counter(body["n"] for _, body in messages)
    assert sorted(received) == list(range(BATCH)), f"{BATCH - len(received)} missing"
    # Only the message in flight when the broker went down may come twice (taken, never
    # confirmed), and both copies carry its outbox id, so a consumer keeps one.
    repeated = [n for n, times in received.items() if times > 1]
    assert len(repeated) <= 1 and received.total() - len(received) <= 1, f"{received.total() - len(received)} repeats"
    ids = {n: {m.properties["message_id"] for m, body in messages if body["n"] == n} for n in received}
    assert all(len(one) == 1 for one in ids.values()) and len(set().union(*ids.values())) == BATCH
    # What the broker confirmed before it went down was marked, and only that.
    assert 0 < first_round["sent"] < BATCH, first_round
