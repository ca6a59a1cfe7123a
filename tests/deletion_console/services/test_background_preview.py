"""Previews counted in the background: what fits in the page's wait is counted at once, the rest
by the workers, target by target, always with `preview()` itself."""

import time

import pytest
from pymongo.errors import AutoReconnect

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import PreviewRequest
from deletion_console.selectors.previews import preview_state
from deletion_console.services import background_preview
from deletion_console.services.background_preview import count_target, start_preview
from deletion_console.services.errors import BulkRefused, NoTargetFound, TargetNotFound
from deletion_console.services.preview import preview
from tests.factories import deleter


@pytest.fixture
def campaigns(clean_stores, rng):
    return [create_campaign(CampaignSpec(name=f"Ember {n}", events=20 + n, children=2), rng) for n in range(3)]


def wait_until_counted(preview_id, timeout: float = 60) -> PreviewRequest:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        request = PreviewRequest.objects.get(pk=preview_id)
        if not seen or seen[-1] != len(request.results):
            seen.append(len(request.results))
        if request.is_done or request.error:
            return request, seen
        time.sleep(0.05)
    raise AssertionError(f"preview {preview_id} still counting after {timeout} s: {seen}")


@pytest.mark.django_db
def test_what_fits_in_the_wait_is_counted_at_once_with_preview_itself(campaigns):
    request = start_preview(kind="campaign", target_ids=[c.id for c in campaigns], inline_seconds=30)

    state = preview_state(request)
    assert state.done and state.status == "done" and state.counted == 3
    for counted, campaign in zip(state.previews, campaigns, strict=True):
        assert counted.counts == preview("campaign", campaign.id).counts == campaign.counts
        assert counted.label == campaign.name and counted.exists


@pytest.mark.django_db
def test_without_a_wait_nothing_is_counted_by_the_page_and_each_target_is_counted_once_by_its_task(campaigns):
    request = start_preview(kind="campaign", target_ids=[c.id for c in campaigns], inline_seconds=0)
    assert not request.is_done and request.results == {}
    assert preview_state(request).status == "counting"

    count_target(preview_id=str(request.pk), index=1)
    request.refresh_from_db()
    assert list(request.results) == [campaigns[1].id] and not request.is_done
    assert [p.target_id for p in preview_state(request).previews] == [campaigns[1].id]

    for index in (0, 2, 2, 7):  # a redelivered task, and one past the end, change nothing
        count_target(preview_id=str(request.pk), index=index)
    request.refresh_from_db()
    state = preview_state(request)
    assert state.done and [p.target_id for p in state.previews] == [c.id for c in campaigns]
    assert [p.counts for p in state.previews] == [c.counts for c in campaigns]


@pytest.mark.django_db
def test_ids_no_target_answers_to_are_left_out_and_none_found_is_refused(campaigns):
    request = start_preview(kind="campaign", target_ids=[campaigns[0].id, "no-such-campaign"], inline_seconds=0)
    assert request.missing == ["no-such-campaign"] and [t["id"] for t in request.targets] == [campaigns[0].id]

    with pytest.raises(NoTargetFound):
        start_preview(kind="campaign", target_ids=["nope", "neither"])
    with pytest.raises(TargetNotFound):
        start_preview(kind="campaign", target_ids=["nope"], single=True)
    with pytest.raises(BulkRefused, match="Select at least one"):
        start_preview(kind="campaign", target_ids=[" "])


@pytest.mark.django_db
def test_more_targets_than_a_bulk_request_may_hold_are_refused(campaigns, settings):
    settings.DELETION_BATCH_MAX_TARGETS = 2

    with pytest.raises(BulkRefused, match="at most 2"):
        start_preview(kind="campaign", target_ids=[c.id for c in campaigns])
    assert not PreviewRequest.objects.exists()


@pytest.mark.django_db
def test_a_store_that_does_not_answer_fails_the_preview_with_a_reason(campaigns, monkeypatch):
    request = start_preview(kind="campaign", target_ids=[campaigns[0].id], inline_seconds=0)

    def unreachable(kind, target_id):
        raise AutoReconnect("connection refused")

    monkeypatch.setattr(background_preview, "preview", unreachable)
    count_target(preview_id=str(request.pk), index=0)

    request.refresh_from_db()
    state = preview_state(request)
    assert state.status == "failed" and not state.done
    assert "A store did not answer" in request.error and "AutoReconnect" in request.error


@pytest.mark.django_db
def test_old_previews_are_forgotten_when_a_new_one_is_recorded(campaigns, settings):
    old = start_preview(kind="campaign", target_ids=[campaigns[0].id], inline_seconds=0)
    settings.DELETION_PREVIEW_KEEP_SECONDS = 0

    start_preview(kind="campaign", target_ids=[campaigns[1].id], inline_seconds=0)

    assert not PreviewRequest.objects.filter(pk=old.pk).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_workers_count_every_target_and_the_counts_fill_in_one_by_one(celery_worker, clean_stores, rng):
    targets = [create_campaign(CampaignSpec(name=f"Frost {n}", events=300 * (n + 1)), rng) for n in range(6)]
    user = deleter(username="dana")

    request = start_preview(kind="campaign", target_ids=[t.id for t in targets], user=user, inline_seconds=0)
    done, seen = wait_until_counted(request.pk)

    assert done.is_done and not done.error
    assert seen[0] < 6 and seen[-1] == 6 and seen == sorted(seen)
    state = preview_state(done)
    assert [p.target_id for p in state.previews] == [t.id for t in targets]
    assert [p.counts for p in state.previews] == [preview("campaign", t.id).counts for t in targets]
    assert done.requested_by == user
