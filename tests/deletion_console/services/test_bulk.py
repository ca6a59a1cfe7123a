"""Bulk deletion through the real worker: one batch, its jobs bounded, all or none requested."""

import time

import pytest

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.models import BulkRequest, DeletionJob, JobEvent, JobStatus
from deletion_console.services import bulk, jobs
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.errors import BulkRefused
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from tests.factories import deleter, request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")]

PLAYERS = ("p1", "p2", "p3")


def seed(rng, names, **spec):
    create_players(PLAYERS)
    return [create_campaign(CampaignSpec(name=name, players=PLAYERS[:2], **spec), rng) for name in names]


def shown_for(campaigns) -> dict[str, str]:
    return {c.id: sign_preview(preview("campaign", c.id)) for c in campaigns}


def request_by_count(campaigns, user=None, limit=None) -> BulkRequest:
    shown = shown_for(campaigns)
    confirmations = bulk.confirmed_by_count(shown=shown, typed_count=str(len(shown)))
    return bulk.request_bulk(kind="campaign", confirmations=confirmations, user=user, limit=limit)


def wait_for_batch(batch: BulkRequest, timeout=120, watch=None) -> list[DeletionJob]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(batch.jobs.values_list("status", flat=True))
        if watch:
            watch(states)
        if all(state in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED) for state in states):
            return list(batch.jobs.all())
        time.sleep(0.05)
    raise AssertionError(f"batch {batch.pk} not finished after {timeout} s: {states}")


def test_a_batch_deletes_every_target_and_runs_at_most_its_limit_at_once(rng):
    seed(rng, ["Keep A", "Keep B"])
    before = dumps.all_stores()
    targets = seed(rng, [f"Bulk {n}" for n in range(5)], events=600)
    user = deleter()

    batch = request_by_count(targets, user=user, limit=2)
    most_running = []
    done = wait_for_batch(
        batch, watch=lambda states: most_running.append(sum(s in ("pending", "running") for s in states))
    )

    assert [job.status for job in done] == [JobStatus.SUCCEEDED] * 5
    assert max(most_running) <= 2
    assert {job.target_id for job in done} == {c.id for c in targets}
    assert all(job.requested_by == user and job.total_deleted == job.total_expected for job in done)
    # Three waited their turn, and the audit trail says when each got it.
    assert JobEvent.objects.filter(job__bulk_request=batch, kind="queued").count() == 3
    assert JobEvent.objects.filter(job__bulk_request=batch, kind="dequeued").count() == 3
    assert dumps.all_stores() == before


def test_a_target_that_cannot_be_requested_refuses_the_whole_batch_naming_it(rng):
    targets = seed(rng, ["One", "Two", "Three"])
    shown = shown_for(targets)
    running = request_deletion("campaign", targets[1].id)

    with pytest.raises(BulkRefused) as refused:
        bulk.request_bulk(kind="campaign", confirmations=bulk.confirmed_by_count(shown=shown, typed_count="3"))

    assert list(refused.value.problems) == [targets[1].id]
    assert "already" in refused.value.problems[targets[1].id]
    assert not BulkRequest.objects.exists()
    assert list(DeletionJob.objects.values_list("pk", flat=True)) == [running.pk]
    wait_for_job(running.pk)


def test_data_changed_since_the_preview_refuses_the_batch(rng):
    targets = seed(rng, ["Before", "After"])
    shown = shown_for(targets)
    # One more event of the second target since the person saw the counts.
    mongo.database()["campaign_events"].insert_one({"campaign_id": targets[1].id, "kind": "late"})

    with pytest.raises(BulkRefused) as refused:
        bulk.request_bulk(kind="campaign", confirmations=bulk.confirmed_by_count(shown=shown, typed_count="2"))

    assert list(refused.value.problems) == [targets[1].id]
    assert not DeletionJob.objects.exists()


@pytest.mark.parametrize("typed", ["", "3", " 1", "two"])
def test_the_number_of_targets_must_be_typed_exactly(rng, typed):
    targets = seed(rng, ["Left", "Right"])
    with pytest.raises(BulkRefused, match="Type the number of targets, 2"):
        bulk.confirmed_by_count(shown=shown_for(targets), typed_count=typed)


def test_a_batch_larger_than_the_cap_is_refused_before_any_store_is_asked(settings):
    settings.DELETION_BATCH_MAX_TARGETS = 3
    with pytest.raises(BulkRefused, match="at most 3"):
        bulk.preview_bulk(kind="campaign", target_ids=["a", "b", "c", "d"])


def test_a_cancelled_queued_job_ends_at_once_and_the_others_still_run(rng):
    targets = seed(rng, ["First", "Second", "Third"], events=300)
    batch = request_by_count(targets, limit=1)
    queued = batch.jobs.get(target_id=targets[2].id)
    assert queued.status == JobStatus.QUEUED

    jobs.cancel(queued.pk)

    done = {job.target_id: job for job in wait_for_batch(batch)}
    assert done[targets[2].id].status == JobStatus.CANCELLED
    assert done[targets[2].id].total_deleted == 0
    assert [done[t.id].status for t in targets[:2]] == [JobStatus.SUCCEEDED] * 2
    assert preview("campaign", targets[2].id).exists


def test_the_combined_preview_sums_every_target_and_names_the_missing(rng):
    targets = seed(rng, ["Alpha", "Beta"], events=20)

    combined = bulk.preview_bulk(kind="campaign", target_ids=[targets[0].id, "no-such-campaign", targets[1].id])

    assert [p.target_id for p in combined.previews] == [targets[0].id, targets[1].id]
    assert combined.missing == ["no-such-campaign"]
    assert combined.total == sum(p.total for p in combined.previews)
    assert combined.counts["mongodb"]["campaign_events"] == 40
