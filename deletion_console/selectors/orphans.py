"""Reads for orphaned data: what the console's records say of owners (the jobs deleting them,
the latest sweep's findings), the clean-up plans bound to them, and the Orphans page: the
latest sweep, what it found per kind, and each kind's clean-up job."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deletion_console.engine import orphans
from deletion_console.engine.plan import Plan, get_plan
from deletion_console.models import ACTIVE_STATUSES, DeletionJob, OrphanSweep
from deletion_console.selectors.jobs import active_job_for

# A sweep not finished after this long is presumed lost with its worker: no longer "running".
SWEEP_PRESUMED_LOST = timedelta(hours=6)


class ConsoleRecords:
    """engine.orphans.OwnerRecords, from the console's database."""

    def being_deleted(self, owner_kind: str, refs: Iterable[str] | None = None) -> set[str]:
        jobs = DeletionJob.objects.filter(kind=owner_kind, status__in=ACTIVE_STATUSES)
        if refs is not None:
            jobs = jobs.filter(target_id__in=list(refs))
        return set(jobs.values_list("target_id", flat=True))

    def swept(self, owner_kind: str) -> list[str] | None:
        # A sweep records its findings once it has read everything (then requests its automatic
        # clean-ups, then finishes): findings present and no error mean complete.
        sweeps = OrphanSweep.objects.filter(error="").exclude(findings={}).order_by("-created_at")
        for findings in sweeps.values_list("findings", flat=True)[:1]:
            if owner_kind in findings:
                # Refused as implausible (a home store mis-set, say): nothing of it is cleaned.
                if findings[owner_kind].get("refusal"):
                    return []
                return list(findings[owner_kind]["refs"])
        return None


RECORDS = ConsoleRecords()


def orphan_plan(owner: Plan) -> Plan | None:
    """The plan that cleans `owner`'s orphaned data, or None if its orphans cannot be found."""
    return orphans.orphan_plan(owner, records=RECORDS)


def cleanup_plan(kind: str) -> Plan | None:
    """The plan of `<kind>-orphans` for a declared kind (one of DELETION_DERIVED_PLANS)."""
    owner_kind = orphans.owner_kind_of(kind)
    if owner_kind is None or owner_kind not in settings.DELETION_PLANS:
        return None
    return orphan_plan(get_plan(owner_kind))


def find_orphans(owner: Plan, *, limit: int) -> orphans.Findings:
    return orphans.find_orphans(owner, records=RECORDS, limit=limit)


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
