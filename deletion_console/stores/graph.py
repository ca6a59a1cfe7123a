"""Neo4j: a per-process driver and batched primitives."""

import os
from collections.abc import Iterator

from django.conf import settings
from neo4j import READ_ACCESS, Driver, GraphDatabase

_driver = None
_driver_pid = None


def driver() -> Driver:
    # Drivers hold sockets and threads, which a forked Celery child must not share.
    global _driver, _driver_pid
    if _driver is None or _driver_pid != os.getpid():
        _driver = GraphDatabase.driver(
            settings.NEO4J_URL,
            auth=(settings.NEO4J_USER, settings.NEO4J_PASSWORD),
            connection_timeout=settings.STORE_TIMEOUT_SECONDS,
            connection_acquisition_timeout=settings.STORE_TIMEOUT_SECONDS * 2,
            max_transaction_retry_time=0,  # retries are the engine's, so each one is audited
        )
        _driver_pid = os.getpid()
    return _driver


def read_value(query: str, **params):
    records, _, _ = driver().execute_query(query, params, routing_="r")
    return records[0][0] if records else None


def stream(query: str, **params) -> Iterator[list]:
    """The records of a read, one at a time: the driver fetches them in batches, so a result of
    any size is never held whole (execute_query would)."""
    with driver().session(default_access_mode=READ_ACCESS) as session:
        for record in session.run(query, params):
            yield record.values()


def write_value(query: str, **params):
    """Run one write in its own transaction and return the first value it returns."""
    records, _, _ = driver().execute_query(query, params)
    return records[0][0] if records else None


def index_names() -> set[str]:
    return set(read_value("SHOW INDEXES YIELD name RETURN collect(name)") or [])
