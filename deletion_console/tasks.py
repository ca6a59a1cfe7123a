"""Celery tasks: thin. Each loads nothing but ids and hands them to a service."""

from celery import shared_task

from deletion_console.selectors.jobs import stalled_jobs
from deletion_console.services import announce, execution, jobs


@shared_task(bind=True, name="deletion_console.tasks.run_step", max_retries=None)
def run_step(self, job_id: str, step: str, run: int):
    outcome = execution.run_step(job_id, step, run, attempt=self.request.retries + 1)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    if not outcome.proceed:
        # Stop the chain here: later steps of a failed, cancelled or superseded run never start.
        self.request.chain = None


@shared_task(name="deletion_console.tasks.requeue_stalled_jobs")
def requeue_stalled_jobs():
    for job in stalled_jobs():
        jobs.requeue(job, reason="heartbeat stale: the worker running this job is presumed gone")


@shared_task(name="deletion_console.tasks.announce_finished_jobs")
def announce_finished_jobs():
    announce.announce_pending()
