"""What a plan must never do, whatever the data says, checked on the real stores."""

import psycopg
import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import execution, jobs
from deletion_console.stores import errors, mongo
from deletion_console.stores import sql as target_sql
from tests.factories import STEPS, request_deletion
from tests.fixtures import dumps

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def run_steps(job, steps):
    for step in steps:
        assert execution.run_step(job.pk, step) == execution.Outcome.NEXT, step


def test_a_legacy_array_naming_another_campaigns_child_does_not_take_it(rng):
    neighbour = create_campaign(CampaignSpec(name="Neighbour", new_format=True), rng)
    before = dumps.all_stores()
    target = create_campaign(CampaignSpec(name="Legacy", new_format=False, string_id=True), rng)
    stolen = mongo.database()["quests"].find_one({"campaign_id": neighbour.id})["_id"]
    mongo.database()["campaigns"].update_one({"_id": target.id}, {"$push": {"quest_ids": stolen}})
    job = request_deletion("campaign", target.id)  # not committed: no worker runs it

    run_steps(job, STEPS)

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    assert dumps.all_stores() == before  # the neighbour's quest, document and node, is still there


def test_a_job_cancelled_before_deleting_anything_shows_the_campaign_again(rng, django_capture_on_commit_callbacks):
    target = create_campaign(CampaignSpec(name="Changed my mind"), rng)
    job = request_deletion("campaign", target.id)
    run_steps(job, ["validate"])
    assert mongo.database()["campaigns"].find_one({"_id": mongo.key_candidates(target.id)[0]})["status"] == "deleting"

    jobs.cancel(job.pk)
    # The target is shown again once the job's end has committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert execution.run_step(job.pk, "collect") == execution.Outcome.STOP

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    assert mongo.database()["campaigns"].find_one({"_id": mongo.key_candidates(target.id)[0]})["status"] == "active"


def test_a_row_locked_by_the_platform_ends_the_wait_with_a_retryable_error(rng, settings):
    settings.TARGET_LOCK_TIMEOUT = "300ms"
    target = create_campaign(CampaignSpec(name="Locked", sessions=1), rng)
    sessions = next(item for item in get_plan("campaign").items("postgres") if item.entity == "campaign_sessions")
    scope = type("Scope", (), {"ref": target.id})()
    with psycopg.connect(settings.TARGET_DATABASE_URL) as platform:
        platform.execute("SELECT * FROM campaign_sessions WHERE campaign_id = %s FOR UPDATE", [target.id])

        with pytest.raises(psycopg.OperationalError) as raised:
            sessions.delete_batch(scope, None, 10, 1)

    assert errors.is_transient(raised.value)
    assert target_sql.scalar("SELECT count(*) FROM campaign_sessions WHERE campaign_id = %(c)s", {"c": target.id}) == 1
