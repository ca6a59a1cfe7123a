"""Publish the recorded deletion events (services.outbox) on the topic exchange of the events
broker (DELETION_EVENTS_URL): persistent messages, each marked published once the broker took it."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import Connection, Exchange

from deletion_console.models import OutboxEvent

log = logging.getLogger(__name__)


def exchange() -> Exchange:
    return Exchange(settings.DELETION_EVENTS_EXCHANGE, type="topic", durable=True)


def publish_pending(*, job_id=None) -> int:
    """Publish what is recorded and not yet published (of one job, or of all), oldest first;
    returns how many went out. A broker that cannot be reached leaves them for the next try
    (beat): the job's own record is the truth, and an outage must not fail a step."""
    published = 0
    try:
        with transaction.atomic():
            # Rows another publisher is sending are skipped, not waited for.
            pending = OutboxEvent.objects.select_for_update(skip_locked=True).filter(published_at=None)
            if job_id is not None:
                pending = pending.filter(job_id=job_id)
            events = list(pending.order_by("id")[: settings.DELETION_EVENTS_BATCH])
            if not events:
                return 0
            with Connection(settings.DELETION_EVENTS_URL, connect_timeout=settings.STORE_TIMEOUT_SECONDS) as conn:
                producer = conn.Producer(serializer="json")
                for event in events:
                    producer.publish(
                        event.body,
                        exchange=exchange(),
                        routing_key=event.routing_key,
                        declare=[exchange()],
                        delivery_mode=2,
                        retry=True,
                        retry_policy={"max_retries": 3, "interval_start": 0.5, "interval_step": 1},
                    )
                    published += 1
            OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(published_at=timezone.now())
    except Exception:
        log.exception(
            "Could not publish %s deletion event(s); they will be tried again", "the" if job_id else "pending"
        )
        return 0
    return published
