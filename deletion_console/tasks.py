"""Celery tasks: thin. Each takes nothing but ids and hands them to a service."""

import logging
import time
import uuid

import django.db
from celery import shared_task
from celery.signals import task_postrun, task_prerun
from celery.worker.control import inspect_command

from deletion_console import dispatch, logcontext
from deletion_console.selectors.bulk import bulk_requests_with_queued_jobs
from deletion_console.selectors.jobs import due_jobs, expired_approvals
from deletion_console.services import (
    announce,
    approvals,
    background_preview,
    execution,
    jobs,
    lifecycle,
    orphans,
    schedule,
)

log = logging.getLogger(__name__)

# One per worker process tree: set when the worker's main process imports this module, and
# inherited by the pool processes it forks. A restarted worker has a new one.
BOOT = uuid.uuid4().hex[:12]


@inspect_command(name=dispatch.WORKER_ID_COMMAND)
def worker_id(state):
    return {"worker": f"{state.consumer.hostname}#{BOOT}"}


# A chunk that could not reach the console's database (to read the job, or to record what it
# did) changed nothing that counts: it is sent again until the database is back, and then goes
# on from the job's recorded cursor. Store errors never get here: the engine retries those.
@shared_task(
    name="deletion_console.tasks.run_chunk",
    bind=True,
    autoretry_for=(django.db.OperationalError, django.db.InterfaceError),
    max_retries=None,
    retry_backoff=1,
    retry_backoff_max=5,
    retry_jitter=False,
)
def run_chunk(self, job_id: str, step: str, run: int, chunk: int):
    # The job's fields are bound on every line from here on (see _bind_chunk below); the
    # engine adds kind, target_id and attempt once it has read the job (logcontext.bind_job).
    started = time.monotonic()
    log.info("deletion chunk started")
    worker = f"{self.request.hostname}#{BOOT}"
    outcome = execution.run_chunk(job_id=job_id, step=step, run=run, chunk=chunk, worker=worker)
    seconds = round(time.monotonic() - started, 3)
    log.info("deletion chunk ended: %s", outcome.value, extra={"outcome": outcome.value, "seconds": seconds})


# Bound from task_prerun to task_postrun rather than inside the function: Celery logs a chunk's
# success or failure after the function has returned but before postrun, and those lines
# concern the job too.
_scopes: dict[str, object] = {}  # task id -> its scope's token


@task_prerun.connect
def _bind_chunk(task_id=None, task=None, args=(), kwargs=None, **_):
    if task is not None and task.name == run_chunk.name:
        names = ("job_id", "step", "run", "chunk")
        _scopes[task_id] = logcontext.open_scope(**dict(zip(names, args, strict=False)), **(kwargs or {}))


@task_postrun.connect
def _unbind_chunk(task_id=None, **_):
    token = _scopes.pop(task_id, None)
    if token is not None:
        logcontext.close_scope(token)


@shared_task(name="deletion_console.tasks.requeue_stalled_jobs")
def requeue_stalled_jobs():
    jobs.requeue_lost()


@shared_task(name="deletion_console.tasks.publish_events")
def publish_events():
    announce.publish_pending()


@shared_task(name="deletion_console.tasks.start_due_jobs")
def start_due_jobs():
    for job_id in due_jobs().values_list("pk", flat=True):
        schedule.start_due(job_id)
    # A bulk request whose job ended while starting the next one failed gets it started here.
    for bulk_request_id in bulk_requests_with_queued_jobs().values_list("pk", flat=True):
        lifecycle.release_queued(bulk_request_id)


@shared_task(name="deletion_console.tasks.expire_unapproved_jobs")
def expire_unapproved_jobs():
    for job_id in expired_approvals().values_list("pk", flat=True):
        approvals.expire(job_id)


@shared_task(name="deletion_console.tasks.sweep_orphans")
def sweep_orphans(sweep_id: int | None = None):
    # From beat without an id (the service records a scheduled sweep), or from "Sweep now" with its row's.
    orphans.run_sweep(sweep_id=sweep_id)


@shared_task(name="deletion_console.tasks.count_preview_target")
def count_preview_target(preview_id: str, index: int):
    background_preview.count_target(preview_id=preview_id, index=index)
