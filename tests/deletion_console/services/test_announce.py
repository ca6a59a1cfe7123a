"""The outbox: events recorded with the change they report, published after commit or later."""

import pytest
from django.test import override_settings
from kombu import Connection, Queue

from deletion_console.models import OutboxEvent
from deletion_console.services import announce, outbox
from tests.factories import failed_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_queue(settings):
    queue = Queue("test-outbox", exchange=announce.exchange(), routing_key="deletion.*", auto_delete=False)
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        bound.purge()
        yield bound
        bound.delete()


def test_an_end_recorded_while_the_broker_is_away_is_published_later_and_only_once(events_queue):
    job = failed_job()
    outbox.record_end(job)  # this test's transaction never commits: nothing was published on commit
    with override_settings(DELETION_EVENTS_URL="amqp://guest:guest@127.0.0.1:9//"):
        assert announce.publish_pending() == 0  # unreachable: kept for later

    assert announce.publish_pending() == 1
    assert announce.publish_pending() == 0

    message = events_queue.get(no_ack=True)
    assert message.delivery_info["routing_key"] == "deletion.failed"
    assert message.properties["delivery_mode"] == 2  # persistent
    assert message.payload["request_id"] == str(job.pk) and message.payload["errors"] == [job.error]
    assert OutboxEvent.objects.get(job=job).published_at is not None
    assert events_queue.get(no_ack=True) is None


def test_the_first_steps_and_the_last_two_are_named_as_the_seed_names_them():
    assert [outbox.step_key(s) for s in ("validate", "collect", "mongodb", "orders", "verify", "complete")] == [
        "deletion.validated",
        "deletion.collecting",
        "deletion.mongodb",
        "deletion.orders",
        None,
        None,
    ]
