"""How many messages wait in a Celery queue on the broker, read without consuming any."""

from urllib.parse import urlsplit

import redis
from django.conf import settings
from kombu import Connection
from kombu.transport.redis import Channel


def _redis_depth(url: str, queue: str) -> int:
    # kombu's Redis transport keeps a queue as one list per priority step ("deletion-tasks" for the
    # default priority, "deletion-tasks\x06\x163" and so on for the others).
    sep = Channel.sep
    keys = [queue if step == 0 else f"{queue}{sep}{step}" for step in Channel.priority_steps]
    client = redis.Redis.from_url(url, socket_timeout=settings.STORE_TIMEOUT_SECONDS)
    try:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            return sum(pipe.execute())
    finally:
        client.close()


def _amqp_depth(url: str, queue: str) -> int:
    # A passive declare answers with the queue's message count, creating and consuming nothing.
    with Connection(url, connect_timeout=settings.STORE_TIMEOUT_SECONDS) as conn:
        return conn.default_channel.queue_declare(queue=queue, passive=True).message_count


# By broker URL scheme.
DEPTH_READERS = {"redis": _redis_depth, "rediss": _redis_depth, "amqp": _amqp_depth, "amqps": _amqp_depth}


def queue_depth(queue: str, broker_url: str | None = None) -> int | None:
    """None when this kind of broker cannot be asked (yet)."""
    url = broker_url or settings.CELERY_BROKER_URL
    reader = DEPTH_READERS.get(urlsplit(url).scheme)
    return reader(url, queue) if reader else None
