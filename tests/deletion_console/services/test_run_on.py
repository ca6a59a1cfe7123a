"""A chunk runs on into the next step while its budget lasts: a small job needs about one task,
with every step fenced and recorded as a queued chunk would be (no worker: the test's transaction
never commits, so what would be queued is seen among the commit callbacks)."""

import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console import dispatch
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobEventKind, JobStatus
from deletion_console.services import execution
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
