"""A chunk runs on into the next step while its budget lasts: a small job needs about one task,
with every step fenced and recorded as a queued chunk would be (no worker: the test's transaction
never commits, so what would be queued is seen among the commit callbacks)."""

import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console import dispatch
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobEventKind, JobStatus
from deletion_console.services import execution
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import request_deletion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def test_a_small_job_runs_every_phase_in_one_task_when_its_steps_end_well_within_the_budget(
    rng, django_capture_on_commit_callbacks, settings
):
    settings.DELETION_CHUNK_SECONDS = 60
    target = create_campaign(CampaignSpec(name="Tiny", events=3), rng)
    job = request_deletion("campaign", target.id)

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = execution.run_chunk(job_id=job.pk, step="validate", run=job.run, chunk=job.step("validate").chunk)

    done = DeletionJob.objects.get(pk=job.pk)
    assert outcome == execution.Outcome.NEXT and done.status == JobStatus.SUCCEEDED
    assert [cb for cb in callbacks if getattr(cb, "func", None) is dispatch._send] == []
    # Each step still has its own start and end in the audit trail.
    started = JobEvent.objects.filter(job=done, kind=JobEventKind.STARTED).values_list("step", flat=True)
    assert list(started) == list(get_plan("campaign").step_names)


def test_a_step_that_ends_late_in_its_chunk_queues_the_next_one(rng, django_capture_on_commit_callbacks, settings):
    settings.DELETION_CHUNK_SECONDS = 0
    target = create_campaign(CampaignSpec(name="Tiny", events=3), rng)
    job = request_deletion("campaign", target.id)

    with django_capture_on_commit_callbacks() as callbacks:
        execution.run_chunk(job_id=job.pk, step="validate", run=job.run, chunk=job.step("validate").chunk)

    queued = [cb for cb in callbacks if getattr(cb, "func", None) is dispatch._send]
    assert [message[1] for cb in queued for message in cb.args[0]] == ["collect"]


class WorkerDied(BaseException):
    """What a killed worker amounts to for the task it was running: it never returns."""


def test_a_message_redelivered_after_its_worker_died_in_a_step_it_ran_on_into_finishes_that_step(
    rng, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.DELETION_CHUNK_SECONDS = 60
    target = create_campaign(CampaignSpec(name="Tiny", events=3), rng)
    job = request_deletion("campaign", target.id)
    message = {"job_id": job.pk, "step": "validate", "run": job.run, "chunk": job.step("validate").chunk}
    delete_step = execution.delete_step

    def dies_in_mongodb(ctx):
        if ctx.step == "mongodb":
            raise WorkerDied()
        return delete_step(ctx)

    monkeypatch.setattr(execution, "delete_step", dies_in_mongodb)
    with django_capture_on_commit_callbacks(), pytest.raises(WorkerDied):
        execution.run_chunk(**message)
    monkeypatch.setattr(execution, "delete_step", delete_step)

    # No message names the mongodb step's chunk: only the first one's redelivery can go on with it.
    with django_capture_on_commit_callbacks():
        outcome = execution.run_chunk(**message)

    done = DeletionJob.objects.get(pk=job.pk)
    assert outcome == execution.Outcome.NEXT and done.status == JobStatus.SUCCEEDED
    assert done.total_deleted == done.total_expected > 0


def test_a_message_delivered_again_after_its_task_numbered_the_next_chunk_but_died_unsent_goes_on_with_it(
    rng, django_capture_on_commit_callbacks, settings
):
    settings.DELETION_CHUNK_SECONDS = 0
    target = create_campaign(CampaignSpec(name="Tiny", events=3), rng)
    job = request_deletion("campaign", target.id)
    message = {"job_id": job.pk, "step": "validate", "run": job.run, "chunk": job.step("validate").chunk}
    # The commit callbacks never run: the message for collect's chunk never goes out.
    with django_capture_on_commit_callbacks():
        execution.run_chunk(**message)
    numbered = DeletionJob.objects.get(pk=job.pk).step("collect").chunk

    settings.DELETION_CHUNK_SECONDS = 60
    with django_capture_on_commit_callbacks():
        outcome = execution.run_chunk(**message)

    done = DeletionJob.objects.get(pk=job.pk)
    assert outcome == execution.Outcome.NEXT and done.status == JobStatus.SUCCEEDED
    assert done.total_deleted == done.total_expected > 0
    # Had the message for the old number gone out after all, it would find itself superseded.
    late = {**message, "step": "collect", "chunk": numbered}
    assert execution.run_chunk(**late) == execution.Outcome.STOP


def test_a_small_tenant_runs_its_side_by_side_services_one_after_another_in_one_task(
    rng, django_capture_on_commit_callbacks, settings
):
    settings.DELETION_CHUNK_SECONDS = 60
    create_tenant(TenantSpec(id="t-small", name="Small"), rng)
    job = request_deletion("tenant", "t-small")

    with django_capture_on_commit_callbacks() as callbacks:
        execution.run_chunk(job_id=job.pk, step="validate", run=job.run, chunk=job.step("validate").chunk)

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    assert [cb for cb in callbacks if getattr(cb, "func", None) is dispatch._send] == []


def test_a_large_tenant_queues_its_side_by_side_services_to_run_on_several_workers(
    rng, django_capture_on_commit_callbacks, settings
):
    settings.DELETION_CHUNK_SECONDS = 60
    settings.DELETION_QUICK_JOB_ROWS = 10  # this tenant counts as large
    create_tenant(TenantSpec(id="t-large", name="Large"), rng)
    job = request_deletion("tenant", "t-large")

    with django_capture_on_commit_callbacks() as callbacks:
        execution.run_chunk(job_id=job.pk, step="validate", run=job.run, chunk=job.step("validate").chunk)

    [queued] = [cb for cb in callbacks if getattr(cb, "func", None) is dispatch._send]
    together = next(phase for phase in get_plan("tenant").phases if len(phase.step_names) > 1)
    assert sorted(message[1] for message in queued.args[0]) == sorted(together.step_names)
    assert queued.args[1] == settings.DELETION_PRIORITY_LARGE
