"""Reads on deletion jobs."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from deletion_console.models import ACTIVE_STATUSES, TERMINAL_STATUSES, DeletionJob, JobStatus


def get_job(job_id) -> DeletionJob:
    return DeletionJob.objects.select_related("requested_by").get(pk=job_id)


def active_job_for(kind: str, target_id: str) -> DeletionJob | None:
    return DeletionJob.objects.filter(kind=kind, target_id=target_id, status__in=ACTIVE_STATUSES).first()


def active_jobs_by_target(kind: str, target_ids) -> dict[str, DeletionJob]:
    jobs = DeletionJob.objects.filter(kind=kind, target_id__in=list(target_ids), status__in=ACTIVE_STATUSES)
    return {job.target_id: job for job in jobs}


def was_deleted_before(kind: str, target_id: str) -> bool:
    return DeletionJob.objects.filter(kind=kind, target_id=target_id, status=JobStatus.SUCCEEDED).exists()


def job_list(*, status: str | None = None, kind: str | None = None) -> QuerySet[DeletionJob]:
    jobs = DeletionJob.objects.select_related("requested_by").order_by("-created_at")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def stale_before():
    return timezone.now() - timedelta(seconds=settings.DELETION_HEARTBEAT_STALE_SECONDS)


def stalled_jobs() -> QuerySet[DeletionJob]:
    """Running jobs nobody has reported on for too long: their worker is presumed gone.

    Pending jobs are not stalled: their first step may be waiting behind other jobs in the
    queue, and a chain that could not be queued at all fails the job at once (see services).
    """
    return DeletionJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before())


def unannounced_jobs() -> QuerySet[DeletionJob]:
    """Ended jobs whose announcement has not gone out, once the normal path had its chance."""
    grace = timezone.now() - timedelta(seconds=settings.DELETION_WATCHDOG_INTERVAL_SECONDS)
    return DeletionJob.objects.filter(status__in=TERMINAL_STATUSES, announced_at__isnull=True, finished_at__lt=grace)


def jobs_needing_attention() -> QuerySet[DeletionJob]:
    """Failed jobs, and active ones whose heartbeat is stale, newest first."""
    return (DeletionJob.objects.filter(status=JobStatus.FAILED) | stalled_jobs()).order_by("-created_at")


def job_snapshot(job: DeletionJob) -> dict:
    """Everything the progress page shows, as JSON-ready data (socket, polling and API alike)."""
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "target_id": job.target_id,
        "target_label": job.target_label,
        "status": job.status,
        "current_step": job.current_step,
        "progress": round(job.progress, 1),
        "steps": job.steps,
        "counts": job.counts,
        "preview": job.preview,
        "residue": job.residue,
        "error": job.error,
        "warnings": job.warnings,
        "cancel_requested": job.cancel_requested,
        "seq": job.seq,
        # When the change this snapshot shows was recorded (just before its commit).
        "updated_at": _iso(job.heartbeat_at),
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "total_deleted": job.total_deleted,
        "total_expected": job.total_expected,
    }


def _iso(value):
    return value.isoformat() if value else None


def user_can_view_job(user, job: DeletionJob) -> bool:
    """Staff and holders of the deletion permission see every job; others only their own."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.has_perm("deletion_console.request_deletion"):
        return True
    return job.requested_by_id == user.pk
