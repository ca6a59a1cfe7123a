"""Publish the recorded deletion events (services.outbox) on the topic exchange of the events
broker (DELETION_EVENTS_URL): persistent messages, each marked published once the broker
confirmed it, and each with its outbox row's id as `message_id`."""

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
    try:
        with transaction.atomic():
            # Rows another publisher is sending are skipped, not waited for.
            pending = OutboxEvent.objects.select_for_update(skip_locked=True).filter(published_at=None)
            if job_id is not None:
                pending = pending.filter(job_id=job_id)
            events = list(pending.order_by("id")[: settings.DELETION_EVENTS_BATCH])
            if not events:
                return 0
            sent = _publish(events, job_id)
            # Those the broker took are marked even when a later one failed: left pending, they
            # would all go out again on the next try, a second time.
            OutboxEvent.objects.filter(pk__in=sent).update(published_at=timezone.now())
    except Exception:
        log.exception("Could not read or mark the pending deletion events; they will be tried again")
        return 0
    return len(sent)


def _publish(events: list[OutboxEvent], job_id) -> list[int]:
    """The ids of the events the broker confirmed, in order, up to the first that failed."""
    sent = []
    try:
        # Confirmed publishes: a message merely written to the socket of a broker that is going
        # down may never be routed, and marking it published would lose it.
        with Connection(
            settings.DELETION_EVENTS_URL,
            connect_timeout=settings.STORE_TIMEOUT_SECONDS,
            transport_options={"confirm_publish": True},
        ) as conn:
            producer = conn.Producer(serializer="json")
            for event in events:
                producer.publish(
                    event.body,
                    exchange=exchange(),
                    routing_key=event.routing_key,
                    declare=[exchange()],
                    delivery_mode=2,
                    # The one message in flight when a broker goes down is in doubt: taken but not
                    # confirmed, it goes out again. Its id lets a consumer drop the second copy.
                    message_id=str(event.pk),
                    retry=True,
                    retry_policy={"max_retries": 3, "interval_start": 0.5, "interval_step": 1},
                )
                sent.append(event.pk)
    except Exception:
        log.exception(
            "Could not publish %s deletion event(s) (%d of %d went out); the rest will be tried again",
            "the" if job_id else "pending",
            len(sent),
            len(events),
        )
    return sent
