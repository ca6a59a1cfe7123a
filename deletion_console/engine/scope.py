"""Scopes: what a plan item is told about its target.

A live scope reads ids straight from the stores (for the preview, nothing has changed yet).
A job scope reads the ids the collect step persisted, so steps after a delete, a crash or a
resume still know exactly what belonged to the target.
"""

from collections.abc import Iterator

from deletion_console.engine.plan import Plan, TargetFound
from deletion_console.models import CollectedId, DeletionJob
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


class JobScope:
    def __init__(self, job: DeletionJob, plan: Plan):
        facts = job.target_facts
        self.job_id = job.pk
        self.ref = facts.get("ref", job.target_id)
        decode = get_store(plan.target.store).decode_key
        self.keys = [decode(value, typed) for value, typed in facts.get("keys", [[job.target_id, False]])]
        self._decoders = {c.entity: get_store(c.store).decode_key for c in plan.collect}

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
        rows = CollectedId.objects.filter(job_id=self.job_id, entity=entity, pk__gt=after).order_by("pk")
        batch = list(rows.values_list("pk", "value", "is_object_id")[:limit])
        if not batch:
            return [], after
        decode = self._decoders[entity]
        return [decode(value, typed) for _, value, typed in batch], batch[-1][0]
