"""Which store errors are worth retrying: the store was unreachable or busy, not wrong."""

import errno

import psycopg
from django import db
from neo4j import exceptions as neo4j_errors
from pymongo import errors as mongo_errors

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
    ConnectionError,
    TimeoutError,
)
_TRANSIENT_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ETIMEDOUT, errno.EPIPE}


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_too_many_matches(exc: BaseException) -> bool:
    """FerretDB (PostgreSQL backend) refusing a delete whose matches exceed one statement's
    65,535 parameters: it deletes by binding every matched _id, and deletes nothing then."""
    return isinstance(exc, mongo_errors.OperationFailure) and "limited to 65535 parameters" in str(exc)
