"""The stores the console deletes from: how each is named, reached, batched, keyed and inspected.

Each store module declares its store (a `Store`); the setting DELETION_STORES lists those
declarations by dotted path, the three real stores by default. Plan items name their store by
its key here; nothing else in the engine, the checks, the pages or the health check knows which
stores exist. Another store means a store module (its declaration and its plan items) and one
more entry in the setting.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from deletion_console.stores.inspection import Inspector

DEFAULT_STORES = (
    "deletion_console.stores.mongo.STORE",
    "deletion_console.stores.graph.STORE",
    "deletion_console.stores.sql.STORE",
)


def _plain_key(value) -> tuple[str, bool]:
    return str(value), False


def _decode_plain(value: str, typed: bool):
    return value


@dataclass(frozen=True)
class Store:
    name: str
    label: str
    ping: Callable[[], object]
    inspector: Inspector
    # Keys as persisted between steps (collected ids, the target's own key): text plus a flag
    # for a typed key (a MongoDB ObjectId and its hex string are different _ids).
    encode_key: Callable[[object], tuple[str, bool]] = _plain_key
    decode_key: Callable[[str, bool], object] = _decode_plain
    default_batch_size: int = 1_000

    @property
    def batch_size(self) -> int:
        # Tunable per deployment (settings.DELETION_BATCH_SIZE, from the environment).
        return settings.DELETION_BATCH_SIZE.get(self.name, self.default_batch_size)


@cache
def _load(paths: tuple[str, ...]) -> dict[str, Store]:
    declared = [import_string(path) for path in paths]
    stores = {store.name: store for store in declared}
    if len(stores) != len(declared):
        raise ValueError(f"DELETION_STORES declares a store name twice: {paths}")
    return stores


def stores() -> dict[str, Store]:
    """The declared stores by name, in the settings' order (the order checks and indexes go in)."""
    return _load(tuple(getattr(settings, "DELETION_STORES", DEFAULT_STORES)))


class _Declared(Mapping):
    """The declared stores as a mapping, read from the settings at each use."""

    def __getitem__(self, name: str) -> Store:
        return stores()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(stores())

    def __len__(self) -> int:
        return len(stores())


STORES: Mapping[str, Store] = _Declared()


def get_store(name: str) -> Store:
    return stores()[name]


def label(name: str) -> str:
    store = stores().get(name)
    return store.label if store else name
