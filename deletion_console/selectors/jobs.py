"""Reads on deletion jobs."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import ACTIVE_STATUSES, DeletionJob, JobStatus, StepState
from deletion_console.permissions import can_approve_deletion


def get_job(job_id) -> DeletionJob:
    return DeletionJob.objects.select_related("requested_by").get(pk=job_id)


def kind_of_job(job_id) -> str | None:
    return DeletionJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()


def active_job_for(kind: str, target_id: str) -> DeletionJob | None:
    return DeletionJob.objects.filter(kind=kind, target_id=target_id, status__in=ACTIVE_STATUSES).first()


def active_jobs_by_target(kind: str, target_ids) -> dict[str, DeletionJob]:
    jobs = DeletionJob.objects.filter(kind=kind, target_id__in=list(target_ids), status__in=ACTIVE_STATUSES)
    return {job.target_id: job for job in jobs}


def last_success_for(kind: str, target_id: str) -> DeletionJob | None:
    """The latest job that deleted this target, if one did."""
    jobs = DeletionJob.objects.filter(kind=kind, target_id=target_id, status=JobStatus.SUCCEEDED)
    return jobs.order_by("-finished_at").first()


def job_list(*, status: str | None = None, kind: str | None = None) -> QuerySet[DeletionJob]:
    jobs = DeletionJob.objects.select_related("requested_by").order_by("-created_at")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def stale_before():
    return timezone.now() - timedelta(seconds=settings.DELETION_HEARTBEAT_STALE_SECONDS)


def due_jobs() -> QuerySet[DeletionJob]:
    """Scheduled jobs whose grace period is over, longest due first."""
    return DeletionJob.objects.filter(status=JobStatus.SCHEDULED, run_after__lte=timezone.now()).order_by("run_after")


def expired_approvals() -> QuerySet[DeletionJob]:
    """Requests still awaiting a second approval past their deadline."""
    return DeletionJob.objects.filter(status=JobStatus.AWAITING_APPROVAL, approval_expires_at__lte=timezone.now())


def stalled_jobs() -> QuerySet[DeletionJob]:
    """Running jobs nobody has reported on for too long: their worker is presumed gone.

    Pending jobs are not stalled: their first step may be waiting behind other jobs in the
    queue, and a chain that could not be queued at all fails the job at once (see services).
    Held jobs (scheduled, awaiting approval) have no worker to go quiet.
    """
    return DeletionJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before())


def silent_workers(job: DeletionJob, *, now) -> dict[str, str]:
    """The workers ("node#boot") holding an unfinished step of the job's current phase that have
    not written for DELETION_CLAIM_SILENT_SECONDS (a live chunk writes at every batch), by step."""
    try:
        steps = get_plan(job.kind).phase(job.current_phase).step_names
    except (UnknownKind, StopIteration):
        return {}
    silent = {}
    for name in steps:
        record = job.step(name)
        if record.is_over or not record.worker or not record.beat_at:
            continue
        if (now - parse_datetime(record.beat_at)).total_seconds() >= settings.DELETION_CLAIM_SILENT_SECONDS:
            silent[name] = record.worker
    return silent


def lost_reason(job: DeletionJob, *, now, alive: set[str]) -> str | None:
    """Why the running job's work is presumed lost, given the workers known to be `alive`, or
    None: a chunk's worker that no longer answers (it died, or restarted as a new process); or,
    for a chunk still waiting in the queue, no report at all for DELETION_HEARTBEAT_STALE_SECONDS
    (its message was lost: the broker restarted without it, or it could not be sent)."""
    if job.status != JobStatus.RUNNING:
        return None
    for step, worker in silent_workers(job, now=now).items():
        if worker not in alive:
            return f"its worker {worker.split('#')[0]} stopped answering while running {step}"
    if job.heartbeat_at and job.heartbeat_at < now - timedelta(seconds=settings.DELETION_HEARTBEAT_STALE_SECONDS):
        return "heartbeat stale: no worker has reported on this job for too long"
    return None


def running_jobs() -> QuerySet[DeletionJob]:
    return DeletionJob.objects.filter(status=JobStatus.RUNNING)


def jobs_needing_attention() -> QuerySet[DeletionJob]:
    """Failed jobs, and active ones whose heartbeat is stale, newest first."""
    return (DeletionJob.objects.filter(status=JobStatus.FAILED) | stalled_jobs()).order_by("-created_at")


def step_results(job: DeletionJob) -> list[dict]:
    """Per deletion step of the job's plan (a tenant's services, a campaign's stores): its state,
    counts, error and duration, as the seeds' orchestrators report them."""
    try:
        plan = get_plan(job.kind)
    except UnknownKind:
        return []
    results = []
    for step in plan.deletion_steps:
        record = job.step(step.name)
        results.append(
            {
                "name": step.name,
                "label": step.label,
                "state": record.state,
                "deleted": sum(job.counts.get(step.name, {}).values()),
                "expected": sum(job.preview.get(step.name, {}).values()),
                "counts": job.counts.get(step.name, {}),
                "error": record.last_error if record.state != StepState.DONE else "",
                "seconds": record.seconds,
            }
        )
    return results


def phase_states(job: DeletionJob) -> dict[str, str]:
    """The state of each phase of several steps: running while any runs, else the worst outcome."""
    try:
        plan = get_plan(job.kind)
    except UnknownKind:
        return {}
    states = {}
    for phase in plan.phases:
        if len(phase.steps) > 1:
            own = [job.step_state(name) for name in phase.step_names]
            states[phase.name] = next(
                (s for s in ("running", "retrying", "failed", "cancelled", "pending") if s in own), "done"
            )
            if states[phase.name] == "pending" and "done" in own:
                states[phase.name] = "running"
    return states


def job_snapshot(job: DeletionJob) -> dict:
    """Everything the progress page shows, as JSON-ready data (socket, polling and API alike)."""
    services = step_results(job)
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "target_id": job.target_id,
        "target_label": job.target_label,
        "status": job.status,
        "current_step": job.current_phase,
        "progress": round(job.progress, 1),
        "steps": job.steps,
        "counts": job.counts,
        "preview": job.preview,
        "residue": job.residue,
        "error": job.error,
        "warnings": job.warnings,
        "cancel_requested": job.cancel_requested,
        "run_after": _iso(job.run_after),
        "approval_required": job.approval_required,
        "approval_expires_at": _iso(job.approval_expires_at),
        "approved_at": _iso(job.approved_at),
        "seq": job.seq,
        # When the change this snapshot shows was recorded (just before its commit).
        "updated_at": _iso(job.heartbeat_at),
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "total_deleted": job.total_deleted,
        "total_expected": job.total_expected,
        "phases": phase_states(job),
        "services": services,
        "services_total": len(services),
        "services_completed": sum(s["state"] == "done" for s in services),
        "services_failed": sum(s["state"] == "failed" for s in services),
    }


def _iso(value):
    return value.isoformat() if value else None


def user_can_view_job(user, job: DeletionJob) -> bool:
    return user_can_view_request(user, job.requested_by_id)


def user_can_view_request(user, requested_by_id) -> bool:
    """Staff and holders of the deletion or approval permission see every job and batch; others
    only those they requested."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.has_perm("deletion_console.request_deletion") or can_approve_deletion(user):
        return True
    return requested_by_id == user.pk
