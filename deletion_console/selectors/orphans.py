"""Reads for the Orphans page: the latest sweep, what it found per kind, and each kind's clean-up job."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from deletion_console.engine import orphans
from deletion_console.engine.plan import Plan, get_plan
from deletion_console.models import DeletionJob, OrphanSweep
from deletion_console.selectors.jobs import active_job_for

# A sweep not finished after this long is presumed lost with its worker: no longer "running".
SWEEP_PRESUMED_LOST = timedelta(hours=6)


@dataclass
class KindOrphans:
    owner: Plan
    plan: Plan  # the clean-up kind's
    found: dict  # the sweep's findings for the kind: owners, refs, capped, counts, total
    active_job: DeletionJob | None
    last_job: DeletionJob | None

    @property
    def total(self) -> int:
        return self.found.get("total", 0)


def latest_sweep() -> OrphanSweep | None:
    """The newest finished sweep (its findings are what the page shows)."""
    return OrphanSweep.objects.filter(finished_at__isnull=False).select_related("requested_by").first()


def running_sweep() -> OrphanSweep | None:
    since = timezone.now() - SWEEP_PRESUMED_LOST
    return OrphanSweep.objects.filter(finished_at__isnull=True, created_at__gte=since).first()


def kinds_found(sweep: OrphanSweep | None) -> list[KindOrphans]:
    """Per kind whose orphans can be found, in the settings' order: what the sweep found of it
    (nothing, if the sweep predates the kind) and its clean-up job, running or last."""
    rows = []
    for owner_kind in orphans.orphan_kinds():
        kind = orphans.orphan_kind(owner_kind)
        found = (sweep.findings if sweep else {}).get(owner_kind, {})
        rows.append(
            KindOrphans(
                owner=get_plan(owner_kind),
                plan=get_plan(kind),
                found={"owners": 0, "refs": [], "capped": False, "counts": {}, "total": 0, **found},
                active_job=active_job_for(kind, owner_kind),
                last_job=DeletionJob.objects.filter(kind=kind, target_id=owner_kind).order_by("-created_at").first(),
            )
        )
    return rows
