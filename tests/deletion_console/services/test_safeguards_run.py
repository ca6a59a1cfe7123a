"""Held requests with a real worker and a real beat: a scheduled job runs once due, a job
needing approval runs only once approved, an expired request never runs."""

import pytest

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from campaigns.selectors import find_by_id
from deletion_console.models import JobEvent, JobStatus
from deletion_console.services import approvals
from tests.factories import approver, deleter, request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]


@pytest.fixture(scope="module")
def worker_with_beat(suite_worker):
    """The only consumer of the queue, with beat (every 2 s in tests) starting due jobs; one
    for the module, as each test leaves no job unfinished."""
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("safeguards", beat=True).start()
    yield worker
    worker.stop()


@pytest.fixture
def campaigns(rng):
    create_players(["p1", "p2"])
    return [create_campaign(CampaignSpec(name=f"Campaign {n}", events=30, players=("p1", "p2")), rng) for n in range(3)]


def test_a_scheduled_job_runs_once_its_grace_period_is_over(worker_with_beat, campaigns, settings):
    settings.DELETION_GRACE_PERIOD = {"campaign": 2}
    target = campaigns[0]

    job = request_deletion("campaign", target.id)
    assert job.status == JobStatus.SCHEDULED

    job = wait_for_job(job.pk, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert find_by_id(target.id) is None
    assert job.started_at >= job.run_after
    kinds = list(JobEvent.objects.filter(job=job).order_by("id").values_list("kind", flat=True))
    assert kinds[:3] == ["requested", "scheduled", "grace-period-over"]
    assert kinds.count("grace-period-over") == 1


def test_a_job_needing_approval_runs_only_once_a_second_person_approves(worker_with_beat, campaigns, settings):
    target, other = campaigns[0], campaigns[1]
    settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}
    held = request_deletion("campaign", target.id, user=deleter())
    kept = dumps.all_stores()

    # Another deletion going through shows the worker and beat at work meanwhile.
    settings.DELETION_APPROVAL = {}
    assert wait_for_job(request_deletion("campaign", other.id).pk).status == JobStatus.SUCCEEDED
    held.refresh_from_db()
    assert held.status == JobStatus.AWAITING_APPROVAL
    assert find_by_id(target.id) is not None
    assert dumps.mongo_dump()["game.campaigns"] != kept["mongodb"]["game.campaigns"]  # the other one went

    second = approver(username="second")
    approvals.approve(held.pk, second)

    job = wait_for_job(held.pk)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert find_by_id(target.id) is None
    assert job.approved_by == second


def test_an_expired_request_never_runs(worker_with_beat, campaigns, settings):
    settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}
    settings.DELETION_APPROVAL_EXPIRES_SECONDS = 1
    before = dumps.all_stores()

    job = request_deletion("campaign", campaigns[2].id, user=deleter())

    job = wait_for_job(job.pk, timeout=30)  # beat ends it
    assert job.status == JobStatus.CANCELLED
    assert JobEvent.objects.filter(job=job, kind="expired").count() == 1
    assert job.started_at is None
    assert dumps.all_stores() == before
