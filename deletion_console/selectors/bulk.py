"""Reads on bulk requests: one and the state of its jobs, as its page shows it."""

from django.db.models import QuerySet

from deletion_console.models import TERMINAL_STATUSES, BulkRequest, JobStatus
from deletion_console.selectors.jobs import user_can_view_request


def get_bulk_request(bulk_request_id) -> BulkRequest:
    return BulkRequest.objects.select_related("requested_by").get(pk=bulk_request_id)


def kind_of_bulk_request(bulk_request_id) -> str | None:
    return BulkRequest.objects.filter(pk=bulk_request_id).values_list("kind", flat=True).first()


def bulk_requests_with_queued_jobs() -> QuerySet[BulkRequest]:
    return BulkRequest.objects.filter(jobs__status=JobStatus.QUEUED).distinct()


def bulk_snapshot(bulk: BulkRequest) -> dict:
    """The bulk request's jobs, one row each, and one progress figure over all of them.

    The figure weighs each job by what its preview counted (an empty target weighs one), and
    reads 100 only once every job has succeeded: a job holds its own below 100 until verified.
    """
    jobs = list(bulk.jobs.order_by("created_at", "pk"))
    rows = [_row(job) for job in jobs]
    weights = [max(row["total_expected"], 1) for row in rows]
    done = sum(weight * row["progress"] for weight, row in zip(weights, rows, strict=True))
    progress = done / sum(weights) if weights else 0.0
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    finished = all(row["status"] in TERMINAL_STATUSES for row in rows)
    if rows and by_status.get(JobStatus.SUCCEEDED) == len(rows):
        progress = 100.0
    return {
        "id": str(bulk.pk),
        "kind": bulk.kind,
        "requested_by": bulk.requested_by.get_username() if bulk.requested_by else "",
        "created_at": bulk.created_at.isoformat(),
        "max_running": bulk.max_running,
        "targets": len(rows),
        "progress": round(progress, 1),
        "finished": finished,
        "by_status": by_status,
        "total_deleted": sum(row["total_deleted"] for row in rows),
        "total_expected": sum(row["total_expected"] for row in rows),
        "jobs": rows,
    }


def _row(job) -> dict:
    return {
        "id": str(job.pk),
        "target_id": job.target_id,
        "target_label": job.target_label,
        "status": job.status,
        "status_label": job.get_status_display(),
        "current_step": job.current_phase,
        "progress": 100.0 if job.status == JobStatus.SUCCEEDED else round(min(job.progress, 99.0), 1),
        "total_deleted": job.total_deleted,
        "total_expected": job.total_expected,
        "error": job.error,
        "resumable": job.is_resumable,
        "seq": job.seq,
    }


def user_can_view_bulk_request(user, bulk: BulkRequest) -> bool:
    return user_can_view_request(user, bulk.requested_by_id)
