"""Starting held jobs: a scheduled one once its grace period is over (beat), or run now.

Each takes the job's row lock and checks its state under it (lifecycle.apply), so a tick that
comes late starts a due job late, and two ticks (or a tick and a click) racing for one job
start it once. A started job of a bulk request may still wait for a place among its running
jobs (lifecycle.admit).
"""

from django.db import transaction
from django.utils import timezone

from deletion_console.models import DeletionJob
from deletion_console.services import lifecycle, users
from deletion_console.services.errors import JobStateError
from deletion_console.services.lifecycle import Action


def start_due(job_id) -> DeletionJob | None:
    """Start a scheduled job whose grace period is over; None if it is not (any longer) due."""

    def due(job):
        if job.run_after > timezone.now():
            raise JobStateError(f"Job {job.pk} is not due before {job.run_after.isoformat()}.", job)

    with transaction.atomic():
        try:
            job = lifecycle.apply(
                job_id,
                Action.END_GRACE,
                guard=due,
                event=lambda job: {"message": f"due at {job.run_after.isoformat()}"},
            )
        except JobStateError:
            return None
        return lifecycle.admit(job.pk)


def run_now(job_id, user=None) -> DeletionJob:
    """Start a scheduled job before its grace period is over."""
    with transaction.atomic():
        job = lifecycle.apply(job_id, Action.RUN_NOW, event={"message": users.by(user)})
        return lifecycle.admit(job.pk)
