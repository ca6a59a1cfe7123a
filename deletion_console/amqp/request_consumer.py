"""The consumer of deletion requests by message, on the events broker (DELETION_EVENTS_URL).

Thin: services.intake decides what a message means; this module only moves messages, and says
who sent one as far as the broker vouches for it (RabbitMQ refuses a publish whose user_id
property is not the publisher's login; Redis checks nothing, so its messages name no sender
unless DELETION_REQUESTS_TRUST_UNPROVEN_SENDER takes them on trust, in development). Each
message is acknowledged once its outcome is durable: a job created or found, or the message
republished to the dead-letter exchange with the reason in its headers. An error that is not a
refusal (a store or the console's database unreachable) puts the message back, after a pause,
however often it happens: a request must outlive an outage.
"""

import hashlib
import logging
import threading
from collections import OrderedDict

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from kombu import Connection, Exchange, Queue, binding
from kombu.exceptions import KombuError
from kombu.mixins import ConsumerProducerMixin

from deletion_console import logcontext
from deletion_console.services import intake
from deletion_console.services.errors import DeletionRefused, UnidentifiedSender
from deletion_console.stores import errors

log = logging.getLogger(__name__)

# Headers a dead-lettered message carries, beside the ones it came with.
REASON_HEADER = "x-refusal-reason"
REFUSAL_HEADER = "x-refusal"
ROUTING_KEY_HEADER = "x-original-routing-key"
EXCHANGE_HEADER = "x-original-exchange"
REFUSED_AT_HEADER = "x-refused-at"
# The user_id property the message came with, if any: a dead letter is republished by the console
# itself, and RabbitMQ would refuse it with another user's name in user_id.
SENDER_HEADER = "x-original-user-id"

# Failing messages remembered to count their attempts (bounded: a flood of them must not grow it).
_REMEMBERED_FAILURES = 1000


def exchange() -> Exchange:
    return Exchange(settings.DELETION_REQUESTS_EXCHANGE, type="topic", durable=True)


def queue() -> Queue:
    bindings = [binding(exchange(), routing_key=key) for key in intake.binding_keys()]
    return Queue(settings.DELETION_REQUESTS_QUEUE, bindings=bindings, durable=True, auto_delete=False)


def dead_exchange() -> Exchange:
    return Exchange(settings.DELETION_REQUESTS_DEAD_EXCHANGE, type="topic", durable=True)


def dead_queue() -> Queue:
    # Bound to everything: a dead letter keeps its original routing key, whatever kind it was for.
    return Queue(
        settings.DELETION_REQUESTS_DEAD_QUEUE,
        exchange=dead_exchange(),
        routing_key="#",
        durable=True,
        auto_delete=False,
    )


def _is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp", "pyamqp"))


def connection() -> Connection:
    url = settings.DELETION_EVENTS_URL
    if _is_rabbitmq(url):
        # Confirms: a dead letter counts as kept only once RabbitMQ has it, before the original is acked.
        # Heartbeats: a connection that died silently is noticed and re-established.
        return Connection(url, heartbeat=60, transport_options={"confirm_publish": True})
    # Redis hands an unacknowledged message (its consumer killed) back after the visibility timeout.
    return Connection(
        url, transport_options={"visibility_timeout": settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]}
    )


