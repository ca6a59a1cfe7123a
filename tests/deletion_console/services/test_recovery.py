"""How jobs change hands safely: superseded runs, re-delivered steps, resume, cancel, requeue."""

from datetime import timedelta

import django.db
import pytest
from django.utils import timezone

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.services import execution, jobs, lifecycle, recorder
from deletion_console.services.errors import JobStateError
from deletion_console.stores import errors, mongo
from tests.factories import DeletionJobFactory, chunk_of, failed_job, request_deletion, running_job

pytestmark = pytest.mark.django_db


def test_a_superseded_run_cannot_move_the_job_on():
    job = running_job(step="mongodb")
    ctx = chunk_of(job, "mongodb")
    DeletionJob.objects.filter(pk=job.pk).update(run=job.run + 1)

    with pytest.raises(lifecycle.Superseded):
        recorder.finish_step(ctx, 1.0)

    assert DeletionJob.objects.get(pk=job.pk).current_phase == "mongodb"


def test_the_last_batch_of_a_superseded_run_is_counted_and_audited_but_moves_no_cursor():
    job = running_job(step="mongodb")
    ctx = chunk_of(job, "mongodb")
    DeletionJob.objects.filter(pk=job.pk).update(run=job.run + 1)

    with pytest.raises(lifecycle.Superseded):
        recorder.record_batch(ctx, entity="campaign_events", deleted=500, cursor={"item": 5})

    after = DeletionJob.objects.get(pk=job.pk)
    assert after.total_deleted == job.total_deleted + 500
    assert "cursor" not in after.steps["mongodb"]
    event = JobEvent.objects.get(job=job, kind="batch")
    assert (event.run, event.counts) == (job.run, {"campaign_events": 500})


def test_a_redelivered_message_for_a_step_finished_in_this_run_does_nothing():
    job = running_job(step="neo4j")
    steps = {**job.steps, "mongodb": {"state": "done", "run": job.run}}
    DeletionJob.objects.filter(pk=job.pk).update(steps=steps)

    outcome = execution.run_chunk(job_id=job.pk, step="mongodb", run=job.run, chunk=1)

    assert outcome == execution.Outcome.STOP
    assert not JobEvent.objects.filter(job=job, step="mongodb", kind="started").exists()


def test_a_redelivered_message_for_a_chunk_whose_successor_is_queued_does_nothing():
    job = running_job(step="mongodb")
    steps = {**job.steps, "mongodb": {**job.steps["mongodb"], "chunk": 2}}
    DeletionJob.objects.filter(pk=job.pk).update(steps=steps, chunk=2)

    outcome = execution.run_chunk(job_id=job.pk, step="mongodb", run=job.run, chunk=1)

    assert outcome == execution.Outcome.STOP
    assert not JobEvent.objects.filter(job=job, step="mongodb", kind="started").exists()


def test_the_watchdog_leaves_a_job_alone_whose_worker_reported_in_the_meantime(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    job = running_job(step="mongodb")  # heartbeat just now

    jobs.requeue(job, reason="looked stale a moment ago")

    assert DeletionJob.objects.get(pk=job.pk).run == job.run
    assert not JobEvent.objects.filter(job=job, kind="requeued").exists()


def test_the_watchdog_requeues_a_running_job_whose_heartbeat_is_stale(settings):
    settings.DELETION_HEARTBEAT_STALE_SECONDS = 60
    job = running_job(step="mongodb")
    DeletionJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))

    jobs.requeue(job, reason="stale")

    assert DeletionJob.objects.get(pk=job.pk).run == job.run + 1


def test_resuming_a_job_that_failed_at_verify_deletes_again_before_verifying():
    job = failed_job(step="verify")

    resumed = jobs.resume(job.pk)

    assert resumed.current_phase == "mongodb"
    assert resumed.status == JobStatus.PENDING


def test_resume_clears_warnings_about_the_old_state_and_keeps_them_in_the_audit_trail():
    job = failed_job(step="neo4j")
    DeletionJob.objects.filter(pk=job.pk).update(warnings=["Neo4j data of this campaign remains"])

    resumed = jobs.resume(job.pk)

    assert resumed.warnings == [] and resumed.error == ""
    assert "Neo4j data of this campaign remains" in JobEvent.objects.get(job=job, kind="resumed").message


def test_cancelling_a_pending_job_ends_it_at_once_without_a_worker():
    job = DeletionJobFactory(status=JobStatus.PENDING)

    cancelled = jobs.cancel(job.pk)

    assert cancelled.status == JobStatus.CANCELLED
    assert jobs.active_job_for(job.kind, job.target_id) is None


def test_a_job_that_has_deleted_everything_cannot_be_cancelled():
    job = running_job(step="verify")

    with pytest.raises(JobStateError, match="cannot be cancelled"):
        jobs.cancel(job.pk)


def test_errors_of_the_console_database_are_retried_like_store_errors():
    assert errors.is_transient(django.db.OperationalError("server closed the connection unexpectedly"))
    assert errors.is_transient(django.db.InterfaceError("connection already closed"))
    assert not errors.is_transient(django.db.IntegrityError("duplicate key"))


@pytest.mark.usefixtures("clean_stores")
def test_a_child_written_after_the_collect_step_is_deleted_and_verified_too(rng, settings):
    target = create_campaign(CampaignSpec(name="Late child"), rng)
    job = request_deletion("campaign", target.id)  # no commit: no worker runs it
    for step in ("validate", "collect"):
        assert execution.run_step(job.pk, step) == execution.Outcome.NEXT
    mongo.database()["quests"].insert_one({"_id": "late-quest", "name": "Late", "campaign_id": target.id})

    for step in ("mongodb", "neo4j", "postgres", "verify", "complete"):
        assert execution.run_step(job.pk, step) == execution.Outcome.NEXT, step

    finished = DeletionJob.objects.get(pk=job.pk)
    assert finished.status == JobStatus.SUCCEEDED, finished.error
    assert mongo.database()["quests"].count_documents({"_id": "late-quest"}) == 0
    assert finished.counts["mongodb"]["quests"] == target.counts["mongodb"]["quests"] + 1
