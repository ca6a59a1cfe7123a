"""Which store errors are worth retrying: the store was unreachable or busy, not wrong.

The one place that tells an outage from a fault, for the engine's retries and for the web's
503 answers alike, so a request and a job never disagree about whether a server is down.
"""

import errno
import re

import psycopg
from amqp import exceptions as amqp_errors
from django import db
from kombu import exceptions as kombu_errors
from neo4j import exceptions as neo4j_errors
from pymongo import errors as mongo_errors
from redis import exceptions as redis_errors

TRANSIENT = (
    mongo_errors.AutoReconnect,  # includes NetworkTimeout and connection resets
    mongo_errors.ServerSelectionTimeoutError,
    mongo_errors.ConnectionFailure,
    neo4j_errors.ServiceUnavailable,
    neo4j_errors.SessionExpired,
    neo4j_errors.TransientError,
    psycopg.OperationalError,
    # The console's own database, reached through Django, which wraps psycopg's errors.
    db.OperationalError,
    db.InterfaceError,
    # Redis (the Channels layer, the throttle's cache, Celery's default broker): redis-py's own
    # classes, which are not the builtin ConnectionError and TimeoutError below.
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    # A broker kombu could not reach (Celery's, or the events'), after its own retries.
    kombu_errors.OperationalError,
    amqp_errors.RecoverableConnectionError,
    ConnectionError,
    TimeoutError,
)
_TRANSIENT_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ETIMEDOUT, errno.EPIPE}
# FerretDB hands its PostgreSQL's errors on as an OperationFailure (InternalError), the SQLSTATE
# in the message: a pooled backend connection that a restart of that PostgreSQL terminated
# (57P01-57P03) or lost (class 08) fails the next command once, and the one after succeeds.
_FERRETDB_BACKEND_GONE = re.compile(r"\(SQLSTATE (?:57P0[123]|08[0-9A-Z]{3})\)")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    if isinstance(exc, mongo_errors.OperationFailure):
        return bool(_FERRETDB_BACKEND_GONE.search(str(exc)))
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


# Most specific first: Django's database errors wrap psycopg's, and kombu's wrap the transport's.
_SERVICES = (
    ((db.OperationalError, db.InterfaceError), "the console database (PostgreSQL)"),
    ((redis_errors.ConnectionError, redis_errors.TimeoutError), "Redis"),
    ((mongo_errors.ConnectionFailure,), "MongoDB"),
    ((neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired), "Neo4j"),
    ((psycopg.OperationalError,), "the target PostgreSQL"),
    ((amqp_errors.RecoverableConnectionError,), "RabbitMQ"),
)


def unreachable_service(exc: BaseException) -> str | None:
    """Which server an outage error came from, for a person to read; None when that cannot be
    told (a bare socket error) or the error is no outage at all. Looks through the causes, since
    kombu's OperationalError only says a broker failed, and its cause says which."""
    first, seen = exc, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for types, name in _SERVICES:
            if isinstance(exc, types):
                return name
        if isinstance(exc, mongo_errors.OperationFailure) and is_transient(exc):
            return "MongoDB"
        exc = exc.__cause__ or exc.__context__
    return "the message broker" if isinstance(first, kombu_errors.OperationalError) else None


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_too_many_matches(exc: BaseException) -> bool:
    """FerretDB (PostgreSQL backend) refusing a delete whose matches exceed one statement's
    65,535 parameters: it deletes by binding every matched _id, and deletes nothing then."""
    return isinstance(exc, mongo_errors.OperationFailure) and "limited to 65535 parameters" in str(exc)
