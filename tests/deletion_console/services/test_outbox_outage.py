"""The outbox when RabbitMQ goes down in the middle of a batch it is publishing: once it is
back, each event has reached a bound queue, none twice but the one in doubt. (A job whose
events wait out a RabbitMQ outage is one of test_outages.py's drills.)"""

import threading
from collections import Counter

import pytest
from django.db import connections
from kombu import Connection, Consumer, Queue

from deletion_console.devtools.drills import stack
from deletion_console.models import OutboxEvent
from deletion_console.services import announce
from tests.deletion_console.services.test_failures import wait_until
from tests.factories import failed_job

pytestmark = [pytest.mark.worker, pytest.mark.broker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

QUEUE = "test-outbox-outage"


@pytest.fixture
def events_broker_is_rabbitmq_alone(settings):
    # make test's second pass moves the events to Redis.
    if not settings.DELETION_EVENTS_URL.startswith("amqp"):
        pytest.skip("the deletion events are not on RabbitMQ here, so its outage does not reach them")


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