class RequestConsumer(ConsumerProducerMixin):
    def __init__(self, conn: Connection):
        self.connection = conn
        self._stopping = threading.Event()
        self._failures: OrderedDict[str, int] = OrderedDict()

    def stop(self) -> None:
        self.should_stop = True
        self._stopping.set()

    def get_consumers(self, Consumer, channel):
        # One message at a time: a message waiting for a retry holds back the ones behind it
        # rather than letting a repeat of it overtake it.
        return [Consumer(queues=[queue()], on_message=self.on_message, prefetch_count=1)]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        dead_queue()(channel).declare()
        log.info(
            "Consuming deletion requests from queue %s (exchange %s, keys %s)",
            settings.DELETION_REQUESTS_QUEUE,
            settings.DELETION_REQUESTS_EXCHANGE,
            ", ".join(intake.binding_keys()),
        )

    def on_message(self, message) -> None:
        routing_key = message.delivery_info.get("routing_key", "")
        with logcontext.bound(routing_key=routing_key):
            # A long-lived process: drop a database connection that died or outlived its age.
            close_old_connections()
            try:
                self._handle(message, routing_key)
            finally:
                close_old_connections()

    def _handle(self, message, routing_key: str) -> None:
        try:
            outcome = intake.take_request(routing_key=routing_key, body=message.body, sender=_sender(message))
        except DeletionRefused as exc:
            self._refuse(message, routing_key, reason=str(exc), refusal=type(exc).__name__)
            return
        except Exception as exc:
            self._failed(message, routing_key, exc)
            return
        self._failures.pop(_digest(message), None)
        job = outcome.job
        if outcome.created:
            log.info("Deletion job %s created for %s %s by message", job.pk, job.kind, job.target_id)
        else:
            log.info("Message for deletion job %s repeated: it exists (%s), nothing to do", job.pk, job.status)
        message.ack()

    def _refuse(self, message, routing_key: str, *, reason: str, refusal: str) -> None:
        try:
            self._dead_letter(message, routing_key, reason=reason, refusal=refusal)
        except Exception as exc:
            # Not kept anywhere yet: acking now would lose it.
            log.warning("Could not dead-letter a refused deletion request (%s): %s", refusal, errors.describe(exc))
            self._requeue_later(message)
            return
        self._failures.pop(_digest(message), None)
        log.warning("Deletion request refused (%s), dead-lettered: %s", refusal, reason)
        message.ack()

    def _dead_letter(self, message, routing_key: str, *, reason: str, refusal: str) -> None:
        headers = {
            **(message.headers or {}),
            REASON_HEADER: reason,
            REFUSAL_HEADER: refusal,
            ROUTING_KEY_HEADER: routing_key,
            EXCHANGE_HEADER: message.delivery_info.get("exchange", ""),
            REFUSED_AT_HEADER: timezone.now().isoformat(),
        }
        if sender := (message.properties or {}).get("user_id"):
            headers[SENDER_HEADER] = sender
        self.producer.publish(
            _raw_body(message),
            exchange=dead_exchange(),
            routing_key=routing_key or "unrouted",
            declare=[dead_queue()],
            headers=headers,
            # The body exactly as it came, even when it is not JSON.
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            delivery_mode=2,
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.5, "interval_step": 1},
        )

    def _failed(self, message, routing_key: str, exc: Exception) -> None:
        if errors.is_transient(exc) or isinstance(exc, KombuError):
            log.warning(
                "Deletion request not processed, a store or the broker is unreachable (%s); back to the queue in %s s",
                errors.describe(exc),
                settings.DELETION_REQUESTS_RETRY_SECONDS,
            )
            self._requeue_later(message)
            return
        attempts = self._count_failure(message)
        if attempts >= settings.DELETION_REQUESTS_MAX_ATTEMPTS:
            log.error("Deletion request failed %s times, giving up: %s", attempts, errors.describe(exc), exc_info=exc)
            self._refuse(
                message,
                routing_key,
                reason=f"Could not be processed after {attempts} attempts: {errors.describe(exc)}",
                refusal="Error",
            )
            return
        log.error(
            "Deletion request not processed (attempt %s of %s): %s; back to the queue in %s s",
            attempts,
            settings.DELETION_REQUESTS_MAX_ATTEMPTS,
            errors.describe(exc),
            settings.DELETION_REQUESTS_RETRY_SECONDS,
            exc_info=exc,
        )
        self._requeue_later(message)

    def _requeue_later(self, message) -> None:
        # The pause spares a store that is down a tight loop; a stop request cuts it short.
        self._stopping.wait(settings.DELETION_REQUESTS_RETRY_SECONDS)
        message.requeue()

    def _count_failure(self, message) -> int:
        key = _digest(message)
        attempts = self._failures.pop(key, 0) + 1
        self._failures[key] = attempts
        while len(self._failures) > _REMEMBERED_FAILURES:
            self._failures.popitem(last=False)
        return attempts


def _sender(message) -> str | None:
    """The broker user that published the message, if the broker vouches for it."""
    claimed = (message.properties or {}).get("user_id") or None
    if _is_rabbitmq(settings.DELETION_EVENTS_URL) or settings.DELETION_REQUESTS_TRUST_UNPROVEN_SENDER:
        return claimed
    raise UnidentifiedSender(
        "This broker cannot prove who sent a message: requests by message are taken only over RabbitMQ, "
        "which checks the user_id property against the publisher's login."
    )


def _digest(message) -> str:
    return hashlib.sha256(_raw_body(message)).hexdigest()


def _raw_body(message) -> bytes:
    # py-amqp hands over a body that names its encoding already decoded: encode it back as it came.
    if isinstance(message.body, bytes):
        return message.body
    try:
        return message.body.encode(message.content_encoding or "utf-8")
    except LookupError:
        return message.body.encode("utf-8")
