"""Scopes: what a plan item is told about its target.

A live scope reads ids straight from the stores (for the preview, nothing has changed yet).
A persisted scope reads the ids the collect step persisted, so steps after a delete, a crash or
a resume still know exactly what belonged to the target; where they are persisted is its
caller's (selectors.scopes.JobScope reads a job's).
"""

from collections.abc import Callable, Iterator
from typing import Protocol

from deletion_console.engine.plan import Plan, TargetFound
from deletion_console.stores.registry import get_store


class LiveScope:
    def __init__(self, plan: Plan, target_id: str):
        self.plan = plan
        self.found: TargetFound | None = plan.target.find(target_id)
        self.keys = self.found.keys if self.found else [target_id]
        self.ref = str(self.keys[0])
        self._collectors = {c.entity: c for c in plan.collect}

    def ids(self, entity: str, batch_size: int) -> Iterator[list]:
        # A legacy parent may also list a child that points back at it: count it once.
        seen = set()
        for batch in self._collectors[entity].ids(self.found, self.ref, batch_size):
            fresh = [i for i in batch if i not in seen]
            seen.update(fresh)
            if fresh:
                yield fresh


class CollectedIds(Protocol):
    def after(self, entity: str, position: int, limit: int) -> list[tuple[int, str, bool]]:
        """Up to `limit` (position, value, typed) of the ids collected for `entity` past
        `position` (0 before the first), in position order; values as their store encoded them."""


class PersistedScope:
    """A target as the validate step recorded it (`facts`: its ref and encoded keys) and the ids
    the collect step persisted (`collected`); `intend` records what a batch is about to send
    (see plan.Scope.intend)."""

    def __init__(
        self,
        plan: Plan,
        *,
        target_id: str,
        facts: dict,
        collected: CollectedIds,
        intend: Callable[[dict], None] | None = None,
    ):
        self.ref = facts.get("ref", target_id)
        decode = get_store(plan.target.store).decode_key
        self.keys = [decode(value, typed) for value, typed in facts.get("keys", [[target_id, False]])]
        self._decoders = {c.entity: get_store(c.store).decode_key for c in plan.collect}
        self._collected = collected
        self._intend = intend

    def intend(self, sent: dict) -> None:
        if self._intend is not None:
            self._intend(sent)

    def ids(self, entity: str, batch_size: int) -> Iterator[list]:
        # Keyset pagination: one bounded batch in memory, however many ids were collected.
        last = 0
        while True:
            ids, last = self.ids_after(entity, last, batch_size)
            if not ids:
                return
            yield ids

    def ids_after(self, entity: str, after: int, limit: int) -> tuple[list, int]:
        """The next collected ids after position `after` (0 at first), and the position to go on from."""
        batch = self._collected.after(entity, after, limit)
        if not batch:
            return [], after
        decode = self._decoders[entity]
        return [decode(value, typed) for _, value, typed in batch], batch[-1][0]
