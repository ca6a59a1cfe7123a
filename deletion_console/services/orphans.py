"""Writes for the orphan sweep: recording what a sweep found, and requesting its clean-up.

A sweep only reads the stores (selectors.orphans.find_orphans, per kind whose orphans can be found)
and keeps what it found on an OrphanSweep row, which the Orphans page shows. Cleaning is an
ordinary deletion job of the kind `<kind>-orphans`, requested through services.jobs like every
other: by a person on the Orphans page (preview, typed confirmation), or by a sweep itself, only
when ORPHAN_CLEANUP_AUTOMATIC says so.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from deletion_console import dispatch
from deletion_console.engine import orphans
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, OrphanSweep
from deletion_console.selectors.orphans import find_orphans, running_sweep
from deletion_console.services import jobs
from deletion_console.services.errors import ActiveJobExists, DeletionRefused, SweepRunning
from deletion_console.stores import errors

log = logging.getLogger(__name__)

AUTOMATIC = "the orphan sweep (ORPHAN_CLEANUP_AUTOMATIC)"


class SweepNotQueued(Exception):
    pass


def start_sweep(*, user) -> OrphanSweep:
    """A person's "Sweep now": the row now, the sweep on a worker (it reads every container).
    Refused (SweepRunning) while another is unfinished: the advisory lock makes two clicks at
    the same moment one sweep."""
    with transaction.atomic():
        _lock_sweeps()
        if (running := running_sweep()) is not None:
            raise SweepRunning(running)
        sweep = OrphanSweep.objects.create(trigger=OrphanSweep.Trigger.PERSON, requested_by=user)
    try:
        dispatch.queue_sweep(sweep.pk)
    except Exception as exc:
        _finish(sweep, error=f"could not queue the sweep: {errors.describe(exc)}")
        raise SweepNotQueued(f"The sweep could not be started: {errors.describe(exc)}") from exc
    return sweep


def run_sweep(*, sweep_id: int | None = None) -> OrphanSweep:
    """Look for orphaned data of every kind: the sweep a person asked for (`sweep_id`), or a
    scheduled one. Runs again in full if its message is delivered twice (it only reads)."""
    if sweep_id is None:
        sweep = OrphanSweep.objects.create(trigger=OrphanSweep.Trigger.SCHEDULE)
    else:
        sweep = OrphanSweep.objects.get(pk=sweep_id)
    sweep.started_at = timezone.now()
    sweep.save(update_fields=["started_at"])
    started = time.monotonic()
    findings = {}
    try:
        for kind in orphans.orphan_kinds():
            found = find_orphans(get_plan(kind), limit=settings.ORPHAN_SWEEP_MAX_OWNERS)
            findings[kind] = {
                "owners": len(found.owners),
                "refs": found.owners,  # what a clean-up takes (selectors.orphans.ConsoleRecords.swept)
                "capped": found.capped,
                "counts": found.counts,
                "total": found.total,
                "at_home": found.at_home,
                "gone": found.gone,
                "refusal": found.refusal,
            }
    except Exception as exc:
        _finish(sweep, seconds=time.monotonic() - started, findings=findings, error=errors.describe(exc))
        if not errors.is_transient(exc):
            raise  # a bug, not an outage: let the worker log it with its traceback
        log.warning("orphan sweep %s failed: %s", sweep.pk, sweep.error)
        return sweep
    seconds = time.monotonic() - started
    # Recorded first: from now on a clean-up takes these owners (selectors.orphans.ConsoleRecords.swept),
    # the ones requested just below included; finished only then, so that it names its jobs.
    sweep.findings = findings
    sweep.save(update_fields=["findings"])
    refusals = {kind: found["refusal"] for kind, found in findings.items() if found["refusal"]}
    if refusals:
        # One implausible kind says the configuration is suspect: no automatic clean-up of any kind.
        log.warning("orphan sweep %s refused its findings: %s", sweep.pk, refusals, extra={"sweep_id": sweep.pk})
    automatic = settings.ORPHAN_CLEANUP_AUTOMATIC and not refusals
    requested = _clean_automatically(findings) if automatic else []
    _finish(sweep, seconds=seconds, findings=findings, cleanup_jobs={kind: str(job.pk) for kind, job in requested})
    log.info(
        "orphan sweep found %s orphaned entities",
        sweep.total,
        extra={"sweep_id": sweep.pk, "seconds": sweep.seconds, "orphans": {k: f["total"] for k, f in findings.items()}},
    )
    return sweep


def _lock_sweeps() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('deletion-console-orphan-sweep'))")


def _finish(
    sweep: OrphanSweep, *, seconds: float | None = None, findings=None, error: str = "", cleanup_jobs=None
) -> None:
    sweep.finished_at = timezone.now()
    sweep.seconds = round(seconds, 3) if seconds is not None else None
    sweep.findings = findings or {}
    sweep.error = error
    sweep.cleanup_jobs = cleanup_jobs or {}
    sweep.save(update_fields=["finished_at", "seconds", "findings", "error", "cleanup_jobs"])


def _clean_automatically(findings: dict) -> list[tuple[str, DeletionJob]]:
    """A clean-up job per kind with orphans, requested as the sweep (the setting is the consent
    a person gives on the confirm page); one already running for a kind is left to finish."""
    requested = []
    for kind, found in findings.items():
        if not found["total"]:
            continue
        try:
            job = request_cleanup(owner_kind=kind, by=AUTOMATIC)
        except ActiveJobExists as exc:
            job = exc.job
        except DeletionRefused as exc:
            log.warning("orphan clean-up of %s not requested: %s", kind, exc)
            continue
        except Exception as exc:
            if not errors.is_transient(exc):
                raise
            # A store gone away between the sweep and its preview: the next sweep asks again.
            log.warning("orphan clean-up of %s not requested: %s", kind, errors.describe(exc))
            continue
        requested.append((kind, job))
    return requested


def request_cleanup(*, owner_kind: str, by: str) -> DeletionJob:
    """Request the clean-up of a kind's orphaned data without a person (the sweep's own request):
    the same checks as any request, the target's label confirming for it."""
    kind = orphans.orphan_kind(owner_kind)
    label = get_plan(kind).target.label
    return jobs.request_deletion(kind=kind, target_id=owner_kind, confirmation=jobs.Confirmation(label), by=by)
