"""The figures behind /metrics and the dashboard, over jobs made by the factories."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deletion_console.models import DeletionJob, JobEvent
from deletion_console.selectors import stats
from tests.factories import PREVIEW, failed_job, succeeded_job

pytestmark = pytest.mark.django_db


def durations(job, step, *seconds):
    for s in seconds:
        JobEvent.objects.create(job=job, step=step, kind="succeeded", seconds=s)


def test_deleted_entities_are_summed_per_store_and_entity_across_jobs():
    succeeded_job()
    succeeded_job()
    failed_job(step="neo4j", counts={"mongodb": {"campaign_events": 5}})

    deleted = stats.deleted_by_store()

    assert deleted["mongodb"]["campaign_events"] == 2 * PREVIEW["mongodb"]["campaign_events"] + 5
    assert deleted["postgres"] == {entity: 2 * n for entity, n in PREVIEW["postgres"].items()}


def test_the_window_leaves_older_jobs_out():
    old = succeeded_job()
    DeletionJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    succeeded_job()

    deleted = stats.deleted_by_store(since=stats.window_start(30))

    assert deleted["neo4j"]["Campaign"] == 1


def test_step_durations_are_bucketed_cumulatively_with_their_sum():
    job = succeeded_job()
    durations(job, "mongodb", 0.05, 0.7, 12.0)

    (histogram,) = [h for h in stats.step_durations() if h.step == "mongodb"]

    by_bound = dict(zip(stats.DURATION_BUCKETS, histogram.cumulative, strict=True))
    assert (by_bound[0.1], by_bound[1.0], by_bound[10.0], by_bound[30.0]) == (1, 2, 2, 3)
    assert histogram.count == 3 and histogram.total_seconds == pytest.approx(12.75)


def test_median_and_p95_per_step():
    job = succeeded_job()
    durations(job, "neo4j", *range(1, 21))

    (neo4j,) = [d for d in stats.step_duration_percentiles(days=14) if d.step == "neo4j"]

    assert neo4j.median == pytest.approx(10.5)
    assert neo4j.p95 == pytest.approx(19.05)
    assert neo4j.runs == 20


def test_jobs_per_day_has_every_day_of_the_window_by_status():
    succeeded_job()
    failed_job()
    three_days_ago = succeeded_job()
    DeletionJob.objects.filter(pk=three_days_ago.pk).update(created_at=timezone.now() - timedelta(days=3))

    days = stats.jobs_per_day(days=7)

    assert len(days) == 7 and days[-1][0] == timezone.localdate()
    assert days[-1][1] == {"succeeded": 1, "failed": 1}
    assert days[-4][1] == {"succeeded": 1}
    assert days[0][1] == {}


def test_failures_are_grouped_by_step_and_reason_without_their_particulars():
    failed_job(step="neo4j", reason="ServiceUnavailable: connection refused to 127.0.0.1:7687")
    failed_job(step="neo4j", reason="ServiceUnavailable: connection reset")
    failed_job(step="verify", reason="residue remains after deletion (MongoDB items: 3)")

    assert stats.failures_by_reason(days=14) == [
        ("neo4j: ServiceUnavailable", 2),
        ("verify: residue remains after deletion", 1),
    ]
