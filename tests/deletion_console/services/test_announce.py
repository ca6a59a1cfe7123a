from datetime import timedelta

import pytest
from django.utils import timezone
from kombu import Connection, Queue

from deletion_console.models import DeletionJob
from deletion_console.services import announce
from tests.factories import failed_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_queue(settings):
    queue = Queue("test-unannounced", exchange=announce.exchange(), routing_key="deletion.*", auto_delete=False)
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        bound.purge()
        yield bound
        bound.delete()


def test_an_end_left_unannounced_by_a_crash_is_published_later_and_only_once(events_queue):
    job = failed_job()
    DeletionJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(minutes=2))

    assert announce.announce_pending() == 1
    assert announce.announce_pending() == 0

    message = events_queue.get(no_ack=True)
    assert message.delivery_info["routing_key"] == "deletion.failed"
    assert message.payload["job_id"] == str(job.pk) and message.payload["error"] == job.error
    assert DeletionJob.objects.get(pk=job.pk).announced_at is not None
    assert events_queue.get(no_ack=True) is None


def test_a_job_that_has_just_ended_is_left_to_the_normal_path(events_queue):
    failed_job()  # finished just now: the worker announces it itself

    assert announce.announce_pending() == 0
