"""A job's scope: its target as its validate step recorded it, and the ids its collect step
persisted in the console's database."""

from deletion_console.engine.plan import Plan
from deletion_console.engine.scope import PersistedScope
from deletion_console.models import CollectedId, DeletionJob


class CollectedRows:
    """The CollectedId rows of one job, by row id (the position a delete step's cursor stores)."""

    def __init__(self, job_id):
        self.job_id = job_id

    def after(self, entity: str, position: int, limit: int) -> list[tuple[int, str, bool]]:
        rows = CollectedId.objects.filter(job_id=self.job_id, entity=entity, pk__gt=position).order_by("pk")
        return list(rows.values_list("pk", "value", "is_object_id")[:limit])


class JobScope(PersistedScope):
    def __init__(self, job: DeletionJob, plan: Plan, *, intend=None):
        super().__init__(
            plan, target_id=job.target_id, facts=job.target_facts, collected=CollectedRows(job.pk), intend=intend
        )
