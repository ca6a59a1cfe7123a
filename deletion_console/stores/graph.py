"""Neo4j: a per-process driver and batched primitives."""

import os
from collections.abc import Iterator

from django.conf import settings
from neo4j import READ_ACCESS, Driver, GraphDatabase

from deletion_console.stores.inspection import IndexNeed, IndexState, Reference
from deletion_console.stores.registry import Store

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


def name(identifier: str) -> str:
    """A label, relationship type, property or index as Cypher writes it, whatever characters it
    holds (backticks, a doubled one inside): the one way any of them goes into a query."""
    return "`" + identifier.replace("`", "``") + "`"


# -- the store's shape, as plan checks and ensure_indexes ask it ---------------------------------

# Index creation returns before the index is populated; queries meanwhile fall back to scans.
INDEX_WAIT_SECONDS = 60


def _labels() -> list[str]:
    return read_value("CALL db.labels() YIELD label RETURN collect(label)") or []


class Inspector:
    """No schema to ask: a label or property a plan names that no node has is nothing to delete
    yet. Indexes: a range index per (label, property)."""

    has_schema = False

    def missing(self, needs, *, named_by: str) -> list[str]:
        labels = set(_labels())
        keys = set(read_value("CALL db.propertyKeys() YIELD propertyKey RETURN collect(propertyKey)") or [])
        problems = []
        for label, properties in needs.items():
            if label not in labels:
                problems.append(f"no node carries the label {label} (nothing to delete there yet)")
            problems.extend(f"no node has the property {key}" for key in sorted(properties - keys))
        return problems

    def references(self, containers) -> list[Reference]:
        return []

    def holding(self, field: str, *, coverage, skip=frozenset()) -> list[str]:
        found = []
        for label in sorted(set(_labels()) - set(skip)):
            # Stops at the first node that has it; a label without it is scanned once.
            query = f"MATCH (n:{name(label)}) WHERE n.{name(field)} IS NOT NULL WITH n LIMIT 1 RETURN count(n)"
            if read_value(query):
                found.append(label)
        return found

    def count_holding(self, label: str, field: str, ref: str) -> int:
        return read_value(f"MATCH (n:{name(label)}) WHERE n.{name(field)} = $ref RETURN count(n)", ref=ref)

    def ensure_indexes(self, needs: list[IndexNeed], *, apply: bool) -> list[IndexState]:
        existing = index_names()
        states = []
        for need in needs:
            index, statement = _index_statement(need)
            if index not in existing:
                write_value(statement)
            states.append(
                IndexState("Neo4j", f":{need.container}({need.field})", "present" if index in existing else "created")
            )
        if any(state.state == "created" for state in states):
            write_value(f"CALL db.awaitIndexes({INDEX_WAIT_SECONDS})")
        return states


def _index_statement(need: IndexNeed) -> tuple[str, str]:
    index = f"{need.container.lower()}_{need.field.lower()}"
    return index, f"CREATE INDEX {name(index)} IF NOT EXISTS FOR (n:{name(need.container)}) ON (n.{name(need.field)})"


def _ping():
    driver().verify_connectivity()


STORE = Store(name="neo4j", label="Neo4j", ping=_ping, inspector=Inspector(), default_batch_size=2_000)
