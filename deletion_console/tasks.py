"""Celery tasks: thin. Each takes nothing but ids and hands them to a service."""

from celery import shared_task

from deletion_console.selectors.jobs import stalled_jobs
from deletion_console.services import announce, execution, jobs


@shared_task(name="deletion_console.tasks.run_chunk")
def run_chunk(job_id: str, step: str, run: int, chunk: int):
    execution.run_chunk(job_id=job_id, step=step, run=run, chunk=chunk)


@shared_task(name="deletion_console.tasks.requeue_stalled_jobs")
def requeue_stalled_jobs():
    for job in stalled_jobs():
        jobs.requeue(job, reason="heartbeat stale: the worker running this job is presumed gone")


@shared_task(name="deletion_console.tasks.announce_finished_jobs")
def announce_finished_jobs():
    announce.announce_pending()
