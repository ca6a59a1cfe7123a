"""Live progress: a job's snapshot sent to its page's Channels group once its change commits."""

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from deletion_console.models import TERMINAL_STATUSES, DeletionJob
from deletion_console.selectors.jobs import job_snapshot

log = logging.getLogger(__name__)
_last_sent: dict[str, float] = {}


def group_name(job_id) -> str:
    return f"deletion-job-{job_id}"


def broadcast_on_commit(job: DeletionJob, *, force: bool = False) -> None:
    """Send the job's snapshot to its page after commit, at most N a second unless forced."""
    key = str(job.pk)
    now = time.monotonic()
    if not force and now - _last_sent.get(key, 0.0) < 1.0 / settings.DELETION_PROGRESS_PER_SECOND:
        return
    if job.status in TERMINAL_STATUSES:
        _last_sent.pop(key, None)  # a long-lived worker must not keep one entry per job forever
    else:
        _last_sent[key] = now
    snapshot = job_snapshot(job)
    transaction.on_commit(lambda: _send(key, snapshot))


def _send(job_id: str, snapshot: dict) -> None:
    # Best effort: the job row is the truth and pages resync from a snapshot, so a Redis outage
    # must cost a progress message, never the step that was recording its work.
    try:
        async_to_sync(get_channel_layer().group_send)(group_name(job_id), {"type": "job.update", "job": snapshot})
    except Exception:
        log.warning("Could not send progress of deletion job %s", job_id, exc_info=True)
