"""The one place that hands work to Celery.

Services decide what runs next and call `queue_chunks`; tasks are addressed by name, so no
service imports a task and no task needs Celery's chain machinery to stop a job: a step's next
chunk is only ever queued by the chunk before it, after that chunk's work is committed.

Steps that run side by side go out as one Celery group. No chord joins them: a chord needs a
result backend and would fire once per run of its header; instead the last step to end, under
the job's row lock, queues what follows (services.recorder).
"""

import logging
from datetime import timedelta
from functools import partial

from celery import current_app, group, signature
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from deletion_console.models import DeletionJob

log = logging.getLogger(__name__)

RUN_CHUNK = "deletion_console.tasks.run_chunk"
SWEEP_ORPHANS = "deletion_console.tasks.sweep_orphans"
COUNT_PREVIEW = "deletion_console.tasks.count_preview_target"
# The remote-control command each worker answers with the id of its process ("node#boot").
WORKER_ID_COMMAND = "deletion_worker_id"
# Long enough for a busy worker's main process to answer over the broker; the watchdog waits
# this long only when one of the workers it asks is indeed gone.
WORKER_ANSWER_SECONDS = 1.0


def queue_chunks(job: DeletionJob, steps: list[str], *, countdown: float = 0, on_unqueued=None) -> None:
    """Once the current transaction commits, queue the chunk each of `steps` now names on the
    job's row (the job's run, the step's chunk number). `on_unqueued(error)` is called if the
    broker refuses them; without one, the watchdog picks the stalled job up later."""
    if not steps:
        return
    messages = [[str(job.pk), step, job.run, job.step(step).chunk] for step in steps]
    transaction.on_commit(partial(_send, messages, priority(job), countdown, on_unqueued))


def priority(job: DeletionJob) -> int:
    """The priority of the job's chunks: a small job's are served first (see settings)."""
    if job.total_expected <= settings.DELETION_QUICK_JOB_ROWS:
        return settings.DELETION_PRIORITY_FIRST
    return settings.DELETION_PRIORITY_LARGE


def _send(messages: list[list], priority: int, countdown: float, on_unqueued) -> None:
    try:
        if len(messages) == 1:
            current_app.send_task(RUN_CHUNK, args=messages[0], priority=priority, countdown=countdown or None)
        else:
            group(signature(RUN_CHUNK, args=args, app=current_app) for args in messages).apply_async(
                priority=priority, countdown=countdown or None
            )
    except OperationalError as exc:
        if on_unqueued is None:
            log.warning("Could not queue chunks %s of deletion job %s: %s", messages, messages[0][0], exc)
            _mark_stale(messages[0][0])
            return
        on_unqueued(exc)


def _mark_stale(job_id: str) -> None:
    # Nothing will run these chunks, and no worker holds them: the job is made stale at once, so
    # that the watchdog's first round once the broker is back (beat needs the broker too) queues
    # them again, rather than DELETION_HEARTBEAT_STALE_SECONDS later.
    stale = timezone.now() - timedelta(seconds=settings.DELETION_HEARTBEAT_STALE_SECONDS + 1)
    try:
        DeletionJob.objects.filter(pk=job_id).update(heartbeat_at=stale)
    except DatabaseError:
        log.warning("Could not mark deletion job %s stale; the watchdog finds it later", job_id, exc_info=True)


def queue_sweep(sweep_id: int) -> None:
    """Once the current transaction commits, queue the orphan sweep recorded as `sweep_id`.
    A broker that refuses it raises: the person who asked is told, and the row stays unstarted."""
    transaction.on_commit(lambda: current_app.send_task(SWEEP_ORPHANS, kwargs={"sweep_id": sweep_id}))


def queue_preview_count(preview_id: str, index: int) -> None:
    """Once the current transaction commits, queue the count of a background preview's
    `index`-th target. A broker that refuses it raises: the page that asked says so."""
    transaction.on_commit(
        lambda: current_app.send_task(COUNT_PREVIEW, kwargs={"preview_id": preview_id, "index": index})
    )


def answering_workers(workers: set[str]) -> set[str]:
    """Which of `workers` ("node#boot") still run: the node answers, as the same process. A
    worker restarted under the same name answers with a new boot, so its old chunks count as
    lost. If the broker cannot be reached, they are all presumed alive: nothing could be
    queued again anyway."""
    nodes = sorted({worker.split("#")[0] for worker in workers})
    try:
        replies = current_app.control.broadcast(
            WORKER_ID_COMMAND, destination=nodes, reply=True, timeout=WORKER_ANSWER_SECONDS, limit=len(nodes)
        )
    except (OperationalError, OSError) as exc:
        log.warning("Could not ask workers %s whether they run: %s", nodes, exc)
        return set(workers)
    return {answer.get("worker") for reply in replies or [] for answer in reply.values() if isinstance(answer, dict)}
