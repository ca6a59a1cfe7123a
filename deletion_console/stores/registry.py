"""The stores the console deletes from: how each is named, reached, batched and keyed.

Plan items name their store by its key here; nothing else in the engine, the pages or the health
check knows which stores exist. Another store means one more entry (and its plan items).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from deletion_console.stores import graph, mongo, sql


def _plain_key(value) -> tuple[str, bool]:
    return str(value), False


def _decode_plain(value: str, typed: bool):
    return value


@dataclass(frozen=True)
class Store:
    name: str
    label: str
    ping: Callable[[], object]
    # Keys as persisted between steps (collected ids, the target's own key): text plus a flag
    # for a typed key (a MongoDB ObjectId and its hex string are different _ids).
    encode_key: Callable[[object], tuple[str, bool]] = _plain_key
    decode_key: Callable[[str, bool], object] = _decode_plain

    @property
    def batch_size(self) -> int:
        # Tunable per deployment (settings.DELETION_BATCH_SIZE, from the environment).
        return settings.DELETION_BATCH_SIZE[self.name]


def _ping_mongo():
    mongo.client().admin.command("ping")


def _ping_graph():
    graph.driver().verify_connectivity()


def _ping_sql():
    sql.scalar("SELECT 1")


STORES = {
    store.name: store
    for store in (
        Store("mongodb", "MongoDB", _ping_mongo, mongo.encode_key, mongo.decode_key),
        Store("neo4j", "Neo4j", _ping_graph),
        Store("postgres", "PostgreSQL", _ping_sql),
    )
}


def get_store(name: str) -> Store:
    return STORES[name]


def label(name: str) -> str:
    store = STORES.get(name)
    return store.label if store else name
