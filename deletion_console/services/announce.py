"""Tell other services a deletion has ended, on a topic exchange of the broker."""

import logging

from django.conf import settings
from django.utils import timezone
from kombu import Connection, Exchange

from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.jobs import step_results, unannounced_jobs

log = logging.getLogger(__name__)

ROUTING_KEYS = {
    JobStatus.SUCCEEDED: "deletion.completed",
    JobStatus.FAILED: "deletion.failed",
    JobStatus.CANCELLED: "deletion.cancelled",
}


def exchange() -> Exchange:
    return Exchange(settings.DELETION_EVENTS_EXCHANGE, type="topic", durable=True)


def payload(job: DeletionJob) -> dict:
    services = step_results(job)
    return {
        "event": ROUTING_KEYS[job.status],
        "job_id": str(job.pk),
        "kind": job.kind,
        "target_id": job.target_id,
        "target_label": job.target_label,
        "status": job.status,
        "counts": job.counts,
        "error": job.error,
        "requested_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        # Per step of the plan (a tenant's services), as the seed's orchestrator reports them.
        "services": services,
        "services_completed": sum(s["state"] == "done" for s in services),
        "services_failed": sum(s["state"] == "failed" for s in services),
        "total_items_deleted": job.total_deleted,
    }


def deletion_finished(job: DeletionJob) -> bool:
    """Publish the end of a job, once. A failure is logged and left to `announce_pending`:
    the job's own record is the truth, and a broker blip must not fail a finished job."""
    try:
        with Connection(settings.DELETION_EVENTS_URL, connect_timeout=settings.STORE_TIMEOUT_SECONDS) as conn:
            conn.Producer(serializer="json").publish(
                payload(job),
                exchange=exchange(),
                routing_key=ROUTING_KEYS[job.status],
                declare=[exchange()],
                retry=True,
                retry_policy={"max_retries": 3, "interval_start": 0.5, "interval_step": 1},
            )
    except Exception:
        log.exception("Could not announce the end of deletion job %s; it will be tried again", job.pk)
        return False
    DeletionJob.objects.filter(pk=job.pk).update(announced_at=timezone.now())
    return True


def announce_pending() -> int:
    """Publish what a crash or an outage left unannounced; returns how many went out."""
    return sum(deletion_finished(job) for job in unannounced_jobs())
