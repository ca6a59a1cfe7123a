"""The one place that hands work to Celery.

Services decide what runs next and call `queue_chunk`; tasks are addressed by name, so no
service imports a task and no task needs Celery's chain machinery to stop a job: a job's next
chunk is only ever queued by the chunk before it, after that chunk's work is committed.
"""

import logging
from functools import partial

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from deletion_console.models import DeletionJob

log = logging.getLogger(__name__)

RUN_CHUNK = "deletion_console.tasks.run_chunk"


def queue_chunk(job: DeletionJob, *, countdown: float = 0, on_unqueued=None) -> None:
    """Once the current transaction commits, queue the chunk the job's row now names
    (its current step, run and chunk number). `on_unqueued(error)` is called if the broker
    refuses it; without one, the watchdog picks the stalled job up later."""
    args = [str(job.pk), job.current_step, job.run, job.chunk]
    transaction.on_commit(partial(_send, args, countdown, on_unqueued))


def _send(args: list, countdown: float, on_unqueued) -> None:
    try:
        current_app.send_task(RUN_CHUNK, args=args, countdown=countdown or None)
    except OperationalError as exc:
        if on_unqueued is None:
            log.warning("Could not queue chunk %s of deletion job %s: %s", args[3], args[0], exc)
            return
        on_unqueued(exc)
